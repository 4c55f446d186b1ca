"""SQL for the domain lifecycle: grace periods, due transitions, purges and restore reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from registry_core.model.lifecycle import GracePeriod

_EXPIRY_DUE = """deleted_at IS NULL AND rgp_state IS NULL AND expires_at <= $1
    AND NOT ('pendingDelete' = ANY (statuses))"""
_RGP_DUE = "deleted_at IS NULL AND rgp_state IS NOT NULL AND rgp_until <= $1"


def _grace(row: Any) -> GracePeriod:
    return GracePeriod(row["id"], row["kind"], row["registrar_id"], row["ends_at"], row["amount"],
                       row["currency"], row["period_years"])


async def fetch_grace_periods(conn: Any, domain_id: int) -> list[GracePeriod]:
    rows = await conn.fetch("SELECT * FROM grace_period WHERE domain_id = $1 ORDER BY id", domain_id)
    return [_grace(r) for r in rows]


async def insert_grace_period(conn: Any, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(f"INSERT INTO grace_period ({', '.join(columns)}) VALUES ({params})", *values.values())


# A grace period closed at `now` leaves the live table for grace_period_ended, ending then
# (or at its planned end, if that came first): escrow deposits at past watermarks read it.
_CLOSE = """WITH gone AS (DELETE FROM grace_period WHERE {which} RETURNING id, domain_id, kind, starts_at, ends_at)
INSERT INTO grace_period_ended (id, domain_id, kind, starts_at, ends_at)
SELECT id, domain_id, kind, starts_at, greatest(starts_at, least(ends_at, $2)) FROM gone"""


async def delete_grace_periods(conn: Any, ids: list[int], now: datetime) -> None:
    if ids:
        await conn.execute(_CLOSE.format(which="id = ANY($1)"), ids, now)


async def delete_all_grace_periods(conn: Any, domain_id: int, now: datetime) -> None:
    await conn.execute(_CLOSE.format(which="domain_id = $1"), domain_id, now)


async def fetch_expiry_candidates(conn: Any, now: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of live domains whose expiry has come (auto-renew or expire), in id order."""
    rows = await conn.fetch(
        f"SELECT id FROM domain WHERE {_EXPIRY_DUE} AND id > $2 ORDER BY id LIMIT $3", now, after_id, limit)
    return [r["id"] for r in rows]


async def fetch_rgp_candidates(conn: Any, now: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of deleted domains whose redemption, restore window or pendingDelete has ended."""
    rows = await conn.fetch(
        f"SELECT id FROM domain WHERE {_RGP_DUE} AND id > $2 ORDER BY id LIMIT $3", now, after_id, limit)
    return [r["id"] for r in rows]


async def lock_due_domains(conn: Any, ids: list[int], now: datetime) -> list[dict[str, Any]]:
    """Those of `ids` a lifecycle transition is still due for and nobody else holds, locked,
    ordered by sponsor so that concurrent runners take registrar rows in one order. The
    condition is evaluated again on the newest row version once locked, so a transition
    another runner has just committed is never applied twice."""
    rows = await conn.fetch(
        f"""SELECT * FROM domain WHERE id = ANY($2::bigint[]) AND (({_EXPIRY_DUE}) OR ({_RGP_DUE}))
            ORDER BY sponsor_id, id FOR UPDATE SKIP LOCKED""", now, ids)
    return [dict(r) for r in rows]


async def fetch_due_transfer_candidates(conn: Any, now: datetime, after_id: int,
                                        limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, object_type, object_id FROM transfer
           WHERE status = 'pending' AND action_due <= $1 AND id > $2 ORDER BY id LIMIT $3""",
        now, after_id, limit)
    return [dict(r) for r in rows]


async def lock_object_if_free(conn: Any, object_type: str, object_id: int) -> dict[str, Any] | None:
    """A domain or contact row locked FOR UPDATE, or None when another transaction holds it."""
    table = {"domain": "domain", "contact": "contact"}[object_type]
    row = await conn.fetchrow(
        f"SELECT * FROM {table} WHERE id = $1 AND deleted_at IS NULL FOR UPDATE SKIP LOCKED", object_id)
    return None if row is None else dict(row)


async def fetch_due_pending_transfer(conn: Any, transfer_id: int, now: datetime) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT * FROM transfer WHERE id = $1 AND status = 'pending' AND action_due <= $2",
        transfer_id, now)
    return None if row is None else dict(row)


async def fetch_available_funds(conn: Any, registrar_id: str) -> Decimal:
    """Balance plus credit line, read without a lock (the charge itself is what the
    database refuses below the credit line; see registrars.change_balance)."""
    value = await conn.fetchval("SELECT balance + credit_limit FROM registrar WHERE id = $1", registrar_id)
    return Decimal(value)


async def purge_subordinate_hosts(conn: Any, domain_id: int,
                                  now: datetime) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
    """Delete the hosts below a purged domain and unlink them from every other domain that
    used them as name servers. Returns the hosts (id, name) and the links cut (domain id,
    name and sponsor, host name)."""
    rows = await conn.fetch(
        "SELECT id, name FROM host WHERE superordinate_id = $1 AND deleted_at IS NULL", domain_id)
    ids = [r["id"] for r in rows]
    if not ids:
        return [], []
    cut = await conn.fetch(
        """SELECT d.id AS domain_id, d.name AS domain_name, d.sponsor_id, h.name AS host_name
           FROM domain_host dh JOIN domain d ON d.id = dh.domain_id JOIN host h ON h.id = dh.host_id
           WHERE dh.host_id = ANY($1) AND dh.domain_id <> $2 AND d.deleted_at IS NULL
           ORDER BY d.id, h.name""", ids, domain_id)
    await conn.execute("DELETE FROM domain_host WHERE host_id = ANY($1)", ids)
    await conn.execute("DELETE FROM host_address WHERE host_id = ANY($1)", ids)
    await conn.execute("UPDATE host SET deleted_at = $2 WHERE id = ANY($1)", ids, now)
    return [(r["id"], r["name"]) for r in rows], [dict(r) for r in cut]


async def insert_restore_report(conn: Any, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(f"INSERT INTO restore_report ({', '.join(columns)}) VALUES ({params})",
                       *values.values())
