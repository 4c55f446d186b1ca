"""SQL of the notification outbox: writing an event with its deliveries (one statement,
inside the caller's transaction), claiming due deliveries under a lease, recording what
happened, and what the operator's commands read and reset."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from registry_core.model.notification import QUIET_BY_DEFAULT, DeliveryOutcome, Event, jsonable

_QUIET = "ARRAY[" + ", ".join(f"'{t}'" for t in QUIET_BY_DEFAULT) + "]::text[]"  # constants, no input

# Who hears an event (`ev`: id, key, type, audience, registrar_id): one e-mail row per address
# and one webhook row per endpoint that the audience's preference names (the exact type's
# row, else '*'), else the defaults: the registrar's address (not for what it did itself:
# QUIET_BY_DEFAULT), every live endpoint.
_PREF = """(SELECT p.{column} FROM notification_pref p WHERE p.audience = ev.audience
            AND p.event_type IN (ev.type, '*') ORDER BY p.event_type = '*' LIMIT 1)"""
_TARGETS = f"""
    SELECT ev.id AS event_id, ev.key, 'email' AS channel, address AS target, NULL::bigint AS poll_id
    FROM ev CROSS JOIN LATERAL unnest(coalesce({_PREF.format(column="emails")},
        (SELECT ARRAY[r.email] FROM registrar r WHERE r.id = ev.registrar_id AND coalesce(r.email, '') <> ''
                                                      AND ev.type <> ALL ({_QUIET})),
        '{{}}')) AS address
    UNION ALL
    SELECT ev.id, ev.key, 'webhook', w.id::text, NULL FROM ev
    JOIN webhook_endpoint w ON w.removed_at IS NULL AND w.registrar_id IS NOT DISTINCT FROM ev.registrar_id
    WHERE coalesce(w.id = ANY ({_PREF.format(column="webhooks")}::bigint[]), true)"""
# the delivery key (the webhook-id): a digest of the event key, channel and target
_DELIVERIES = """
INSERT INTO notification (event_id, channel, target, key, status, next_attempt_at, created_at, sent_at,
                          poll_message_id)
SELECT t.event_id, t.channel, t.target,
       'msg_' || encode(substr(sha256(convert_to(t.key || '|' || t.channel || '|' || t.target, 'UTF8')), 1, 16),
                        'hex'),
       CASE WHEN t.channel = 'poll' THEN 'sent' ELSE 'queued' END, $now, $now,
       CASE WHEN t.channel = 'poll' THEN $now END, t.poll_id
