"""SQL of who hears what: webhook endpoints (secrets as the caller encrypted them) and the
channel preferences per audience and event type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry_core.model.notification import NotifyPref, WebhookEndpoint, registrar_audience


def _endpoint(row: Any) -> WebhookEndpoint:
    owner = row["registrar_id"]
    return WebhookEndpoint(row["id"], registrar_audience(owner) if owner else "operator", row["url"],
                           row["created_at"], row["rotated_at"], row["previous_valid_until"])


async def insert_endpoint(conn: Any, registrar_id: str | None, url: str, secret: bytes, now: datetime) -> int:
    return int(await conn.fetchval(
        """INSERT INTO webhook_endpoint (registrar_id, url, secret, created_at) VALUES ($1, $2, $3, $4)
           RETURNING id""", registrar_id, url, secret, now))


async def fetch_endpoints_of(conn: Any, registrar_id: str | None) -> list[WebhookEndpoint]:
    rows = await conn.fetch(
        """SELECT * FROM webhook_endpoint WHERE registrar_id IS NOT DISTINCT FROM $1 AND removed_at IS NULL
           ORDER BY id""", registrar_id)
    return [_endpoint(r) for r in rows]


async def fetch_endpoint_for_update(conn: Any, registrar_id: str | None, endpoint_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT * FROM webhook_endpoint WHERE id = $2 AND registrar_id IS NOT DISTINCT FROM $1
             AND removed_at IS NULL FOR UPDATE""", registrar_id, endpoint_id)
    return None if row is None else dict(row)


async def set_endpoint_secret(conn: Any, endpoint_id: int, secret: bytes) -> None:
    await conn.execute("UPDATE webhook_endpoint SET secret = $2 WHERE id = $1", endpoint_id, secret)


async def rotate_endpoint_secret(conn: Any, endpoint_id: int, secret: bytes, previous: bytes,
                                 valid_until: datetime, now: datetime) -> None:
    await conn.execute(
        """UPDATE webhook_endpoint SET secret = $2, previous_secret = $3, previous_valid_until = $4,
                  rotated_at = $5 WHERE id = $1""", endpoint_id, secret, previous, valid_until, now)


async def remove_endpoint(conn: Any, endpoint_id: int, now: datetime) -> None:
    await conn.execute("UPDATE webhook_endpoint SET removed_at = $2 WHERE id = $1", endpoint_id, now)


async def upsert_pref(conn: Any, pref: NotifyPref) -> None:
    await conn.execute(
        """INSERT INTO notification_pref (audience, event_type, emails, webhooks) VALUES ($1, $2, $3, $4)
           ON CONFLICT (audience, event_type) DO UPDATE SET emails = excluded.emails, webhooks = excluded.webhooks""",
        pref.audience, pref.event_type, None if pref.emails is None else list(pref.emails),
        None if pref.webhooks is None else list(pref.webhooks))


async def delete_pref(conn: Any, audience: str, event_type: str) -> bool:
    status = await conn.execute("DELETE FROM notification_pref WHERE audience = $1 AND event_type = $2",
                                audience, event_type)
    return bool(status == "DELETE 1")


async def fetch_prefs(conn: Any, audience: str) -> list[NotifyPref]:
    rows = await conn.fetch("SELECT * FROM notification_pref WHERE audience = $1 ORDER BY event_type", audience)
    return [NotifyPref(r["audience"], r["event_type"], None if r["emails"] is None else tuple(r["emails"]),
                       None if r["webhooks"] is None else tuple(r["webhooks"])) for r in rows]


async def fetch_expiry_reminder_candidates(conn: Any, now: datetime, after: int, limit: int) -> list[dict[str, Any]]:
    """Live domains (not pending delete) whose expiry lies within one of their TLD's reminder
    windows, `limit` after id `after`: with the days of the window they are in."""
    rows = await conn.fetch(
        """SELECT d.id, d.name, d.roid, d.sponsor_id, d.expires_at, min(days) AS days
           FROM domain d JOIN tld t ON t.name = d.tld, unnest(t.expiry_reminder_days) AS days
           WHERE d.deleted_at IS NULL AND d.rgp_state IS NULL AND d.id > $2
             AND d.expires_at > $1 AND d.expires_at <= $1 + make_interval(days => days)
           GROUP BY d.id ORDER BY d.id LIMIT $3""", now, after, limit)
    return [dict(r) for r in rows]


async def fetch_expiring_certificates(conn: Any, now: datetime, days: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT registrar_id, sha256, subject, not_after FROM registrar_certificate
           WHERE not_after > $1 AND not_after <= $1 + make_interval(days => $2) ORDER BY registrar_id, sha256""",
        now, days)
    return [dict(r) for r in rows]
