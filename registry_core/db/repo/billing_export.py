"""SQL of the registrar console's billing pages: the newest ledger rows, and every row of
a period from a cursor (CSV export of any size without holding it in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
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
