"""SQL for host objects and their addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry_core.db.repo.errors import unique_as_exists


async def next_host_id(conn: Any) -> int:
    return int(await conn.fetchval("SELECT nextval('host_id_seq')"))


async def insert_host(conn: Any, values: dict[str, Any], addresses: list[str]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("host", str(values["name"])):
        await conn.execute(f"INSERT INTO host ({', '.join(columns)}) VALUES ({params})", *values.values())
    await insert_addresses(conn, int(values["id"]), addresses)


async def insert_addresses(conn: Any, host_id: int, addresses: list[str]) -> None:
    if addresses:
        await conn.executemany("INSERT INTO host_address (host_id, address) VALUES ($1, $2::inet)",
                               [(host_id, a) for a in addresses])


async def delete_addresses(conn: Any, host_id: int, addresses: list[str]) -> None:
    await conn.execute("DELETE FROM host_address WHERE host_id = $1 AND address = ANY($2::inet[])",
                       host_id, addresses)


async def fetch_host_by_name(conn: Any, name: str, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE OF h" if lock else ""
    row = await conn.fetchrow(
        f"""SELECT h.*, d.name AS superordinate_name,
                   coalesce((SELECT array_agg(host(a.address) ORDER BY family(a.address), a.address)
                             FROM host_address a WHERE a.host_id = h.id), '{{}}') AS addresses
            FROM host h LEFT JOIN domain d ON d.id = h.superordinate_id
            WHERE h.name = $1 AND h.deleted_at IS NULL{suffix}""", name)
    return None if row is None else dict(row)


async def fetch_host_ids_by_names(conn: Any, names: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT name, id FROM host WHERE name = ANY($1) AND deleted_at IS NULL FOR SHARE", names)
    return {r["name"]: r["id"] for r in rows}


async def fetch_existing_host_names(conn: Any, names: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT name FROM host WHERE name = ANY($1) AND deleted_at IS NULL", names)
    return {r["name"] for r in rows}


async def host_is_linked(conn: Any, host_id: int) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM domain_host dh JOIN domain d ON d.id = dh.domain_id
                          WHERE dh.host_id = $1 AND d.deleted_at IS NULL)""", host_id))


async def update_host(conn: Any, host_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=2))
    name = str(values.get("name", ""))
    with unique_as_exists("host", name):
        await conn.execute(f"UPDATE host SET {sets} WHERE id = $1", host_id, *values.values())


async def mark_host_deleted(conn: Any, host_id: int, now: datetime) -> None:
    await conn.execute("UPDATE host SET deleted_at = $2 WHERE id = $1", host_id, now)
    await conn.execute("DELETE FROM host_address WHERE host_id = $1", host_id)


async def fetch_subordinate_host_names(conn: Any, domain_id: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT name FROM host WHERE superordinate_id = $1 AND deleted_at IS NULL ORDER BY name", domain_id)
    return [r["name"] for r in rows]


async def set_hosts_sponsor(conn: Any, domain_id: int, sponsor_id: str, now: datetime) -> None:
    """Subordinate hosts follow their domain on transfer (RFC 5732 section 1.1)."""
    await conn.execute(
        """UPDATE host SET sponsor_id = $2, transferred_at = $3
           WHERE superordinate_id = $1 AND deleted_at IS NULL""", domain_id, sponsor_id, now)
