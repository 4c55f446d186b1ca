"""Opening the core from a DSN: what a composition root needs from the database layer
(the embedded cluster, creating its database, migrations, the pool), so that no protocol
module has to import registry_core.db. Connection faults here surface as
`DatabaseUnavailable`, like everywhere else in the core."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg

from registry_core.clock import Clock, SystemClock
from registry_core.context import Core, CoreSettings
from registry_core.db import embedded
from registry_core.db import migrate as migrations
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database
from registry_core.errors import DatabaseUnavailable

_UNREACHABLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def start_embedded_cluster(pgdata: Path) -> Any:
    """Start (or attach to) the embedded PostgreSQL in `pgdata`; keep the handle referenced:
    the cluster stops with the last process holding one."""
    return embedded.start_embedded(pgdata)


def embedded_cluster_dsn(cluster: Any, database: str) -> str:
    return embedded.embedded_dsn(cluster, database)


@contextlib.contextmanager
def _reaching() -> Iterator[None]:
    """Connection faults as DatabaseUnavailable."""
    try:
        yield
    except _UNREACHABLE as exc:
        raise DatabaseUnavailable(f"{exc.__class__.__name__}: {exc}") from exc


@contextlib.asynccontextmanager
async def _connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    with _reaching():
        conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def ensure_database(dsn: str, name: str) -> None:
    """Create database `name` (the one `dsn` names) through the server's `postgres`
    database when it does not exist yet; for the embedded cluster, whose database is ours."""
    try:
        async with _connection(dsn):
            return
    except DatabaseUnavailable as exc:
        if not isinstance(exc.__cause__, asyncpg.InvalidCatalogNameError):
            raise
    async with _connection(dsn.replace(f"/{name}?", "/postgres?", 1)) as admin:
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await admin.execute(f'CREATE DATABASE "{name}"')


async def migrate_database(dsn: str) -> list[str]:
    """Apply pending migrations; the names applied now."""
    async with _connection(dsn) as conn:
        return await migrations.migrate(conn)


async def pending_migrations(dsn: str) -> list[str]:
    """The migrations not yet applied (for readiness probes)."""
    with _reaching():
        async with _connection(dsn) as conn:
            return await migrations.pending_migrations(conn)


@contextlib.asynccontextmanager
async def open_core(dsn: str, settings: CoreSettings, *, pool_min: int, pool_max: int,
                    clock: Clock | None = None, readonly: bool = False) -> AsyncIterator[Core]:
    """A Core on a new pool; closed (pool and password hasher) on exit. `readonly`: the
    server refuses writes on its connections (the replica's read core)."""
    with _reaching():
        pool = await open_pool(dsn, min_size=pool_min, max_size=pool_max, readonly=readonly)
    core = Core(Database(pool, clock or SystemClock(), dsn=dsn), settings)
    try:
        yield core
    finally:
        await core.close()
