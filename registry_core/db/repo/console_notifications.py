"""SQL of the registrar console's notifications page: a registrar's deliveries, newest
first, in keyset pages (by the delivery's id)."""

from __future__ import annotations

from typing import Any


async def fetch_deliveries(conn: Any, registrar_id: str, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT n.id, n.created_at, e.type, e.object_name, n.channel, n.target, n.status, n.attempts,
                  n.last_error, n.sent_at, n.next_attempt_at
           FROM notification n JOIN notification_event e ON e.id = n.event_id
           WHERE e.registrar_id = $1 AND ($2::bigint IS NULL OR n.id < $2)
           ORDER BY n.id DESC LIMIT $3""", registrar_id, before_id, limit)
    return [dict(r) for r in rows]
