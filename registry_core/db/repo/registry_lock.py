"""SQL of registry lock: lock and unlock requests with their mailed code's digest, and the
domains under lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

_REQUEST_COLUMNS = """id, domain_id, domain_name, registrar_id, action, state, code_digest, reason, requested_by,
    requested_at, expires_at, confirmed_at, failed_tries"""


async def insert_lock_request(conn: Any, values: dict[str, Any]) -> dict[str, Any]:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(f"INSERT INTO registry_lock_request ({', '.join(columns)}) VALUES ({params}) "
                              f"RETURNING {_REQUEST_COLUMNS}", *values.values())
    return dict(row)


async def cancel_open_requests(conn: Any, domain_id: int) -> None:
    await conn.execute("UPDATE registry_lock_request SET state = 'cancelled' "
                       "WHERE domain_id = $1 AND state = 'requested'", domain_id)


async def fetch_lock_request(conn: Any, request_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_REQUEST_COLUMNS} FROM registry_lock_request WHERE id = $1{suffix}",
                              request_id)
    return None if row is None else dict(row)


async def update_lock_request(conn: Any, request_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=2))
    await conn.execute(f"UPDATE registry_lock_request SET {sets} WHERE id = $1", request_id, *values.values())


async def fetch_lock_requests(conn: Any, registrar_id: str | None, domain_name: str | None,
                              limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_REQUEST_COLUMNS} FROM registry_lock_request
            WHERE ($1::text IS NULL OR registrar_id = $1) AND ($2::text IS NULL OR domain_name = $2)
            ORDER BY id DESC LIMIT $3""", registrar_id, domain_name, limit)
    return [dict(r) for r in rows]


async def fetch_lock(conn: Any, domain_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT domain_id, domain_name, locked_at, request_id FROM registry_lock "
                              "WHERE domain_id = $1", domain_id)
    return None if row is None else dict(row)


async def fetch_lock_by_name(conn: Any, domain_name: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT domain_id, domain_name, locked_at, request_id FROM registry_lock "
                              "WHERE domain_name = $1", domain_name)
    return None if row is None else dict(row)


async def insert_lock(conn: Any, domain_id: int, domain_name: str, now: datetime, request_id: int | None) -> None:
    await conn.execute("""INSERT INTO registry_lock (domain_id, domain_name, locked_at, request_id)
                          VALUES ($1, $2, $3, $4) ON CONFLICT (domain_id) DO NOTHING""",
                       domain_id, domain_name, now, request_id)


async def delete_lock(conn: Any, domain_id: int) -> None:
    await conn.execute("DELETE FROM registry_lock WHERE domain_id = $1", domain_id)


async def fetch_locks(conn: Any, registrar_id: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT l.domain_id, l.domain_name, l.locked_at, l.request_id, d.sponsor_id AS registrar_id
           FROM registry_lock l JOIN domain d ON d.id = l.domain_id
           WHERE $1::text IS NULL OR d.sponsor_id = $1 ORDER BY l.domain_name LIMIT $2""", registrar_id, limit)
    return [dict(r) for r in rows]
