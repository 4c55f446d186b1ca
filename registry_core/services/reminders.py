"""Reminders the lifecycle runner writes on each pass: a domain's expiry at the days its
TLD names (expiry_reminder_days, e.g. 30, 7, 1) and a registrar's pinned certificate
expiring in 30 and 7 days. Each reminder's key names the object, the date it is about and
the window, so reruns (every pass, a second runner) write each one once."""

from __future__ import annotations

from datetime import datetime

from registry_core.context import Core
from registry_core.db.repo import notify_prefs as repo
from registry_core.db.tx import Tx
from registry_core.model import notification as note
from registry_core.services.notifications import emit_many

BATCH = 1000


def _expiry_event(row: dict, now: datetime) -> note.Event:
    days = int(row["days"])
    key = f"{note.DOMAIN_EXPIRY_REMINDER}/{row['roid']}/{row['expires_at'].isoformat()}/{days}"
    return note.Event(note.DOMAIN_EXPIRY_REMINDER, note.registrar_audience(row["sponsor_id"]),
                      {"domain": row["name"], "registrar": row["sponsor_id"], "expiry": row["expires_at"],
                       "days": days, "days_left": (row["expires_at"] - now).days},
                      "domain", row["name"], row["roid"], key=key)


async def send_expiry_reminders(core: Core, now: datetime, batch: int = BATCH) -> int:
    """Write the due expiry reminders, `batch` domains per transaction; how many were looked at."""
    after, seen = 0, 0
    while True:
        async def run(tx: Tx, after: int = after) -> list[dict]:
            rows = await repo.fetch_expiry_reminder_candidates(tx.conn, now, after, batch)
            await emit_many(tx, "reminders", [_expiry_event(r, now) for r in rows])
            return rows
        rows = await core.db.transaction(run)
        seen += len(rows)
        if len(rows) < batch:
            return seen
        after = rows[-1]["id"]


def _certificate_event(row: dict, days: int) -> note.Event:
    key = f"{note.CERTIFICATE_EXPIRING}/{row['sha256']}/{row['not_after'].isoformat()}/{days}"
    return note.Event(note.CERTIFICATE_EXPIRING, note.registrar_audience(row["registrar_id"]),
                      {"registrar": row["registrar_id"], "sha256": row["sha256"], "subject": row["subject"],
                       "not_after": row["not_after"], "days": days}, "registrar", row["registrar_id"], key=key)


async def send_certificate_reminders(core: Core, now: datetime) -> int:
    """One reminder per certificate and window (the smallest window it is in)."""
    async def run(tx: Tx) -> int:
        events: dict[str, note.Event] = {}
        for days in sorted(note.CERTIFICATE_REMINDER_DAYS, reverse=True):
            for row in await repo.fetch_expiring_certificates(tx.conn, now, days):
                events[row["sha256"]] = _certificate_event(row, days)
        await emit_many(tx, "reminders", list(events.values()))
        return len(events)
    return await core.db.transaction(run)


async def send_reminders(core: Core, now: datetime) -> int:
    return await send_expiry_reminders(core, now) + await send_certificate_reminders(core, now)
