"""SQL of registrant verification: one row per contact, and the domains held for want of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

_COLUMNS = """contact_id, handle, state, method, fields, code_digest, requested_at, expires_at, document_ref,
    decided_by, decided_at, note"""


async def fetch_verification(conn: Any, contact_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM contact_verification WHERE contact_id = $1{suffix}",
                              contact_id)
    return None if row is None else dict(row)


async def upsert_verification(conn: Any, contact_id: int, handle: str, values: dict[str, Any]) -> None:
    columns = ["contact_id", "handle", *values]
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ["handle", *values])
    await conn.execute(f"INSERT INTO contact_verification ({', '.join(columns)}) VALUES ({params}) "
                       f"ON CONFLICT (contact_id) DO UPDATE SET {updates}", contact_id, handle, *values.values())


async def fetch_verifications(conn: Any, state: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"""SELECT {_COLUMNS} FROM contact_verification WHERE $1::text IS NULL OR state = $1
                                ORDER BY requested_at DESC NULLS LAST, handle LIMIT $2""", state, limit)
    return [dict(r) for r in rows]


async def expire_verifications(conn: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """UPDATE contact_verification SET state = 'expired', code_digest = NULL
           WHERE contact_id IN (SELECT contact_id FROM contact_verification
                                WHERE state IN ('requested', 'pending_review') AND expires_at < $1
                                LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING contact_id, handle""", now, limit)
    return [dict(r) for r in rows]


# Live domains of TLDs that require a verified registrant within N days, older than that,
# whose registrant is not verified, not on serverHold already.
_UNVERIFIED_DUE = """
SELECT d.id, d.name, d.statuses, d.registrant_id FROM domain d
JOIN tld t ON t.name = d.tld AND t.verification <> 'none' AND t.verification_days IS NOT NULL
LEFT JOIN contact_verification v ON v.contact_id = d.registrant_id
WHERE d.deleted_at IS NULL AND d.created_at + make_interval(days => t.verification_days) < $1
  AND coalesce(v.state, 'unverified') <> 'verified' AND NOT ('serverHold' = ANY (d.statuses))
  AND d.registrant_id IS NOT NULL
ORDER BY d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED"""


async def fetch_unverified_due(conn: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_UNVERIFIED_DUE, now, limit)]


async def insert_hold(conn: Any, domain_id: int, contact_id: int, now: datetime) -> None:
    await conn.execute("INSERT INTO verification_hold (domain_id, contact_id, held_at) VALUES ($1, $2, $3) "
                       "ON CONFLICT (domain_id) DO NOTHING", domain_id, contact_id, now)


async def take_holds_of(conn: Any, contact_id: int) -> list[dict[str, Any]]:
    """The held domains of a contact, their hold rows deleted, the domains locked."""
    rows = await conn.fetch(
        """WITH gone AS (DELETE FROM verification_hold WHERE contact_id = $1 RETURNING domain_id)
           SELECT d.id, d.name, d.statuses FROM domain d JOIN gone ON gone.domain_id = d.id
           ORDER BY d.id FOR UPDATE OF d""", contact_id)
    return [dict(r) for r in rows]
