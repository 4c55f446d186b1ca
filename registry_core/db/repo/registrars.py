"""SQL for registrars, their pinned certificates and their money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from registry_core.db.repo.errors import credit_as_funds, unique_as_exists
from registry_core.model.registrar import Registrar

_COLUMNS = """r.id, r.name, r.iana_id, r.status, r.balance, r.credit_limit, r.currency,
    r.ip_allowlist, r.email, r.url, r.whois_server, r.abuse_email, r.abuse_phone,
    coalesce((SELECT array_agg(c.sha256 ORDER BY c.sha256) FROM registrar_certificate c
              WHERE c.registrar_id = r.id), '{}') AS fingerprints"""


def _registrar(row: Any) -> Registrar:
    return Registrar(row["id"], row["name"], row["iana_id"], row["status"], row["balance"],
                     row["credit_limit"], row["currency"], tuple(str(n) for n in row["ip_allowlist"]),
                     tuple(row["fingerprints"]), row["email"], row["url"], row["whois_server"],
                     row["abuse_email"], row["abuse_phone"])


async def fetch_registrar_by_id(conn: Any, registrar_id: str) -> Registrar | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM registrar r WHERE r.id = $1", registrar_id)
    return None if row is None else _registrar(row)


async def fetch_registrars(conn: Any) -> list[Registrar]:
    return [_registrar(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM registrar r ORDER BY r.id")]


async def fetch_password_hash(conn: Any, registrar_id: str) -> str | None:
    value = await conn.fetchval("SELECT password_hash FROM registrar WHERE id = $1", registrar_id)
    return None if value is None else str(value)


async def insert_registrar(conn: Any, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("registrar", str(values.get("id"))):
        await conn.execute(f"INSERT INTO registrar ({', '.join(columns)}) VALUES ({params})",
                           *values.values())


async def update_registrar(conn: Any, registrar_id: str, values: dict[str, Any], now: datetime) -> bool:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=3))
    status = await conn.execute(f"UPDATE registrar SET updated_at = $2, {sets} WHERE id = $1",
                                registrar_id, now, *values.values())
    return bool(status != "UPDATE 0")


async def insert_certificate(conn: Any, registrar_id: str, sha256: str, subject: str | None,
                             not_after: datetime | None = None) -> None:
    with unique_as_exists("certificate", sha256):
        await conn.execute(
            "INSERT INTO registrar_certificate (registrar_id, sha256, subject, not_after) VALUES ($1, $2, $3, $4)",
            registrar_id, sha256, subject, not_after)


async def change_balance(conn: Any, registrar_id: str, delta: Decimal) -> tuple[Decimal, Decimal | None]:
    """Add `delta` (negative for a charge) under the row lock; the CHECK constraint refuses
    a balance below the credit line. Returns (new balance, low-balance threshold)."""
    with credit_as_funds(registrar_id):
        row = await conn.fetchrow(
            "UPDATE registrar SET balance = balance + $2 WHERE id = $1 RETURNING balance, low_balance_alert",
            registrar_id, delta)
    return row["balance"], row["low_balance_alert"]


async def insert_ledger_row(conn: Any, row: dict[str, Any]) -> int:
    columns = list(row)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return int(await conn.fetchval(
        f"INSERT INTO ledger ({', '.join(columns)}) VALUES ({params}) RETURNING id", *row.values()))


async def fetch_ledger(conn: Any, registrar_id: str, start: datetime | None,
                       end: datetime | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, at, amount, currency, balance_after, action, object_type, object_name,
                  period_years, sv_trid, description
           FROM ledger WHERE registrar_id = $1 AND ($2::timestamptz IS NULL OR at >= $2)
             AND ($3::timestamptz IS NULL OR at < $3) ORDER BY id""",
        registrar_id, start, end)
    return [dict(r) for r in rows]


async def fetch_ledger_sum(conn: Any, registrar_id: str) -> Decimal:
    return Decimal(await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM ledger WHERE registrar_id = $1", registrar_id))
