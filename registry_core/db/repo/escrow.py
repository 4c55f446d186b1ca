"""SQL of data escrow: the objects of one TLD read through cursors (inside the deposit's
REPEATABLE READ snapshot), what changed since the previous deposit, the cursors per TLD
and mode, and the log of deposits written."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from registry_core.db.repo.errors import unique_as_exists

PREFETCH = 1000

# A domain's row as the deposit writes it, at the watermark $2: the grace periods open then,
# and the latest transfer requested by then, still pending if it was acted on later.
_DOMAIN_ROWS = """
SELECT d.id, d.name, d.roid, d.statuses, d.sponsor_id, d.creator_id, d.updater_id, d.created_at,
       d.updated_at, d.expires_at, d.transferred_at, d.rgp_state, d.deleted_at,
       (SELECT c.handle FROM contact c WHERE c.id = d.registrant_id) AS registrant,
       coalesce((SELECT array_agg(dc.role || ' ' || c.handle ORDER BY dc.role, c.handle) FROM domain_contact dc
                 JOIN contact c ON c.id = dc.contact_id WHERE dc.domain_id = d.id), '{}') AS contacts,
       coalesce((SELECT array_agg(h.name ORDER BY h.name) FROM domain_host dh JOIN host h ON h.id = dh.host_id
                 WHERE dh.domain_id = d.id), '{}') AS nameservers,
       coalesce((SELECT array_agg(DISTINCT g.kind) FROM grace_period g
                 WHERE g.domain_id = d.id AND g.starts_at <= $2 AND g.ends_at > $2), '{}') AS graces,
       (SELECT json_agg(json_build_array(k.key_tag, k.alg, k.digest_type, k.digest)
                        ORDER BY k.key_tag, k.alg, k.digest_type, k.digest)
          FROM ds_record k WHERE k.domain_id = d.id) AS ds,
       CASE WHEN t.id IS NULL THEN NULL WHEN t.acted_at IS NULL OR t.acted_at > $2 THEN 'pending'
            ELSE t.status END AS tr_status,
       t.gaining_id AS tr_gaining, t.losing_id AS tr_losing,
       t.requested_at AS tr_requested, t.action_due AS tr_due, t.expires_at AS tr_expires
FROM domain d
LEFT JOIN LATERAL (SELECT * FROM transfer t WHERE t.object_type = 'domain' AND t.object_id = d.id
                   AND t.requested_at <= $2 ORDER BY t.id DESC LIMIT 1) t ON true
"""
_DOMAINS = _DOMAIN_ROWS + """WHERE d.tld = $1 AND d.deleted_at IS NULL AND ($3::bigint[] IS NULL OR d.id = ANY($3))
ORDER BY d.id"""
_DOMAINS_ANY_STATE = _DOMAIN_ROWS + "WHERE d.tld = $1 AND d.id = ANY($3) ORDER BY d.id"

_HOST_ROWS = """
SELECT h.id, h.name, h.roid, h.statuses, h.sponsor_id, h.creator_id, h.updater_id, h.created_at,
       h.updated_at, h.transferred_at, h.deleted_at,
       coalesce((SELECT array_agg(host(a.address) ORDER BY family(a.address), a.address)
                 FROM host_address a WHERE a.host_id = h.id), '{}') AS addresses,
       EXISTS (SELECT 1 FROM domain_host dh JOIN domain d ON d.id = dh.domain_id
               WHERE dh.host_id = h.id AND d.deleted_at IS NULL) AS linked
FROM host h
"""
# The hosts of a TLD: those under it and those its live domains name.
_HOSTS = _HOST_ROWS + """WHERE h.deleted_at IS NULL AND ($2::bigint[] IS NULL OR h.id = ANY($2))
  AND (right(h.name, length($1) + 1) = '.' || $1
       OR EXISTS (SELECT 1 FROM domain_host dh JOIN domain d ON d.id = dh.domain_id
                  WHERE dh.host_id = h.id AND d.tld = $1 AND d.deleted_at IS NULL))
