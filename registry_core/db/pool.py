"""Connection pool: one per process, opened at start-up and closed last."""

from __future__ import annotations

import asyncpg

from registry_core.db.repo.codecs import init_connection


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without a reset query: we never leave session state behind (transactions are
    always closed by their context manager), so the round trip asyncpg would spend on
    RESET ALL is pure cost on every command."""


async def open_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session,
        statement_cache_size=512,
        command_timeout=30,
    )
    assert pool is not None
    return pool
