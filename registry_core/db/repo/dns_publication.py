"""SQL of the DNS publisher: leadership per TLD (a session advisory lock), the batch of
pending changes, what was last published, and the record of a publication (published
state, drained change rows, serial) written in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from registry_core.model.zone import RRset, fqdn, relative
from registry_core.model.zone_diff import OwnerChange

_LOCK_CLASS = 0x444E53  # "DNS": the first key of the publisher's advisory locks


async def try_lead(conn: Any, tld: str) -> bool:
    """Take the TLD's publisher lock on this session (dedicated connection); False if held."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", _LOCK_CLASS, tld))


async def release_lead(conn: Any, tld: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", _LOCK_CLASS, tld)


async def fetch_batch(conn: Any, tld: str, limit: int) -> list[tuple[str, int, datetime]]:
    """(owner, seq, changed_at) of up to `limit` pending changes, oldest first."""
    rows = await conn.fetch("SELECT owner, seq, changed_at FROM dns_change WHERE tld = $1 ORDER BY seq LIMIT $2",
                            tld, limit)
    return [(r["owner"], r["seq"], r["changed_at"]) for r in rows]


async def fetch_owners_in_flight(conn: Any, tld: str, owners: list[str], since: datetime) -> set[str]:
    """Those of the owners with a pending change, or published at or after `since`."""
    rows = await conn.fetch("""SELECT owner FROM dns_change WHERE tld = $1 AND owner = ANY($2::text[])
                               UNION SELECT owner FROM dns_published
                               WHERE tld = $1 AND owner = ANY($2::text[]) AND published_at >= $3""",
                            tld, owners, since)
    return {r["owner"] for r in rows}


def _rrsets(owner: str, stored: Any) -> tuple[RRset, ...]:
    data = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(RRset(fqdn(owner), t, ttl, tuple(rdata)) for t, ttl, rdata in data)


async def fetch_published(conn: Any, tld: str, owners: list[str]) -> dict[str, tuple[RRset, ...]]:
    """{absolute owner: records last published} for the given stored names."""
    rows = await conn.fetch("""SELECT owner, rrsets FROM dns_published
                               WHERE tld = $1 AND owner = ANY($2::text[])""", tld, owners)
    return {fqdn(r["owner"]): _rrsets(r["owner"], r["rrsets"]) for r in rows}


async def fetch_published_owners(conn: Any, tld: str) -> list[str]:
    rows = await conn.fetch("SELECT owner FROM dns_published WHERE tld = $1 ORDER BY owner", tld)
    return [r["owner"] for r in rows]


async def count_published_delegations(conn: Any, tld: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM dns_published WHERE tld = $1 AND delegated", tld))


def _encode(rrsets: tuple[RRset, ...]) -> str:
    return json.dumps([[r.type, r.ttl, list(r.rdata)] for r in rrsets])


async def record_publication(conn: Any, tld: str, changes: Iterable[OwnerChange], drained: list[tuple[str, int]],
                             now: datetime) -> int:
    """Store what was sent, delete the drained change rows whose seq did not move, count
    one more publication; the new serial."""
    rows = [(relative(c.owner), _encode(c.after), any(r.type == "NS" for r in c.after) and
             relative(c.owner) != tld) for c in changes]
    await conn.executemany("""INSERT INTO dns_published (tld, owner, rrsets, delegated, published_at)
                              VALUES ($1, $2, $3::jsonb, $4, $5)
                              ON CONFLICT (tld, owner) DO UPDATE
                              SET rrsets = EXCLUDED.rrsets, delegated = EXCLUDED.delegated,
                                  published_at = EXCLUDED.published_at""",
                           [(tld, o, data, d, now) for o, data, d in rows if data != "[]"])
    await conn.execute("DELETE FROM dns_published WHERE tld = $1 AND owner = ANY($2::text[])",
                       tld, [o for o, data, _ in rows if data == "[]"])
    await delete_drained(conn, tld, drained)
    return int(await conn.fetchval(
        """INSERT INTO dns_zone_state (tld, serial, last_published_at, last_error) VALUES ($1, 1, $2, NULL)
           ON CONFLICT (tld) DO UPDATE SET serial = dns_zone_state.serial + 1,
               last_published_at = EXCLUDED.last_published_at, last_error = NULL, guard_override = false
           RETURNING serial""", tld, now))


async def replace_published(conn: Any, tld: str, observed: dict[str, tuple[RRset, ...]], now: datetime) -> None:
    """Take what the primary was seen to serve at these owners as the published state."""
    owners = [relative(o) for o in observed]
    await conn.execute("DELETE FROM dns_published WHERE tld = $1 AND owner = ANY($2::text[])", tld, owners)
    await conn.executemany("""INSERT INTO dns_published (tld, owner, rrsets, delegated, published_at)
                              VALUES ($1, $2, $3::jsonb, $4, $5)""",
                           [(tld, relative(o), _encode(r), any(x.type == "NS" for x in r) and relative(o) != tld, now)
                            for o, r in observed.items() if r])


async def delete_drained(conn: Any, tld: str, drained: list[tuple[str, int]]) -> None:
    await conn.execute("""DELETE FROM dns_change c USING unnest($2::text[], $3::bigint[]) AS x(owner, seq)
                          WHERE c.tld = $1 AND c.owner = x.owner AND c.seq = x.seq""",
                       tld, [o for o, _ in drained], [s for _, s in drained])


async def park_owners(conn: Any, tld: str, drained: list[tuple[str, int]], error: str, now: datetime) -> None:
    """Set owners aside (their publication kept failing) with the error."""
    await conn.executemany("""INSERT INTO dns_parked (tld, owner, error, parked_at) VALUES ($1, $2, $3, $4)
                              ON CONFLICT (tld, owner) DO UPDATE SET error = EXCLUDED.error,
                                  parked_at = EXCLUDED.parked_at""",
                           [(tld, o, error, now) for o, _ in drained])
    await delete_drained(conn, tld, drained)


async def unpark_owners(conn: Any, tld: str, now: datetime) -> int:
    """Move every parked owner of the TLD back into the change log; how many."""
    rows = await conn.fetch("DELETE FROM dns_parked WHERE tld = $1 RETURNING owner", tld)
    await conn.executemany("""INSERT INTO dns_change (tld, owner, changed_at) VALUES ($1, $2, $3)
                              ON CONFLICT (tld, owner) DO UPDATE SET seq = nextval('dns_change_seq')""",
                           [(tld, r["owner"], now) for r in rows])
    await conn.execute("SELECT pg_notify('dns_change', $1)", tld)
    return len(rows)


async def fetch_state(conn: Any, tld: str) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM dns_zone_state WHERE tld = $1", tld)
    if row is None:
        return {"tld": tld, "serial": 0, "paused": False, "full_needed": False, "guard_tripped": None,
                "guard_override": False, "last_error": None, "last_error_at": None, "last_published_at": None}
    return dict(row)


async def update_state(conn: Any, tld: str, values: dict[str, Any]) -> None:
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    await conn.execute(f"""INSERT INTO dns_zone_state (tld, {', '.join(columns)}) VALUES ($1, {params})
                           ON CONFLICT (tld) DO UPDATE SET {sets}""", tld, *values.values())
    await conn.execute("SELECT pg_notify('dns_change', $1)", tld)


async def mark_every_owner(conn: Any, tld: str, now: datetime) -> int:
    """Put every owner the zone has or should have into the change log (a full publication:
    live domains, in-zone hosts, published owners, the apex and nic.<tld>); how many."""
    status = await conn.execute(
        """INSERT INTO dns_change (tld, owner, changed_at)
           SELECT $1, owner, $2 FROM (
               SELECT name AS owner FROM domain WHERE tld = $1 AND deleted_at IS NULL
               UNION SELECT h.name FROM host h JOIN domain s ON s.id = h.superordinate_id
                     WHERE s.tld = $1 AND h.deleted_at IS NULL AND s.deleted_at IS NULL
               UNION SELECT owner FROM dns_published WHERE tld = $1
               UNION VALUES ($1), ('nic.' || $1)) AS o ORDER BY owner
           ON CONFLICT (tld, owner) DO UPDATE SET seq = nextval('dns_change_seq')""", tld, now)
    await conn.execute("UPDATE dns_zone_state SET full_needed = false WHERE tld = $1", tld)
    return int(status.split()[-1])


async def fetch_parked(conn: Any, tld: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT owner, error, parked_at FROM dns_parked WHERE tld = $1 ORDER BY owner", tld)]


async def count_changes(conn: Any, tld: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM dns_change WHERE tld = $1", tld))