ORDER BY h.id"""
_HOSTS_ANY_STATE = _HOST_ROWS + "WHERE h.id = ANY($1) OR h.name = ANY($2) ORDER BY h.id"

_CONTACT_ROWS = """
SELECT c.id, c.handle, c.roid, c.statuses, c.postal_int, c.postal_loc, c.voice, c.voice_ext, c.fax,
       c.fax_ext, c.email, c.sponsor_id, c.creator_id, c.updater_id, c.created_at, c.updated_at,
       c.transferred_at, c.deleted_at,
       EXISTS (SELECT 1 FROM domain_contact dc JOIN domain d ON d.id = dc.domain_id
               WHERE dc.contact_id = c.id AND d.deleted_at IS NULL)
         OR EXISTS (SELECT 1 FROM domain d WHERE d.registrant_id = c.id AND d.deleted_at IS NULL) AS linked,
       CASE WHEN t.id IS NULL THEN NULL WHEN t.acted_at IS NULL OR t.acted_at > $3 THEN 'pending'
            ELSE t.status END AS tr_status,
       t.gaining_id AS tr_gaining, t.losing_id AS tr_losing,
       t.requested_at AS tr_requested, t.action_due AS tr_due, NULL::timestamptz AS tr_expires
FROM contact c
LEFT JOIN LATERAL (SELECT * FROM transfer t WHERE t.object_type = 'contact' AND t.object_id = c.id
                   AND t.requested_at <= $3 ORDER BY t.id DESC LIMIT 1) t ON true
"""
# The contacts of a TLD: those its live domains name.
_CONTACTS = _CONTACT_ROWS + """WHERE c.deleted_at IS NULL AND ($2::bigint[] IS NULL OR c.id = ANY($2))
  AND c.id IN (SELECT d.registrant_id FROM domain d WHERE d.tld = $1 AND d.deleted_at IS NULL
               UNION SELECT dc.contact_id FROM domain_contact dc JOIN domain d ON d.id = dc.domain_id
                     WHERE d.tld = $1 AND d.deleted_at IS NULL)
ORDER BY c.id"""
_CONTACTS_ANY_STATE = _CONTACT_ROWS + "WHERE c.id = ANY($1) OR c.handle = ANY($2) ORDER BY c.id"

_REGISTRARS = """
SELECT id, name, iana_id, status, street, city, sp, pc, cc, voice, fax, email, url, whois_server,
       created_at, updated_at
FROM registrar ORDER BY id"""


async def _rows(conn: Any, sql: str, *args: Any) -> AsyncIterator[list[Any]]:
    """The rows (records, read by column name) in batches of PREFETCH, through one cursor in
    the caller's transaction: a fetch per batch, not an await per row."""
    cursor = await conn.cursor(sql, *args)
    while rows := await cursor.fetch(PREFETCH):
        yield rows


def iter_domains(conn: Any, tld: str, at: datetime, ids: Sequence[int] | None = None
                 ) -> AsyncIterator[list[Any]]:
    """Live domains of `tld` (only `ids`, when given) with their links, RGP periods open at
    `at`, DS records and the latest transfer requested by `at`, in id order, in batches."""
    return _rows(conn, _DOMAINS, tld, at, None if ids is None else list(ids))


def iter_hosts(conn: Any, tld: str, ids: Sequence[int] | None = None) -> AsyncIterator[list[Any]]:
    return _rows(conn, _HOSTS, tld, None if ids is None else list(ids))


def iter_contacts(conn: Any, tld: str, at: datetime, ids: Sequence[int] | None = None
                  ) -> AsyncIterator[list[Any]]:
    return _rows(conn, _CONTACTS, tld, None if ids is None else list(ids), at)


