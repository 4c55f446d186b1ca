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

import asyncpg

from protocols.config import Config, ConfigError
from registry_core.clock import Clock, SystemClock
from registry_core.context import Core, CoreSettings
from registry_core.crypto import AuthInfoCipher
from registry_core.db.embedded import embedded_dsn, start_embedded
from registry_core.db.migrate import migrate
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database

_log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "registry"
_embedded_server: Any = None  # kept referenced: the embedded cluster stops with its last handle


def database_url(config: Config) -> str:
    """The primary DSN: the configured one, or the embedded cluster (started on demand)."""
    global _embedded_server
    if config.database.url:
        return config.database.url
    if _embedded_server is None:
        _embedded_server = start_embedded(Path(config.paths.var).resolve() / "pgdata")
    return embedded_dsn(_embedded_server, EMBEDDED_DATABASE)


async def ensure_database(dsn: str) -> None:
    """Create the embedded database on first use (external databases are the operator's)."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(dsn.replace(f"/{EMBEDDED_DATABASE}?", "/postgres?", 1))
        try:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
        finally:
            await admin.close()
        return
    await conn.close()


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
    if not config.database.url:
        await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        applied = await migrate(conn)
        if applied:
            _log.info("applied migrations: %s", ", ".join(applied))
    finally:
        await conn.close()
    pool = await open_pool(dsn, min_size=config.database.pool_min, max_size=config.database.pool_max)
    core = Core(Database(pool, clock or SystemClock()),
                CoreSettings(auth_info_key(config), config.registry.roid_suffix))
    try:
        yield core
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def open_cores(config: Config, clock: Clock | None = None) -> AsyncIterator[tuple[Core, Core]]:
    """(core, read_core): the primary core for EPP and jobs, and the one RDAP and WHOIS read
    from. The replica pool is read-only at the server (default_transaction_read_only), so a
    write on the read path fails loudly instead of reaching a database it should not."""
    async with open_core(config, clock) as core:
        if not config.database.replica_url:
            yield core, core
            return
        pool = await open_pool(config.database.replica_url, min_size=config.database.pool_min,
                               max_size=config.database.pool_max, readonly=True)
        try:
            yield core, Core(Database(pool, core.db.clock), core.settings)
        finally:
            await pool.close()
