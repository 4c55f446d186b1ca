"""SQL of the registrar console's poll-queue and transfer CSV exports: every row, from a
cursor (inside the snapshot the caller holds), so an export of any size holds one batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


async def iter_poll_messages(conn: Any, registrar_id: str, unacked_only: bool) -> AsyncIterator[dict[str, Any]]:
    async for row in conn.cursor(
            """SELECT id, created_at, kind, message, acked_at FROM poll_message
               WHERE registrar_id = $1 AND (NOT $2 OR acked_at IS NULL) ORDER BY id""",
            registrar_id, unacked_only, prefetch=1000):
        yield dict(row)


async def iter_transfers(conn: Any, registrar_id: str) -> AsyncIterator[dict[str, Any]]:
    """Every transfer the registrar gained or lost (domains and contacts), oldest first."""
    async for row in conn.cursor(
            """SELECT id, object_type, object_name, status, gaining_id, losing_id, requested_at, action_due,
                      acted_at, period_years, expires_at FROM transfer
               WHERE gaining_id = $1 OR losing_id = $1 ORDER BY id""", registrar_id, prefetch=1000):
        yield dict(row)
