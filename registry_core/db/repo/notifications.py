"""SQL of the notification outbox: writing an event with its deliveries (one statement,
inside the caller's transaction), claiming due deliveries under a lease, recording what
happened, and what the operator's commands read and reset."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from registry_core.model.notification import DeliveryOutcome, Event, jsonable

# The event, the poll message (when the event has one), the poll delivery (sent at once)
# and one queued delivery per e-mail address and webhook endpoint the audience's
# preference names: the exact type's row, else '*', else the defaults (the registrar's
# address, every live endpoint). A key seen before writes nothing.
_INSERT_EVENT = """
WITH ev AS (
    INSERT INTO notification_event (key, type, object_kind, object_name, object_roid, audience, registrar_id,
                                    payload, occurred_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key, type, audience, registrar_id
), pref AS (
    SELECT p.emails, p.webhooks FROM notification_pref p, ev
    WHERE p.audience = ev.audience AND p.event_type IN (ev.type, '*')
    ORDER BY p.event_type = '*' LIMIT 1
), poll AS (
    INSERT INTO poll_message (registrar_id, created_at, kind, message, payload)
    SELECT ev.registrar_id, $9, $10, $11, $8 FROM ev WHERE $10::text IS NOT NULL AND ev.registrar_id IS NOT NULL
    RETURNING id
), targets AS (
    SELECT 'email' AS channel, address AS target, NULL::bigint AS poll_id
    FROM unnest(coalesce((SELECT emails FROM pref),
                         (SELECT ARRAY[r.email] FROM registrar r, ev
                          WHERE r.id = ev.registrar_id AND coalesce(r.email, '') <> ''),
                         '{}')) AS address
    UNION ALL
    SELECT 'webhook', w.id::text, NULL FROM webhook_endpoint w, ev
    WHERE w.removed_at IS NULL AND w.registrar_id IS NOT DISTINCT FROM ev.registrar_id
      AND ((SELECT webhooks FROM pref) IS NULL OR w.id = ANY (coalesce((SELECT webhooks FROM pref), '{}'::bigint[])))
    UNION ALL
    SELECT 'poll', ev.registrar_id, poll.id FROM ev, poll
)
INSERT INTO notification (event_id, channel, target, key, status, next_attempt_at, created_at, sent_at,
                          poll_message_id)
SELECT ev.id, t.channel, t.target,
       'msg_' || encode(substr(sha256(convert_to(ev.key || '|' || t.channel || '|' || t.target, 'UTF8')), 1, 16),
                        'hex'),
       CASE WHEN t.channel = 'poll' THEN 'sent' ELSE 'queued' END, $9, $9,
       CASE WHEN t.channel = 'poll' THEN $9::timestamptz END, t.poll_id
FROM ev, targets t
"""


async def insert_event(conn: Any, event: Event, key: str, registrar_id: str | None, now: datetime) -> None:
    poll = event.poll
    await conn.execute(_INSERT_EVENT, key, event.type, event.object_kind, event.object_name, event.object_roid,
                       event.audience, registrar_id, jsonable(event.payload), now,
                       poll.kind if poll else None, poll.message if poll else None)


_CLAIM = """
WITH due AS (
    SELECT id FROM notification
    WHERE status IN ('queued', 'failed') AND next_attempt_at <= $1 AND channel = ANY ($5::text[])
    ORDER BY next_attempt_at, id LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE notification n SET lease_token = $3, next_attempt_at = $1 + $4::interval, attempts = n.attempts + 1
FROM due, notification_event e
WHERE n.id = due.id AND e.id = n.event_id
RETURNING n.id, n.channel, n.target, n.key, n.attempts, e.type, e.occurred_at, e.audience, e.payload
"""


async def claim_due(conn: Any, now: datetime, limit: int, token: UUID, lease: timedelta,
                    channels: list[str]) -> list[dict[str, Any]]:
    """Take up to `limit` due deliveries (SKIP LOCKED: rows another dispatcher is claiming
    are left to it) and lease them to `token` until now + lease."""
    return [dict(r) for r in await conn.fetch(_CLAIM, now, limit, token, lease, channels)]


async def fetch_endpoints(conn: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, url, secret, previous_secret, previous_valid_until FROM webhook_endpoint
           WHERE id = ANY ($1::bigint[]) AND removed_at IS NULL""", ids)
    return {r["id"]: dict(r) for r in rows}


async def mark_sent(conn: Any, token: UUID, ids: list[int], now: datetime) -> int:
    """Only rows still under this lease: one whose lease ran out belongs to whoever took it."""
    status = await conn.execute(
        """UPDATE notification SET status = 'sent', sent_at = $3, lease_token = NULL, last_error = NULL
           WHERE id = ANY ($2::bigint[]) AND lease_token = $1""", token, ids, now)
    return int(status.split()[-1])


async def mark_failed(conn: Any, token: UUID, outcome: DeliveryOutcome, retry_at: datetime | None) -> None:
    await conn.execute(
        """UPDATE notification SET status = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
                  next_attempt_at = coalesce($3, next_attempt_at), last_error = left($4, 2000), lease_token = NULL
           WHERE id = $2 AND lease_token = $1""", token, outcome.row_id, retry_at, outcome.error)


async def fetch_created_at(conn: Any, ids: list[int]) -> dict[int, datetime]:
    rows = await conn.fetch("SELECT id, created_at FROM notification WHERE id = ANY ($1::bigint[])", ids)
    return {r["id"]: r["created_at"] for r in rows}


async def fetch_next_due(conn: Any, channels: list[str]) -> datetime | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        """SELECT min(next_attempt_at) FROM notification
           WHERE status IN ('queued', 'failed') AND channel = ANY ($1::text[])""", channels)


