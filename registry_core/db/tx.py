"""One command, one transaction, one retry point.

`Database.transaction(fn)` runs `fn(tx)` inside a READ COMMITTED transaction (rows are
locked explicitly with FOR UPDATE where races matter) and retries on serialization
failures and deadlocks. Nothing leaves the database before commit.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from registry_core.clock import Clock

T = TypeVar("T")
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
MAX_ATTEMPTS = 5


@dataclass
class Tx:
    """The open transaction handed to a service: its connection (for the repo only) and
    the single `now` every rule in it uses."""

    conn: Any
    now: datetime


class Database:
    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock

    async def transaction(self, fn: Callable[[Tx], Awaitable[T]], *, readonly: bool = False) -> T:
        if readonly:
            # At READ COMMITTED every statement takes its own snapshot whether or not it runs
            # inside BEGIN/COMMIT, so a read-only command gains nothing from them but two round trips.
            async with self.pool.acquire() as conn:
                return await fn(Tx(conn, self.clock.now()))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self.pool.acquire() as conn, conn.transaction(readonly=readonly):
                    return await fn(Tx(conn, self.clock.now()))
            except _RETRYABLE:
                if attempt == MAX_ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.pool.close()
