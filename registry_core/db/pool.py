"""Connection pool: one per process (plus one per read replica), opened at start-up and closed last.

The pool recovers by itself after a database restart: a connection the server closed is
noticed when the server says so (or at its next use, which `db/tx.py` retries) and replaced
on the next acquire. Connecting is bounded, so an unreachable server fails a command
quickly instead of holding it."""

from __future__ import annotations

import asyncpg

from registry_core.db.repo.codecs import init_connection

CONNECT_TIMEOUT = 10.0  # seconds to establish one connection (TCP/TLS/auth) before giving up


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without a reset query: we never leave session state behind (transactions are
    always closed by their context manager), so the round trip asyncpg would spend on
    RESET ALL is pure cost on every command."""


async def open_pool(dsn: str, *, min_size: int = 2, max_size: int = 20, readonly: bool = False) -> asyncpg.Pool:
    """`readonly`: every transaction on these connections is READ ONLY (the server refuses
    writes), for the pool the public read services use."""
    settings = {"default_transaction_read_only": "on"} if readonly else {}
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session,
        statement_cache_size=512,
        command_timeout=30,
        timeout=CONNECT_TIMEOUT,
        server_settings=settings,
    )
    assert pool is not None
    return pool