async def fetch_domains_any_state(conn: Any, tld: str, at: datetime, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The rows of these domains of `tld`, deleted ones too (to be taken back to `at`)."""
    return [dict(r) for r in await conn.fetch(_DOMAINS_ANY_STATE, tld, at, list(ids))]


async def fetch_hosts_any_state(conn: Any, ids: Sequence[int], names: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of the hosts with these ids or names, deleted ones too."""
    return [dict(r) for r in await conn.fetch(_HOSTS_ANY_STATE, list(ids), list(names))]


async def fetch_contacts_any_state(conn: Any, at: datetime, ids: Sequence[int],
                                   handles: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of the contacts with these ids or handles, deleted ones too."""
    return [dict(r) for r in await conn.fetch(_CONTACTS_ANY_STATE, list(ids), list(handles), at)]


async def fetch_changed_after(conn: Any, at: datetime) -> dict[str, set[int]]:
    """{object type: ids} of the objects with history rows after `at` (a BRIN index on the
    append-only history's times keeps this a short range scan)."""
    changed: dict[str, set[int]] = {"domain": set(), "host": set(), "contact": set()}
    rows = await conn.fetch(
        """SELECT DISTINCT object_type, object_id FROM history
           WHERE at > $1 AND object_type IN ('domain', 'host', 'contact') AND object_id IS NOT NULL""", at)
    for row in rows:
        changed[row["object_type"]].add(int(row["object_id"]))
    return changed


async def fetch_ended_graces(conn: Any, ids: Sequence[int], at: datetime) -> dict[int, set[str]]:
    """{domain id: kinds} of the grace periods cut short since `at` that were open at `at`."""
    found: dict[int, set[str]] = {}
    rows = await conn.fetch(
        """SELECT domain_id, kind FROM grace_period_ended
           WHERE domain_id = ANY($1) AND starts_at <= $2 AND ends_at > $2""", list(ids), at)
    for row in rows:
        found.setdefault(int(row["domain_id"]), set()).add(row["kind"])
    return found


async def fetch_linking_domains(conn: Any, kind: str, ids: Sequence[int]) -> dict[int, set[int]]:
    """{host or contact id: ids of the live domains that name it now}."""
    if kind == "host":
        sql = """SELECT dh.host_id AS id, d.id AS domain_id FROM domain_host dh JOIN domain d ON d.id = dh.domain_id
                 WHERE dh.host_id = ANY($1) AND d.deleted_at IS NULL"""
    else:
        sql = """SELECT dc.contact_id AS id, d.id AS domain_id FROM domain_contact dc
                 JOIN domain d ON d.id = dc.domain_id WHERE dc.contact_id = ANY($1) AND d.deleted_at IS NULL
                 UNION SELECT registrant_id, id FROM domain WHERE registrant_id = ANY($1) AND deleted_at IS NULL"""
    found: dict[int, set[int]] = {}
    for row in await conn.fetch(sql, list(ids)):
        found.setdefault(int(row["id"]), set()).add(int(row["domain_id"]))
    return found


async def fetch_histories(conn: Any, object_type: str, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Every history row of these objects, oldest first, by object id."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = await conn.fetch(
        """SELECT id, object_id, at, action, registrar_id, sv_trid, before, after FROM history
           WHERE object_type = $1 AND object_id = ANY($2) ORDER BY object_id, id""", object_type, list(ids))
    for row in rows:
        found.setdefault(int(row["object_id"]), []).append(dict(row))
    return found


def iter_registrars(conn: Any) -> AsyncIterator[list[Any]]:
    return _rows(conn, _REGISTRARS)


async def fetch_escrow_tld(conn: Any, tld: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT name, roid_suffix, contact_policy FROM tld WHERE name = $1", tld)
    return None if row is None else dict(row)


async def fetch_lane_seqs(conn: Any) -> list[int]:
    """Each history lane's head seq, lane 0 first."""
    return [int(r["seq"]) for r in await conn.fetch("SELECT seq FROM history_head ORDER BY lane")]


# Objects with history rows after the previous deposit's lane heads (and, through the
# snapshot, up to this one's): exact, because a lane's rows commit in seq order.
_CHANGED = """
SELECT DISTINCT h.object_type, h.object_id FROM history h
JOIN unnest($1::bigint[]) WITH ORDINALITY AS p (seq, n) ON h.lane = p.n - 1 AND h.seq > p.seq
WHERE h.object_type IN ('domain', 'host', 'contact') AND h.object_id IS NOT NULL"""


async def fetch_changed_ids(conn: Any, since_lanes: Sequence[int], since: datetime, at: datetime,
                            tld: str) -> dict[str, set[int]]:
    """{object type: ids} changed since the previous deposit: by history committed after its
    snapshot or dated after its watermark `since` (it held the state at its watermark), by a
    grace period that ended in (since, at], and (for hosts and contacts) by being linked to a
    changed domain."""
    changed = await fetch_changed_after(conn, since)
    for row in await conn.fetch(_CHANGED, list(since_lanes)):
        changed[row["object_type"]].add(int(row["object_id"]))
    ended = await conn.fetch(
        """SELECT DISTINCT g.domain_id FROM grace_period g JOIN domain d ON d.id = g.domain_id
           WHERE d.tld = $3 AND g.ends_at > $1 AND g.ends_at <= $2""", since, at, tld)
    changed["domain"].update(int(r["domain_id"]) for r in ended)
    await _add_linked(conn, changed)
    return changed


async def _add_linked(conn: Any, changed: dict[str, set[int]]) -> None:
    domains = list(changed["domain"])
    hosts = await conn.fetch("SELECT host_id FROM domain_host WHERE domain_id = ANY($1)", domains)
    changed["host"].update(int(r["host_id"]) for r in hosts)
    contacts = await conn.fetch(
        """SELECT contact_id FROM domain_contact WHERE domain_id = ANY($1)
           UNION SELECT registrant_id FROM domain WHERE id = ANY($1) AND registrant_id IS NOT NULL""", domains)
    changed["contact"].update(int(r["contact_id"]) for r in contacts)


async def fetch_deleted(conn: Any, tld: str, changed: dict[str, set[int]], at: datetime) -> list[tuple[str, str]]:
    """(object type, key) of the changed objects deleted by `at`: domain names of the TLD,
    host ROIDs (under the TLD or under none of ours), contact handles."""
    rows = await conn.fetch(
        """SELECT 'domain' AS kind, name AS key FROM domain
             WHERE id = ANY($1) AND tld = $4 AND deleted_at <= $5
           UNION ALL SELECT 'host', roid FROM host h WHERE id = ANY($2) AND deleted_at <= $5
             AND (right(h.name, length($4) + 1) = '.' || $4
                  OR NOT EXISTS (SELECT 1 FROM tld t WHERE right(h.name, length(t.name) + 1) = '.' || t.name))
           UNION ALL SELECT 'contact', handle FROM contact WHERE id = ANY($3) AND deleted_at <= $5
           ORDER BY 1, 2""",
        list(changed["domain"]), list(changed["host"]), list(changed["contact"]), tld, at)
    return [(r["kind"], r["key"]) for r in rows]


async def fetch_cursor(conn: Any, tld: str, mode: str, *, lock: bool = False) -> datetime | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchval(
        f"SELECT next_watermark FROM rde_cursor WHERE tld = $1 AND mode = $2{suffix}", tld, mode)


async def upsert_cursor(conn: Any, tld: str, mode: str, next_watermark: datetime) -> None:
    await conn.execute(
        """INSERT INTO rde_cursor (tld, mode, next_watermark) VALUES ($1, $2, $3)
           ON CONFLICT (tld, mode) DO UPDATE SET next_watermark = excluded.next_watermark""",
        tld, mode, next_watermark)


async def fetch_previous_deposit(conn: Any, tld: str, before: datetime) -> dict[str, Any] | None:
    """The last FULL or DIFF deposit (not thin) of `tld` with a watermark before `before`."""
    row = await conn.fetchrow(
        """SELECT deposit_id, watermark, snapshot_at, lanes FROM rde_deposit
           WHERE tld = $1 AND mode <> 'thin' AND watermark < $2 ORDER BY watermark DESC, id DESC LIMIT 1""",
        tld, before)
    return None if row is None else dict(row)


async def fetch_latest_watermark(conn: Any, tld: str) -> datetime | None:
    return await conn.fetchval("SELECT max(watermark) FROM rde_deposit WHERE tld = $1", tld)


async def fetch_resends(conn: Any, tld: str, mode: str, watermark: datetime) -> int:
    """How many deposits of this TLD, mode and watermark were written already."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM rde_deposit WHERE tld = $1 AND mode = $2 AND watermark = $3", tld, mode, watermark))


async def insert_deposit(conn: Any, values: dict[str, Any]) -> None:
    """ObjectExists when this deposit (TLD, mode, watermark, resend) is logged already: a
    second run (another node) made it at the same time."""
    columns = list(values)
    params = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    with unique_as_exists("deposit", str(values["file_name"])):
        await conn.execute(f"INSERT INTO rde_deposit ({', '.join(columns)}) VALUES ({params})", *values.values())


async def fetch_deposits(conn: Any, tld: str, *, undelivered: bool = False,
                         unreported: bool = False) -> list[dict[str, Any]]:
    """`undelivered`: only those not yet at the agent; `unreported`: only those at the agent
    whose report ICANN has not had (BRDA deposits have none)."""
    rows = await conn.fetch(
        """SELECT tld, mode, deposit_type, deposit_id, prev_id, watermark, resend, counts, file_name, written_at,
                  uploaded_at, reported_at
           FROM rde_deposit WHERE tld = $1 AND (NOT $2 OR uploaded_at IS NULL)
             AND (NOT $3 OR (uploaded_at IS NOT NULL AND reported_at IS NULL AND mode <> 'thin'))
           ORDER BY watermark, id""",
        tld, undelivered, unreported)
    return [dict(r) for r in rows]


async def mark_reported(conn: Any, tld: str, file_name: str, at: datetime) -> None:
    await conn.execute("UPDATE rde_deposit SET reported_at = $3 WHERE tld = $1 AND file_name = $2",
                       tld, file_name, at)


async def mark_uploaded(conn: Any, tld: str, file_name: str, at: datetime) -> bool:
    status = await conn.execute(
        "UPDATE rde_deposit SET uploaded_at = $3 WHERE tld = $1 AND file_name = $2 AND uploaded_at IS NULL",
        tld, file_name, at)
    return bool(status != "UPDATE 0")
