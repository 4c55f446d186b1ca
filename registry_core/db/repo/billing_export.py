"""SQL of the registrar console's billing pages: the newest ledger rows, and every row of
a period from a cursor (CSV export of any size without holding it in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

_COLUMNS = "id, at, action, amount, currency, balance_after, object_name, period_years, sv_trid, description"


async def fetch_recent_ledger(conn: Any, registrar_id: str, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM ledger WHERE registrar_id = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3""", registrar_id, before_id, limit)
    return [dict(r) for r in rows]


async def iter_ledger(conn: Any, registrar_id: str, start: datetime | None,
                      end: datetime | None) -> AsyncIterator[dict[str, Any]]:
    """The period's rows in order, from a cursor (inside a transaction)."""
    async for row in conn.cursor(
            f"""SELECT {_COLUMNS} FROM ledger WHERE registrar_id = $1 AND ($2::timestamptz IS NULL OR at >= $2)
                AND ($3::timestamptz IS NULL OR at < $3) ORDER BY id""", registrar_id, start, end, prefetch=1000):
        yield dict(row)


async def fetch_billing_settings(conn: Any, registrar_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT id, name, currency, balance, low_balance_alert FROM registrar WHERE id = $1",
                              registrar_id)
    return None if row is None else dict(row)


async def fetch_opening_balance(conn: Any, registrar_id: str, start: datetime) -> Decimal:
    """The balance at `start`: after the last row before it; before the first row after it;
    the balance now when there is no row at all."""
    return Decimal(await conn.fetchval(
        """SELECT coalesce(
               (SELECT balance_after FROM ledger WHERE registrar_id = $1 AND at < $2 ORDER BY id DESC LIMIT 1),
               (SELECT balance_after - amount FROM ledger WHERE registrar_id = $1 AND at >= $2 ORDER BY id LIMIT 1),
               (SELECT balance FROM registrar WHERE id = $1))""", registrar_id, start))


async def fetch_period_ledger(conn: Any, registrar_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM ledger WHERE registrar_id = $1 AND at >= $2 AND at < $3 ORDER BY id""",
        registrar_id, start, end)
    return [dict(r) for r in rows]


async def update_low_balance_alert(conn: Any, registrar_id: str, alert: Decimal | None, now: datetime) -> None:
    await conn.execute("UPDATE registrar SET low_balance_alert = $2, updated_at = $3 WHERE id = $1",
                       registrar_id, alert, now)
