"""SQL of access requests for redacted registration data (NIS2 Art. 28(5))."""

from __future__ import annotations

from datetime import datetime
from typing import Any

_COLUMNS = """id, domain_name, requester, requester_email, purpose, fields_requested, received_at, due_at, decision,
    fields_disclosed, decided_by, decided_at, reason, alerted_at"""


async def insert_access_request(conn: Any, values: dict[str, Any]) -> dict[str, Any]:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(f"INSERT INTO access_request ({', '.join(columns)}) VALUES ({params}) "
                              f"RETURNING {_COLUMNS}", *values.values())
    return dict(row)


async def fetch_access_request(conn: Any, request_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM access_request WHERE id = $1{suffix}", request_id)
    return None if row is None else dict(row)


async def update_access_request(conn: Any, request_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=2))
    await conn.execute(f"UPDATE access_request SET {sets} WHERE id = $1", request_id, *values.values())


async def fetch_access_requests(conn: Any, now: datetime, overdue_only: bool, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM access_request
            WHERE NOT $2 OR (decision IS NULL AND due_at < $1)
            ORDER BY (decision IS NULL) DESC, due_at, id LIMIT $3""", now, overdue_only, limit)
    return [dict(r) for r in rows]


async def claim_unalerted_overdue(conn: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Overdue open requests not alerted yet, marked alerted (in the caller's transaction)."""
    rows = await conn.fetch(
        f"""UPDATE access_request SET alerted_at = $1
            WHERE id IN (SELECT id FROM access_request WHERE decision IS NULL AND due_at < $1 AND alerted_at IS NULL
                         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""", now, limit)
    return [dict(r) for r in rows]
