"""SQL for contact objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry_core.db.repo.errors import unique_as_exists


async def next_contact_id(conn: Any) -> int:
    return int(await conn.fetchval("SELECT nextval('contact_id_seq')"))


async def insert_contact(conn: Any, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("contact", str(values["handle"])):
        await conn.execute(f"INSERT INTO contact ({', '.join(columns)}) VALUES ({params})", *values.values())


async def fetch_contact_by_handle(conn: Any, handle: str, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT * FROM contact WHERE handle = $1 AND deleted_at IS NULL{suffix}", handle)
    return None if row is None else dict(row)


async def fetch_contact_by_id(conn: Any, contact_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM contact WHERE id = $1 AND deleted_at IS NULL", contact_id)
    return None if row is None else dict(row)


async def fetch_contact_ids_by_handles(conn: Any, handles: list[str]) -> dict[str, int]:
    """Live contacts among `handles`, locked FOR SHARE so they cannot be deleted under us."""
    rows = await conn.fetch(
        "SELECT handle, id FROM contact WHERE handle = ANY($1) AND deleted_at IS NULL FOR SHARE", handles)
    return {r["handle"]: r["id"] for r in rows}


async def fetch_existing_handles(conn: Any, handles: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT handle FROM contact WHERE handle = ANY($1) AND deleted_at IS NULL", handles)
    return {r["handle"] for r in rows}


async def contact_is_linked(conn: Any, contact_id: int) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM domain_contact dc JOIN domain d ON d.id = dc.domain_id
                          WHERE dc.contact_id = $1 AND d.deleted_at IS NULL)
               OR EXISTS (SELECT 1 FROM domain WHERE registrant_id = $1 AND deleted_at IS NULL)""",
        contact_id))


async def update_contact(conn: Any, contact_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=2))
    await conn.execute(f"UPDATE contact SET {sets} WHERE id = $1", contact_id, *values.values())


async def mark_contact_deleted(conn: Any, contact_id: int, now: datetime) -> None:
    await conn.execute("UPDATE contact SET deleted_at = $2 WHERE id = $1", contact_id, now)
