"""The operator CLI, `registry`: one module per command group, joined by `protocols.cli.main`."""
