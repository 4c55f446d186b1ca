"""SQL for what a TLD zone should hold: the delegation state of given owners in one
set-based query per batch; for a whole zone (full renders and exports) its hosts, then its
domains in name order from a cursor; and the zone's apex settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from registry_core.model.zone import NOT_DELEGATED_STATUSES, DomainState, HostState, ZoneSettings

# Rows of two kinds, in owner order: 'domain' (a live domain of the TLD: statuses, RGP
# state, name servers, DS) and 'host' (a live host whose superordinate domain is of the TLD:
# addresses, the superordinate's state, and `used`: some domain of the TLD that the zone
# delegates (the statuses that stop a delegation, model.zone.NOT_DELEGATED_STATUSES) has it
# as a name server). The batch form ($2 owner names, $3 the statuses) restricts both kinds
# to the given owners.
_DOMAINS = """
SELECT 'domain' AS kind, d.name AS owner, d.statuses, d.rgp_state,
       ARRAY(SELECT h.name FROM domain_host dh JOIN host h ON h.id = dh.host_id
             WHERE dh.domain_id = d.id ORDER BY h.name) AS nameservers,
       ARRAY(SELECT concat_ws(' ', r.key_tag, r.alg, r.digest_type, r.digest) FROM ds_record r
             WHERE r.domain_id = d.id ORDER BY 1) AS ds,
       NULL::text[] AS addresses, NULL::text AS sup_name, NULL::text[] AS sup_statuses,
       NULL::text AS sup_rgp_state, NULL::text[] AS sup_nameservers, NULL::boolean AS used
FROM domain d JOIN unnest($2::text[]) AS w(owner) ON w.owner = d.name WHERE d.tld = $1 AND d.deleted_at IS NULL"""
_HOSTS = """
SELECT 'host' AS kind, h.name AS owner, NULL AS statuses, NULL AS rgp_state, NULL AS nameservers, NULL AS ds,
       ARRAY(SELECT host(a.address) FROM host_address a WHERE a.host_id = h.id ORDER BY 1) AS addresses,
       s.name AS sup_name, s.statuses AS sup_statuses, s.rgp_state AS sup_rgp_state,
       ARRAY(SELECT sh.name FROM domain_host sdh JOIN host sh ON sh.id = sdh.host_id WHERE sdh.domain_id = s.id)
         AS sup_nameservers,
       EXISTS (SELECT 1 FROM domain_host uh JOIN domain u ON u.id = uh.domain_id
               WHERE uh.host_id = h.id AND u.tld = $1 AND u.deleted_at IS NULL
                 AND u.rgp_state IS NULL AND NOT u.statuses && {statuses}::text[]) AS used
FROM host h {owners} JOIN domain s ON s.id = h.superordinate_id
WHERE s.tld = $1 AND h.deleted_at IS NULL AND s.deleted_at IS NULL"""
_BATCH = (_DOMAINS + "\nUNION ALL" + _HOSTS.format(owners="JOIN unnest($2::text[]) AS w(owner) ON w.owner = h.name",
                                                    statuses="$3") + "\nORDER BY 2, 1")
# The whole zone, in two statements read in one snapshot: its hosts (ZONE_HOSTS: $1 the
# TLD, $2 the statuses; the rows of _HOSTS, in name order), then its domains (ZONE_DOMAINS:
# name, statuses, RGP state, name servers as host ids in no order, DS), in name order, from
# a cursor. Name servers and DS come from two aggregates joined in (one scan each) rather
# than from two subqueries per domain: at a million domains, seconds instead of most of a
# minute. Public for the benchmark's bare COPY ceiling (tests/bench_dns.py).
ZONE_HOSTS = _HOSTS.format(owners="", statuses="$2") + "\nORDER BY h.name COLLATE \"C\""
ZONE_DOMAINS = """
SELECT d.name, d.statuses, d.rgp_state, coalesce(n.host_ids, '{}'), coalesce(k.ds, '{}')
FROM domain d
LEFT JOIN (SELECT domain_id, array_agg(host_id) AS host_ids FROM domain_host GROUP BY domain_id) AS n
       ON n.domain_id = d.id
LEFT JOIN (SELECT r.domain_id, array_agg(concat_ws(' ', r.key_tag, r.alg, r.digest_type, r.digest)
                                         ORDER BY concat_ws(' ', r.key_tag, r.alg, r.digest_type, r.digest)) AS ds
           FROM ds_record r GROUP BY r.domain_id) AS k ON k.domain_id = d.id
