"""SQL for what a TLD zone should hold: the delegation state of given owners in one
set-based query per batch, the same rows for a whole zone in owner order (a cursor, for
full renders and exports), and the zone's apex settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from registry_core.model.zone import NOT_DELEGATED_STATUSES, DomainState, HostState, ZoneSettings

# Rows of two kinds, in owner order: 'domain' (a live domain of the TLD: statuses, RGP
# state, name servers, DS) and 'host' (a live host whose superordinate domain is of the TLD:
# addresses, the superordinate's state, and `used`: some domain of the TLD that the zone
# delegates ($3: the statuses that stop a delegation, model.zone.NOT_DELEGATED_STATUSES)
# has it as a name server). {owners} restricts both to a set of owner names.
_STATE = """
SELECT 'domain' AS kind, d.name AS owner, d.statuses, d.rgp_state,
       ARRAY(SELECT h.name FROM domain_host dh JOIN host h ON h.id = dh.host_id
             WHERE dh.domain_id = d.id ORDER BY h.name) AS nameservers,
       ARRAY(SELECT concat_ws(' ', r.key_tag, r.alg, r.digest_type, r.digest) FROM ds_record r
             WHERE r.domain_id = d.id ORDER BY 1) AS ds,
       NULL::text[] AS addresses, NULL::text AS sup_name, NULL::text[] AS sup_statuses,
       NULL::text AS sup_rgp_state, NULL::text[] AS sup_nameservers, NULL::boolean AS used
FROM domain d {owners_domain} WHERE d.tld = $1 AND d.deleted_at IS NULL
UNION ALL
SELECT 'host', h.name, NULL, NULL, NULL, NULL,
       ARRAY(SELECT host(a.address) FROM host_address a WHERE a.host_id = h.id ORDER BY 1),
       s.name, s.statuses, s.rgp_state,
       ARRAY(SELECT sh.name FROM domain_host sdh JOIN host sh ON sh.id = sdh.host_id WHERE sdh.domain_id = s.id),
       EXISTS (SELECT 1 FROM domain_host uh JOIN domain u ON u.id = uh.domain_id
               WHERE uh.host_id = h.id AND u.tld = $1 AND u.deleted_at IS NULL
                 AND u.rgp_state IS NULL AND NOT u.statuses && $3::text[])
FROM host h {owners_host} JOIN domain s ON s.id = h.superordinate_id
WHERE s.tld = $1 AND h.deleted_at IS NULL AND s.deleted_at IS NULL
ORDER BY 2, 1"""
_BATCH = _STATE.format(owners_domain="JOIN unnest($2::text[]) AS w(owner) ON w.owner = d.name",
                       owners_host="JOIN unnest($2::text[]) AS w(owner) ON w.owner = h.name")
# The whole zone ($1 the TLD, $2 the statuses); public for the benchmark's bare COPY ceiling.
ZONE_ROWS = _STATE.format(owners_domain="", owners_host="").replace("$3", "$2")

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


async def stream_zone_state(conn: Any, tld: str, chunk: int = 2000) -> AsyncIterator[tuple[str, ZoneRows]]:
    """(owner, its state) for every owner of the zone in owner order, from a cursor (the
    caller holds a transaction open on `conn`)."""
    current: str | None = None
    batch: list[Any] = []
    async for row in conn.cursor(ZONE_ROWS, tld, list(NOT_DELEGATED_STATUSES), prefetch=chunk):
        if current is not None and row["owner"] != current:
            yield current, zone_rows(batch)
            batch = []
        current = row["owner"]
        batch.append(row)
    if current is not None:
        yield current, zone_rows(batch)


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
