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


UNREAD_CAP = 1000  # the dashboard says "1000+" beyond: counting further costs and tells nothing


async def count_unread_events(conn: Any, registrar_id: str, user_id: int) -> int:
    """The registrar's notification events after the last one the user saw (capped)."""
    return int(await conn.fetchval(
        """SELECT count(*) FROM (SELECT 1 FROM notification_event
                                  WHERE registrar_id = $1
                                    AND id > (SELECT notifications_seen_id FROM console_user WHERE id = $2)
                                  LIMIT $3) unread""", registrar_id, user_id, UNREAD_CAP))


async def mark_events_seen(conn: Any, registrar_id: str, user_id: int) -> None:
    """The user has now seen every event of the registrar so far."""
    await conn.execute(
        """UPDATE console_user SET notifications_seen_id = greatest(notifications_seen_id, coalesce(
               (SELECT max(id) FROM notification_event WHERE registrar_id = $1), 0))
           WHERE id = $2 AND registrar_id = $1""", registrar_id, user_id)
