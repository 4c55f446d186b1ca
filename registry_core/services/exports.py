"""Exports of any size (CSV of a registrar's domains, its ledger): rows read from a cursor
inside one snapshot and handed on a batch at a time, so memory holds one batch at most."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

Rows = list[dict[str, Any]]
Sink = Callable[[Rows], Awaitable[None]]
BATCH = 2000


async def in_batches(rows: AsyncIterator[dict[str, Any]], sink: Sink, size: int = BATCH) -> int:
    """Hand `rows` to `sink` in batches of `size`; the number of rows."""
    count, batch = 0, []
    async for row in rows:
        batch.append(row)
        if len(batch) == size:
            await sink(batch)
            count, batch = count + len(batch), []
    if batch:
        await sink(batch)
    return count + len(batch)
