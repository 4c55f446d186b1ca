"""SQL for the DNS change log: the owner names a transform may have changed, upserted in the
transform's own transaction (coalesced per owner: a second change bumps seq), and a
NOTIFY on channel `dns_change` with the TLD, which PostgreSQL delivers at commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

CHANNEL = "dns_change"

# The owners a transform touches, from ids taken inside its transaction:
#  $1 domains: the domain itself, its in-registry name servers (their glue may now be needed
#     or not), its subordinate hosts (their glue hangs on its delegation);
#  $2 hosts: the host's own name (its glue);
#  $3 renamed hosts: every domain that uses one (its NS rdata names the host);
#  $4/$5 explicit (tld, owner) pairs: names that no longer exist (a host's old name).
_RECORD = """
WITH owners AS (
    SELECT d.tld, d.name FROM domain d WHERE d.id = ANY($1::bigint[])
    UNION SELECT s.tld, h.name FROM domain_host dh JOIN host h ON h.id = dh.host_id
          JOIN domain s ON s.id = h.superordinate_id WHERE dh.domain_id = ANY($1::bigint[])
    UNION SELECT s.tld, h.name FROM host h JOIN domain s ON s.id = h.superordinate_id
          WHERE h.superordinate_id = ANY($1::bigint[]) AND h.deleted_at IS NULL
    UNION SELECT s.tld, h.name FROM host h JOIN domain s ON s.id = h.superordinate_id
          WHERE h.id = ANY($2::bigint[])
    UNION SELECT u.tld, u.name FROM domain_host dh JOIN domain u ON u.id = dh.domain_id
          WHERE dh.host_id = ANY($3::bigint[]) AND u.deleted_at IS NULL
    UNION SELECT t, o FROM unnest($4::text[], $5::text[]) AS x(t, o)
), marked AS (
    INSERT INTO dns_change (tld, owner, changed_at)
    SELECT tld, name, $6 FROM owners ORDER BY tld, name  -- one lock order: no deadlocks
    ON CONFLICT (tld, owner) DO UPDATE SET seq = nextval('dns_change_seq'), changed_at = EXCLUDED.changed_at
    RETURNING tld
)
SELECT pg_notify('dns_change', tld) FROM (SELECT DISTINCT tld FROM marked) AS t"""


async def record_dns_changes(conn: Any, now: datetime, *, domains: Iterable[int] = (), hosts: Iterable[int] = (),
                             renamed_hosts: Iterable[int] = (), owners: Iterable[tuple[str, str]] = ()) -> None:
    """Mark the owners these objects put in a zone as changed (see _RECORD)."""
    pairs = list(owners)
    await conn.execute(_RECORD, list(domains), list(hosts), list(renamed_hosts),
                       [t for t, _ in pairs], [o for _, o in pairs], now)


async def fetch_host_owner(conn: Any, host_id: int) -> tuple[str, str] | None:
    """(tld, name) of a host inside a zone of ours (it has a superordinate domain), else None."""
    row = await conn.fetchrow("""SELECT s.tld, h.name FROM host h JOIN domain s ON s.id = h.superordinate_id
                                 WHERE h.id = $1""", host_id)
    return None if row is None else (row["tld"], row["name"])


async def mark_full_publication(conn: Any, tld: str) -> None:
    """Every owner of the TLD is to be re-published (after a bulk load, or by the operator)."""
    await conn.execute("""INSERT INTO dns_zone_state (tld, full_needed) VALUES ($1, true)
                          ON CONFLICT (tld) DO UPDATE SET full_needed = true""", tld)
    await conn.execute("SELECT pg_notify('dns_change', $1)", tld)


async def fetch_changes(conn: Any, tld: str) -> list[tuple[str, int]]:
    """(owner, seq) of every pending change of the TLD, oldest first (tests, status)."""
    rows = await conn.fetch("SELECT owner, seq FROM dns_change WHERE tld = $1 ORDER BY seq", tld)
    return [(r["owner"], r["seq"]) for r in rows]
