"""SQL for domain objects, their links (hosts, contacts) and DS records."""

from __future__ import annotations

from typing import Any

from registry_core.db.repo.errors import unique_as_exists
from registry_core.model.domain import DsData, KeyData


async def next_domain_id(conn: Any) -> int:
    return int(await conn.fetchval("SELECT nextval('domain_id_seq')"))


async def insert_domain(conn: Any, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("domain", str(values["name"])):
        await conn.execute(f"INSERT INTO domain ({', '.join(columns)}) VALUES ({params})", *values.values())


async def fetch_domain_by_name(conn: Any, name: str, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT * FROM domain WHERE name = $1 AND deleted_at IS NULL{suffix}", name)
    return None if row is None else dict(row)


async def fetch_domain_by_id(conn: Any, domain_id: int, *, lock: bool = False) -> dict[str, Any]:
    suffix = " FOR UPDATE" if lock else ""
    return dict(await conn.fetchrow(f"SELECT * FROM domain WHERE id = $1{suffix}", domain_id))


async def insert_contact_links(conn: Any, domain_id: int, links: list[tuple[str, int]]) -> None:
    if links:
        await conn.executemany(
            "INSERT INTO domain_contact (domain_id, role, contact_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(domain_id, role, cid) for role, cid in links])


async def delete_contact_links(conn: Any, domain_id: int, links: list[tuple[str, int]]) -> None:
    for role, cid in links:
        await conn.execute("DELETE FROM domain_contact WHERE domain_id = $1 AND role = $2 AND contact_id = $3",
                           domain_id, role, cid)


async def insert_host_links(conn: Any, domain_id: int, host_ids: list[int]) -> None:
    if host_ids:
        await conn.executemany("INSERT INTO domain_host (domain_id, host_id) VALUES ($1, $2)",
                               [(domain_id, h) for h in host_ids])


async def delete_host_links(conn: Any, domain_id: int, host_ids: list[int]) -> None:
    await conn.execute("DELETE FROM domain_host WHERE domain_id = $1 AND host_id = ANY($2)", domain_id, host_ids)


async def delete_all_links(conn: Any, domain_id: int) -> None:
    await conn.execute("DELETE FROM domain_host WHERE domain_id = $1", domain_id)
    await conn.execute("DELETE FROM domain_contact WHERE domain_id = $1", domain_id)
    await conn.execute("DELETE FROM ds_record WHERE domain_id = $1", domain_id)


async def update_domain(conn: Any, domain_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=2))
    await conn.execute(f"UPDATE domain SET {sets} WHERE id = $1", domain_id, *values.values())


async def fetch_ds(conn: Any, domain_id: int) -> list[DsData]:
    rows = await conn.fetch(
        "SELECT * FROM ds_record WHERE domain_id = $1 ORDER BY key_tag, alg, digest_type, digest", domain_id)
    return [_ds_value(r) for r in rows]


async def insert_ds(conn: Any, domain_id: int, records: list[DsData]) -> None:
    for ds in records:
        key = ds.key_data
        await conn.execute(
            """INSERT INTO ds_record (domain_id, key_tag, alg, digest_type, digest, key_flags,
                                      key_protocol, key_alg, public_key)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING""",
            domain_id, ds.key_tag, ds.alg, ds.digest_type, ds.digest,
            key.flags if key else None, key.protocol if key else None, key.alg if key else None,
            key.public_key if key else None)


async def delete_ds(conn: Any, domain_id: int, records: list[DsData] | None) -> None:
    if records is None:
        await conn.execute("DELETE FROM ds_record WHERE domain_id = $1", domain_id)
        return
    for ds in records:
        await conn.execute(
            """DELETE FROM ds_record WHERE domain_id = $1 AND key_tag = $2 AND alg = $3
               AND digest_type = $4 AND digest = $5""", domain_id, ds.key_tag, ds.alg, ds.digest_type, ds.digest)


async def fetch_superordinate_candidate(conn: Any, names: list[str]) -> dict[str, Any] | None:
    """The live domain among `names` (a host's parent names), locked FOR SHARE."""
    row = await conn.fetchrow(
        "SELECT * FROM domain WHERE name = ANY($1) AND deleted_at IS NULL FOR SHARE", names)
    return None if row is None else dict(row)


# Each related set is read by one probe: contacts (roles and handles) and grace periods
# (kinds and ends) each by one LATERAL aggregate with two arrays, where two sub-selects
# would read the same rows twice.
_DETAIL_COLUMNS = """
       (SELECT c.handle FROM contact c WHERE c.id = d.registrant_id) AS registrant,
       coalesce(dcs.roles, '{}') AS contact_roles, coalesce(dcs.handles, '{}') AS contact_handles,
       coalesce((SELECT array_agg(h.name ORDER BY h.name) FROM domain_host dh
                 JOIN host h ON h.id = dh.host_id WHERE dh.domain_id = d.id), '{}') AS nameservers,
       coalesce((SELECT array_agg(h.name ORDER BY h.name) FROM host h
                 WHERE h.superordinate_id = d.id AND h.deleted_at IS NULL), '{}') AS subordinates,
       EXISTS (SELECT 1 FROM transfer t WHERE t.object_type = 'domain' AND t.object_id = d.id
               AND t.status = 'pending') AS pending_transfer,
       coalesce(gp.kinds, '{}') AS grace_kinds, coalesce(gp.ends, '{}') AS grace_ends"""

_DETAIL_JOINS = """
LEFT JOIN LATERAL (SELECT array_agg(dc.role ORDER BY dc.role, c.handle) AS roles,
                          array_agg(c.handle ORDER BY dc.role, c.handle) AS handles
                   FROM domain_contact dc JOIN contact c ON c.id = dc.contact_id
                   WHERE dc.domain_id = d.id) dcs ON true
LEFT JOIN LATERAL (SELECT array_agg(g.kind ORDER BY g.id) AS kinds, array_agg(g.ends_at ORDER BY g.id) AS ends
                   FROM grace_period g WHERE g.domain_id = d.id) gp ON true"""

_DETAILS = f"SELECT {_DETAIL_COLUMNS} FROM domain d {_DETAIL_JOINS} WHERE d.id = $1"

# What <domain:info> shows, in one round trip: the row, its details and its DS records. The
# DS records come as an array of anonymous records (decoded by asyncpg in C), in the order
# of `_ds_fields`; JSON would cost a text rendering of every value and a parse.
_INFO = f"""
SELECT d.*, {_DETAIL_COLUMNS},
       (SELECT array_agg((k.key_tag, k.alg, k.digest_type, k.digest, k.key_flags, k.key_protocol, k.key_alg,
                          k.public_key) ORDER BY k.key_tag, k.alg, k.digest_type, k.digest)
          FROM ds_record k WHERE k.domain_id = d.id) AS ds_records
FROM domain d {_DETAIL_JOINS} WHERE d.name = $1 AND d.deleted_at IS NULL"""


def _details(row: Any) -> dict[str, Any]:
    return {"registrant": row["registrant"],
            "contacts": list(zip(row["contact_roles"], row["contact_handles"], strict=True)),
            "nameservers": list(row["nameservers"]), "subordinates": list(row["subordinates"]),
            "pending_transfer": row["pending_transfer"],
            "graces": list(zip(row["grace_kinds"], row["grace_ends"], strict=True))}


async def fetch_domain_details(conn: Any, domain_id: int) -> dict[str, Any]:
    """Everything an info answer shows besides the row itself and its DS records, in one
    round trip: registrant and contact handles, name servers, subordinate hosts, whether a
    transfer is pending, and the grace periods (kind, end)."""
    return _details(await conn.fetchrow(_DETAILS, domain_id))


def _ds_value(data: Any) -> DsData:
    key = (KeyData(data["key_flags"], data["key_protocol"], data["key_alg"], data["public_key"])
           if data["public_key"] is not None else None)
    return DsData(data["key_tag"], data["alg"], data["digest_type"], data["digest"], key)


def _ds_fields(fields: tuple[Any, ...]) -> DsData:
    key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, public_key = fields
    key = KeyData(key_flags, key_protocol, key_alg, public_key) if public_key is not None else None
    return DsData(key_tag, alg, digest_type, digest, key)


async def fetch_domain_for_info(conn: Any, name: str) -> tuple[dict[str, Any], dict[str, Any], list[DsData]] | None:
    """A live domain by name with its details (as `fetch_domain_details`) and its DS records
    in `fetch_ds` order, in one round trip; None if there is none."""
    row = await conn.fetchrow(_INFO, name)
    if row is None:
        return None
    return dict(row), _details(row), [_ds_fields(d) for d in row["ds_records"] or ()]


PREMIUM_REASON = "Premium name; check it with the fee extension"
TAKEN_REASON = "In use"  # as the first branch of the statement below says it
_TAKEN_ONE = "SELECT name FROM domain WHERE name = $1 AND deleted_at IS NULL"
_TAKEN = "SELECT name FROM domain WHERE name = ANY($1) AND deleted_at IS NULL"


async def fetch_blocked_names(conn: Any, names: list[str], *, reserved: bool = True,
                              premium_blocks: bool) -> dict[str, str]:
    """{name: reason} in one round trip for names that cannot be created now: taken, else
    reserved (when `reserved`), else premium (when `premium_blocks`). A false flag turns its
    branch into a constant-false filter: no index is touched. With neither list to consult,
    only the domain index is asked, and for one name by plain equality (the usual check, half
    the server time of the three-branch statement)."""
    if not reserved and not premium_blocks:
        if len(names) == 1:
            taken = await conn.fetch(_TAKEN_ONE, names[0])
        else:
            taken = await conn.fetch(_TAKEN, names)
        return {r["name"]: TAKEN_REASON for r in taken}
    rows = await conn.fetch(
        """SELECT name, 'In use' AS reason, 1 AS rank FROM domain WHERE name = ANY($1) AND deleted_at IS NULL
           UNION ALL SELECT name, reason, 2 FROM reserved_name WHERE $4 AND name = ANY($1)
           UNION ALL SELECT name, $3, 3 FROM premium_name
                     WHERE $2 AND name = ANY($1) AND create_price IS NOT NULL
           ORDER BY rank DESC""", names, premium_blocks, PREMIUM_REASON, reserved)
    return {r["name"]: r["reason"] for r in rows}  # lower ranks come last and win