WHERE d.tld = $1 AND d.deleted_at IS NULL
ORDER BY d.name COLLATE "C"
"""
_NAMESERVER_NAMES = """SELECT h.id, h.name FROM host h
                       WHERE EXISTS (SELECT 1 FROM domain_host dh WHERE dh.host_id = h.id)"""

ZoneRows = tuple[dict[str, DomainState], dict[str, HostState]]


def _domain(row: Any) -> DomainState:
    return DomainState(row["owner"], frozenset(row["statuses"]), row["rgp_state"], tuple(row["nameservers"]),
                       tuple(row["ds"]))


def _host(row: Any) -> HostState:
    superordinate = DomainState(row["sup_name"], frozenset(row["sup_statuses"]), row["sup_rgp_state"],
                                tuple(row["sup_nameservers"]))
    return HostState(row["owner"], tuple(row["addresses"]), superordinate, bool(row["used"]))


def zone_rows(rows: Iterable[Any]) -> ZoneRows:
    domains: dict[str, DomainState] = {}
    hosts: dict[str, HostState] = {}
    for row in rows:
        if row["kind"] == "domain":
            domains[row["owner"]] = _domain(row)
        else:
            hosts[row["owner"]] = _host(row)
    return domains, hosts


async def fetch_zone_state(conn: Any, tld: str, owners: list[str]) -> ZoneRows:
    """The delegation and glue state of `owners` (stored names) in one query."""
    return zone_rows(await conn.fetch(_BATCH, tld, owners, list(NOT_DELEGATED_STATUSES)))


async def fetch_zone_hosts(conn: Any, tld: str) -> list[HostState]:
    """The hosts named inside the zone, in name order (read whole: a zone has far fewer than domains)."""
    return [_host(row) for row in await conn.fetch(ZONE_HOSTS, tld, list(NOT_DELEGATED_STATUSES))]


async def stream_zone_domains(conn: Any, tld: str, chunk: int = 5000) -> AsyncGenerator[list[DomainState], None]:
    """The domains of the zone in name order, a list per chunk fetched from a cursor (the
    caller holds a transaction open on `conn`, so that it reads the hosts' snapshot)."""
    name_of = dict(await conn.fetch(_NAMESERVER_NAMES)).__getitem__
    cursor = await conn.cursor(ZONE_DOMAINS, tld)
    # A million times in a full render: by position, DomainState(...) without its Python-level
    # __new__, and most domains (no status, no DS) share the empty values instead of new ones.
    new, none = tuple.__new__, frozenset[str]()
    pending = asyncio.ensure_future(cursor.fetch(chunk))
    try:
        while rows := await pending:
            # the next chunk is asked for before this one is worked on: the server prepares it meanwhile
            pending = asyncio.ensure_future(cursor.fetch(chunk))
            await asyncio.sleep(0)
            yield [new(DomainState, (r[0], frozenset(r[1]) if r[1] else none, r[2], tuple(map(name_of, r[3])),
                                     tuple(r[4]) if r[4] else ())) for r in rows]
    finally:
        if not pending.done():  # the caller stopped early: the connection must be free for its rollback
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending


_SETTINGS = ("ttl", "soa_ttl", "soa_mname", "soa_rname", "soa_refresh", "soa_retry", "soa_expire",
             "soa_minimum", "nameservers", "nic_addresses", "max_delete_share", "delete_floor", "records")


async def fetch_zone_settings(conn: Any, tld: str) -> ZoneSettings:
    row = await conn.fetchrow(f"""SELECT {', '.join(_SETTINGS[:9])},
                                         ARRAY(SELECT host(a) FROM unnest(nic_addresses) AS a) AS nic_addresses,
                                         max_delete_share::float8 AS max_delete_share, delete_floor, records
                                  FROM tld_dns WHERE tld = $1""", tld)
    if row is None:
        return ZoneSettings()
    values = dict(row)
    for key in ("nameservers", "nic_addresses", "records"):
        values[key] = tuple(values[key])
    return ZoneSettings(**values)


async def upsert_zone_settings(conn: Any, tld: str, values: dict[str, Any]) -> None:
    """Store the given settings (column names of tld_dns) for the TLD."""
    unknown = set(values) - set(_SETTINGS)
    if unknown:
        raise ValueError(f"unknown zone settings {sorted(unknown)}")
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    await conn.execute(f"""INSERT INTO tld_dns (tld, {', '.join(columns)}) VALUES ($1, {params})
                           ON CONFLICT (tld) DO UPDATE SET {sets}""", tld, *values.values())
