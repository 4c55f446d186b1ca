"""The escrow tests' fixtures: real GnuPG keyrings (tests/escrow/gpg.py)."""

from tests.escrow.gpg import keyrings  # noqa: F401 (a fixture)