async def fetch_status(conn: Any, now: datetime) -> tuple[dict[str, int], float]:
    """Rows per channel/status (sent ones too) and the age in seconds of the oldest
    delivery still waiting."""
    rows = await conn.fetch("SELECT channel, status, count(*) AS n FROM notification GROUP BY 1, 2")
    oldest = await conn.fetchval(
        "SELECT min(created_at) FROM notification WHERE status IN ('queued', 'failed')")
    age = (now - oldest).total_seconds() if oldest else 0.0
    return {f"{r['channel']}/{r['status']}": int(r["n"]) for r in rows}, max(0.0, age)


_LISTED = """SELECT n.id, n.channel, n.target, n.key, n.status, n.attempts, n.next_attempt_at, n.last_error,
                    n.created_at, n.sent_at, e.type, e.audience, e.object_name, e.payload, e.key AS event_key
             FROM notification n JOIN notification_event e ON e.id = n.event_id"""


async def fetch_notifications(conn: Any, status: str | None, audience: str | None,
                              limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        _LISTED + """ WHERE ($1::text IS NULL OR n.status = $1) AND ($2::text IS NULL OR e.audience = $2)
                     ORDER BY n.id DESC LIMIT $3""", status, audience, limit)
    return [dict(r) for r in rows]


async def fetch_notification_by_id(conn: Any, row_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(_LISTED + " WHERE n.id = $1", row_id)
    return None if row is None else dict(row)


async def requeue(conn: Any, row_id: int | None, since: datetime | None, now: datetime,
                  statuses: list[str]) -> int:
    """Queue again for delivery now: one row (any status but poll), or every email/webhook
    delivery created since `since` whose status is one of `statuses` (a replay)."""
    status = await conn.execute(
        """UPDATE notification SET status = 'queued', next_attempt_at = $3, lease_token = NULL, attempts = 0,
                  created_at = $3
           WHERE channel <> 'poll' AND status = ANY ($4::text[])
             AND (($1::bigint IS NOT NULL AND id = $1) OR ($1::bigint IS NULL AND created_at >= $2))""",
        row_id, since, now, statuses)
    return int(status.split()[-1])
