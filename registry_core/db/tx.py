"""One command, one transaction, one retry point.

`Database.transaction(fn)` runs `fn(tx)` inside a READ COMMITTED transaction (rows are
locked explicitly with FOR UPDATE where races matter) and retries on serialization
failures and deadlocks. Nothing leaves the database before commit.

Database faults (the server restarts, a connection drops, the server cannot be reached)
are retried here too, but only while nothing can have been committed: an attempt that
broke before COMMIT was sent was rolled back by the server, so running it again is safe.
A connection that breaks during COMMIT leaves the outcome unknown; that is never retried
and surfaces as `CommitOutcomeUnknown`. Every other fault that outlives the retries
surfaces as `DatabaseUnavailable`. Both are core errors (registry_core.errors), so each
protocol maps them in its one error table (2400 / 503 / "try later"); nothing above this
module sees an asyncpg connection fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from registry_core.clock import Clock
from registry_core.db.cache import ExpiringValue
from registry_core.db.pool import CONNECT_TIMEOUT
from registry_core.errors import CommitOutcomeUnknown, DatabaseUnavailable

if TYPE_CHECKING:
    from registry_core.model.registrar import Tld

T = TypeVar("T")
_log = logging.getLogger(__name__)
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
# The server is gone, going, not yet accepting, or the connection to it broke. OSError covers
# refused and reset connections, missing Unix sockets and (Python 3.11) TimeoutError.
# InternalClientError: a pooled connection the server has just terminated (its FATAL arrived,
# its end of stream not yet) refuses the next statement before sending it.
_BROKEN = (OSError, asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
           asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError, asyncpg.InternalClientError)
MAX_ATTEMPTS = 5
# TLD policy is read by nearly every command and changes rarely (README: a `registry tld set`
# by the CLI reaches running servers within this many seconds)
TLD_CACHE_SECONDS = 5.0
TldCache = ExpiringValue[dict[str, "Tld"]]


def _broken(exc: BaseException) -> bool:
    """Whether `exc` means the database is unreachable or the connection broke (as opposed
    to a refusal or a bug)."""
    if isinstance(exc, _BROKEN):
        return True
    # asyncpg reports use of a connection that has just closed as a bare InterfaceError
    return isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)


@dataclass
class Tx:
    """The open transaction handed to a service: its connection (for the repo only), the
    single `now` every rule in it uses, and its database's TLD policy cache (for the repo)."""

    conn: Any
    now: datetime
    tld_cache: TldCache


@dataclass
class _Attempt:
    committing: bool = False  # set once `fn` returned: a fault from here on has an unknown outcome


class Database:
    """One database (primary or replica) reached through `pool`. `tld_cache` is shared only
    by a Database over the same database and pool (a clock-shifted view, for instance).
    `dsn`, when known, lets a long-lived session (a LISTEN) connect outside the pool."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, *, tld_cache: TldCache | None = None,
                 dsn: str | None = None) -> None:
        self.pool = pool
        self.clock = clock
        self.dsn = dsn
        self.tld_cache: TldCache = ExpiringValue(TLD_CACHE_SECONDS) if tld_cache is None else tld_cache

    @contextlib.asynccontextmanager
    async def dedicated_session(self) -> AsyncIterator[Any]:
        """A session of its own for as long as the caller holds it (LISTEN): a connection
        outside the pool when the DSN is known (a small pool is not starved by it), else one
        taken from the pool; either way closed at the end, never handed back for reuse."""
        if self.dsn is None:
            async with self.pool.acquire() as conn:
                try:
                    yield conn
                finally:
                    conn.terminate()
            return
        conn = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
        try:
            yield conn
        finally:
            conn.terminate()

    async def transaction(self, fn: Callable[[Tx], Awaitable[T]], *, readonly: bool = False) -> T:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            state = _Attempt()
            try:
                if readonly:
                    return await self._read(fn)
                return await self._write(fn, state)
            except _RETRYABLE:
                if attempt == MAX_ATTEMPTS:
                    raise
            except Exception as exc:
                if not _broken(exc):
                    raise
                _fault(exc, state, last=attempt == MAX_ATTEMPTS)
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")

    async def snapshot(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """`fn` in one REPEATABLE READ, read-only transaction: every statement (cursors
        included) sees the same committed state, however long it reads (audits, deposits).
        Not retried: a long read is the caller's to run again."""
        async with self._connection() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            return await fn(Tx(conn, self.clock.now(), self.tld_cache))

    async def _read(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        # At READ COMMITTED every statement takes its own snapshot whether or not it runs
        # inside BEGIN/COMMIT, so a read-only command gains nothing from them but two round trips.
        async with self._connection() as conn:
            return await fn(Tx(conn, self.clock.now(), self.tld_cache))

    async def _write(self, fn: Callable[[Tx], Awaitable[T]], state: _Attempt) -> T:
        async with self._connection() as conn, conn.transaction():
            result = await fn(Tx(conn, self.clock.now(), self.tld_cache))
            state.committing = True
        return result

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """A pooled connection. Failing to get one is an outage whatever the cause: a broken
        connection or an unreachable server is retried by `transaction`; anything else the
        server or the pool says instead of a connection (the database refuses connections,
        the pool is closing) is DatabaseUnavailable at once."""
        try:
            conn = await self.pool.acquire()
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if _broken(exc):
                raise
            raise DatabaseUnavailable(f"no database connection: {exc.__class__.__name__}: {exc}") from exc
        try:
            yield conn
        finally:
            await self.pool.release(conn)

    async def close(self) -> None:
        await self.pool.close()


def _fault(exc: Exception, state: _Attempt, *, last: bool) -> None:
    """Decide about an attempt the database broke: raise, or return to retry it."""
    if state.committing:
        _log.error("connection lost during COMMIT; outcome unknown: %r", exc)
        raise CommitOutcomeUnknown(f"connection lost during COMMIT: {exc}") from exc
    if last or isinstance(exc, TimeoutError):  # a statement that timed out is not run again
        raise DatabaseUnavailable(f"database unavailable: {exc}") from exc
