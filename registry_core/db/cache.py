"""A value read from the database and kept in memory for a few seconds.

Each `Database` owns its caches, so a primary and a replica, or two test databases in one
process, never see each other's values. A write through this process drops the value at
once; a change made by another process (the operator CLI) is seen within `ttl` seconds."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ExpiringValue(Generic[T]):
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._value: tuple[float, T] | None = None
        self._generation = 0  # bumped by every invalidation

    async def get(self, load: Callable[[], Awaitable[T]]) -> T:
        """The kept value while fresh, else `load()`'s, kept unless an invalidation came
        while it was loading (the load may have read what the invalidating write replaced)."""
        now = time.monotonic()
        if self._value is not None and now - self._value[0] < self.ttl:
            return self._value[1]
        generation = self._generation
        value = await load()
        if generation == self._generation:
            self._value = (now, value)
        return value

    def invalidate(self) -> None:
        self._value = None
        self._generation += 1