FROM targets t"""
_EVENT_COLUMNS = "key, type, object_kind, object_name, object_roid, audience, registrar_id, payload, occurred_at"

# One event: the event row, its poll message (the poll channel's delivery, sent at once, so
# the queue EPP <poll> reads gets its rows, ids and order as it always did) and the rest.
# A key seen before writes nothing.
_INSERT_EVENT = f"""
WITH ev AS (
    INSERT INTO notification_event ({_EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key, type, audience, registrar_id
), poll AS (
    INSERT INTO poll_message (registrar_id, created_at, kind, message, payload)
    SELECT ev.registrar_id, $9, $10, $11, $12 FROM ev WHERE $10::text IS NOT NULL AND ev.registrar_id IS NOT NULL
    RETURNING id
), targets AS ({_TARGETS}
    UNION ALL
    SELECT ev.id, ev.key, 'poll', ev.registrar_id, poll.id FROM ev, poll
){_DELIVERIES.replace("$now", "$9::timestamptz")}
"""

# Many events without poll messages (reminders, DNS publications) in one statement.
_INSERT_EVENTS = f"""
WITH ev AS (
    INSERT INTO notification_event ({_EVENT_COLUMNS})
    SELECT key, type, object_kind, object_name, object_roid, audience, registrar_id, payload, $2
    FROM jsonb_to_recordset($1::jsonb) AS i(key text, type text, object_kind text, object_name text,
                                             object_roid text, audience text, registrar_id text, payload jsonb)
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key, type, audience, registrar_id
), targets AS ({_TARGETS}
){_DELIVERIES.replace("$now", "$2::timestamptz")}
"""


async def insert_event(conn: Any, event: Event, key: str, registrar_id: str | None, now: datetime) -> None:
    poll = event.poll
    await conn.execute(_INSERT_EVENT, key, event.type, event.object_kind, event.object_name, event.object_roid,
                       event.audience, registrar_id, jsonable(event.payload), now,
                       poll.kind if poll else None, poll.message if poll else None,
                       jsonable(event.payload if poll is None or poll.payload is None else poll.payload))


async def insert_events(conn: Any, events: list[tuple[Event, str, str | None]], now: datetime) -> None:
    """(event, key, registrar id) each; the events' poll entries are not written here."""
    rows = [{"key": key, "type": e.type, "object_kind": e.object_kind, "object_name": e.object_name,
             "object_roid": e.object_roid, "audience": e.audience, "registrar_id": registrar_id,
             "payload": jsonable(e.payload)} for e, key, registrar_id in events]
    if rows:
        await conn.execute(_INSERT_EVENTS, rows, now)


CHANNEL = "registry_notification"  # NOTIFY after each commit that queued a delivery

# Due rows, at most `per_target` per (channel, target), none for the targets in `busy`
# (this dispatcher already has its fill of them under way), oldest first; SKIP LOCKED
# leaves rows another dispatcher is claiming to it. FOR UPDATE re-checks the row's status
# and due time on the locked version, so a row claimed meanwhile is not taken again.
_CLAIM = """
WITH candidates AS (
    SELECT id, row_number() OVER (PARTITION BY channel, target ORDER BY next_attempt_at, id) AS place
    FROM (SELECT id, channel, target, next_attempt_at FROM notification
          WHERE status IN ('queued', 'failed') AND next_attempt_at <= $1 AND channel = ANY ($5::text[])
            AND NOT (channel || ' ' || target = ANY ($7::text[]))
          ORDER BY next_attempt_at, id LIMIT $2 * 4) AS due
), claimed AS (
    SELECT n.id FROM notification n JOIN candidates c ON c.id = n.id
    WHERE c.place <= $6 AND n.status IN ('queued', 'failed') AND n.next_attempt_at <= $1
    ORDER BY n.next_attempt_at, n.id LIMIT $2
    FOR UPDATE OF n SKIP LOCKED
)
UPDATE notification n SET lease_token = $3, next_attempt_at = $1 + $4::interval, attempts = n.attempts + 1
FROM claimed, notification_event e
WHERE n.id = claimed.id AND e.id = n.event_id
RETURNING n.id, n.channel, n.target, n.key, n.attempts, e.type, e.occurred_at, e.audience, e.payload
"""


async def claim_due(conn: Any, now: datetime, limit: int, token: UUID, lease: timedelta, channels: list[str],
                    per_target: int, busy: list[str]) -> list[dict[str, Any]]:
    """Lease up to `limit` due deliveries to `token` until now + lease. `busy` holds
    "channel target" strings to leave alone."""
    rows = await conn.fetch(_CLAIM, now, limit, token, lease, channels, per_target, busy)
    return [dict(r) for r in rows]


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
    return await conn.fetchval(
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


async def fetch_domain_sponsors(conn: Any, tld: str, names: list[str]) -> list[dict[str, Any]]:
    """The newest domain row of each name (live, or deleted and not yet re-registered)."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (name) name, roid, sponsor_id, deleted_at FROM domain
           WHERE tld = $1 AND name = ANY ($2::text[]) ORDER BY name, id DESC""", tld, names)
    return [dict(r) for r in rows]


async def delete_finished_events(conn: Any, before: datetime, limit: int) -> int:
    """Delete up to `limit` of the oldest events that occurred before `before` and have no
    delivery still to make (every row sent or dead), with their delivery rows (ON DELETE
    CASCADE). Poll messages are the registrar's queue and stay (their link is set NULL)."""
    status = await conn.execute(
        """WITH doomed AS (
               SELECT ev.id FROM notification_event ev
               WHERE ev.occurred_at < $1
                 AND NOT EXISTS (SELECT 1 FROM notification n
                                 WHERE n.event_id = ev.id AND n.status IN ('queued', 'failed'))
               ORDER BY ev.occurred_at LIMIT $2
               FOR UPDATE SKIP LOCKED)
           DELETE FROM notification_event ev USING doomed WHERE ev.id = doomed.id""", before, limit)
    return int(status.split()[-1])
