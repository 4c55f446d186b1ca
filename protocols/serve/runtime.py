"""Opening the registry core from configuration: database (embedded or external),
migrations, pool and the authInfo key. Used by the CLI and the server suite.

`open_cores` adds a read core for the public services (RDAP, WHOIS): on the replica DSN
when one is configured, else the primary core itself. Migrations and the embedded cluster
only ever concern the primary."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from protocols.config import Config, ConfigError
from registry_core import bootstrap
from registry_core.clock import Clock
from registry_core.context import Core, CoreSettings
from registry_core.crypto import AuthInfoCipher

_log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "registry"
_embedded_server: Any = None  # kept referenced: the embedded cluster stops with its last handle


def database_url(config: Config) -> str:
    """The primary DSN: the configured one, or the embedded cluster (started on demand)."""
    global _embedded_server
    if config.database.url:
        return config.database.url
    if _embedded_server is None:
        _embedded_server = bootstrap.start_embedded_cluster(Path(config.paths.var).resolve() / "pgdata")
    return bootstrap.embedded_cluster_dsn(_embedded_server, EMBEDDED_DATABASE)


def auth_info_key(config: Config) -> str:
    """The authInfo encryption key: inline, from a file, or (development) a generated file."""
    if config.registry.auth_info_key:
        return config.registry.auth_info_key
    path = Path(config.registry.auth_info_key_file or Path(config.paths.var) / "authinfo.key")
    if not path.exists():
        if config.registry.auth_info_key_file:
            raise ConfigError(f"registry.auth_info_key_file: {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(AuthInfoCipher.new_key_text())
        _log.warning("generated a new authInfo key in %s; keep it safe and back it up", path)
    return path.read_text("ascii").strip()


@contextlib.asynccontextmanager
async def open_core(config: Config, clock: Clock | None = None) -> AsyncIterator[Core]:
    dsn = database_url(config)
    if not config.database.url:  # external databases are the operator's to create
        await bootstrap.ensure_database(dsn, EMBEDDED_DATABASE)
    applied = await bootstrap.migrate_database(dsn)
    if applied:
        _log.info("applied migrations: %s", ", ".join(applied))
    settings = CoreSettings(auth_info_key(config), config.registry.roid_suffix)
    async with bootstrap.open_core(dsn, settings, pool_min=config.database.pool_min,
                                   pool_max=config.database.pool_max, clock=clock) as core:
        yield core


@contextlib.asynccontextmanager
async def open_cores(config: Config, clock: Clock | None = None) -> AsyncIterator[tuple[Core, Core]]:
    """(core, read_core): the primary core for EPP and jobs, and the one RDAP and WHOIS read
    from. The replica pool is read-only at the server (default_transaction_read_only), so a
    write on the read path fails loudly instead of reaching a database it should not."""
    async with open_core(config, clock) as core:
        if not config.database.replica_url:
            yield core, core
            return
        async with bootstrap.open_core(config.database.replica_url, core.settings,
                                       pool_min=config.database.pool_min, pool_max=config.database.pool_max,
                                       clock=core.db.clock, readonly=True) as read_core:
            yield core, read_core
