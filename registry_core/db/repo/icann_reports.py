"""SQL of ICANN's monthly reports: counted from what each transform wrote (history rows,
transfers) and from the servers' activity counts, for one TLD and one month [start, end).

A domain's TLD is its name's suffix ('.' || tld); a history row's sponsor is the
`sponsor_id` of the newest row that names one (creates, updates, transfers, lifecycle
steps all do). Initial and renewal terms are read off the expiry dates a row carries,
rounded to whole years (a year: 365.2425 days)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

_YEAR = "31556952"  # seconds in 365.2425 days
# Parameters: $1 the month's start, $2 its end, $3 the TLD's suffix ('.' || tld); $4 the TLD
# where a statement needs it.
_IN = "h.object_type = '{kind}' AND right(h.object_name, length($3)) = $3"
_MONTH = "h.at >= $1 AND h.at < $2"

# Objects of the TLD at the month's end ($1; $2 the suffix), by sponsor: the newest row
# before the end that names a sponsor or ends the object (a purge, a delete in add grace:
# after IS NULL).
_SPONSORED = """
WITH last AS (
    SELECT DISTINCT ON (h.object_id) h.after FROM history h
    WHERE h.object_type = '{kind}' AND right(h.object_name, length($2)) = $2 AND h.at < $1
      AND (h.after IS NULL OR h.after ? 'sponsor_id')
    ORDER BY h.object_id, h.id DESC)
SELECT after->>'sponsor_id' AS registrar_id, count(*) AS n FROM last WHERE after IS NOT NULL GROUP BY 1"""

_TERM = f"round(extract(epoch FROM ((h.after->>'expires_at')::timestamptz - h.at)) / {_YEAR})::int"
_ADDS = f"""
SELECT h.registrar_id, {_TERM} AS years, count(*) AS n FROM history h
WHERE {_IN.format(kind='domain')} AND {_MONTH} AND h.action = 'create' GROUP BY 1, 2"""

# Deletes of the month: inside the add grace period (the domain went at once: after IS NULL)
# with the term of the create they take back, and outside it (into redemption).
_DELETES = f"""
SELECT h.registrar_id, h.after IS NULL AS in_grace,
       round(extract(epoch FROM ((c.after->>'expires_at')::timestamptz - c.at)) / {_YEAR})::int AS years,
       count(*) AS n
FROM history h
LEFT JOIN LATERAL (SELECT c.at, c.after FROM history c WHERE c.object_type = 'domain' AND c.object_id = h.object_id
                   AND c.action = 'create' AND c.id < h.id ORDER BY c.id DESC LIMIT 1) c ON true
WHERE {_IN.format(kind='domain')} AND {_MONTH} AND h.action = 'delete' GROUP BY 1, 2, 3"""

_RENEW_TERM = (f"round(extract(epoch FROM ((h.after->>'expires_at')::timestamptz - "
               f"(h.before->>'expires_at')::timestamptz)) / {_YEAR})::int")
_RENEWS = f"""
SELECT coalesce(h.after->>'sponsor_id', h.registrar_id) AS registrar_id, {_RENEW_TERM} AS years, count(*) AS n
FROM history h
WHERE {_IN.format(kind='domain')} AND {_MONTH} AND h.action IN ('renew', 'autoRenew')
GROUP BY 1, 2"""

# Renewals a delete of the month took back: the newest renew (or auto-renew) of the domain
# still inside its grace period (renew_grace, autorenew_grace of the TLD) when it was deleted.
_RENEWS_UNDONE = f"""
SELECT coalesce(r.after->>'sponsor_id', r.registrar_id) AS registrar_id,
       round(extract(epoch FROM ((r.after->>'expires_at')::timestamptz -
                                 (r.before->>'expires_at')::timestamptz)) / {_YEAR})::int AS years, count(*) AS n
FROM history h JOIN tld t ON t.name = $4
JOIN LATERAL (SELECT r.at, r.action, r.after, r.before, r.registrar_id FROM history r
              WHERE r.object_type = 'domain' AND r.object_id = h.object_id AND r.action IN ('renew', 'autoRenew')
                AND r.id < h.id ORDER BY r.id DESC LIMIT 1) r
  ON r.at > h.at - CASE r.action WHEN 'renew' THEN t.renew_grace ELSE t.autorenew_grace END
WHERE {_IN.format(kind='domain')} AND {_MONTH} AND h.action = 'delete' GROUP BY 1, 2"""

_TRANSFERS = """
SELECT x.gaining_id, x.losing_id, x.status = 'clientRejected' AS nacked, count(*) AS n
FROM transfer x JOIN domain d ON d.id = x.object_id
WHERE x.object_type = 'domain' AND d.tld = $3 AND x.acted_at >= $1 AND x.acted_at < $2
  AND x.status IN ('clientApproved', 'serverApproved', 'clientRejected')
GROUP BY 1, 2, 3"""

_RESTORES = f"""
SELECT coalesce(h.registrar_id, h.before->>'sponsor_id', h.after->>'sponsor_id') AS registrar_id, h.action,
       count(*) AS n
FROM history h
WHERE {_IN.format(kind='domain')} AND {_MONTH} AND h.action IN ('restore-report', 'restoreLapse')
GROUP BY 1, 2"""

_ACTIVITY = """
SELECT field, registrar_id, sum(n)::bigint AS n FROM activity_count
WHERE (tld = $3 OR tld IS NULL) AND at >= $1 AND at < $2 GROUP BY 1, 2"""


def _args(tld: str, start: datetime, end: datetime) -> tuple[datetime, datetime, str]:
    return start, end, "." + tld


async def fetch_sponsored(conn: Any, kind: str, tld: str, start: datetime, end: datetime) -> dict[str, int]:
    """{registrar: domains (kind 'domain') or name servers ('host') of the TLD at `end`}."""
    assert kind in ("domain", "host")
    rows = await conn.fetch(_SPONSORED.replace("{kind}", kind), end, "." + tld)
    return {r["registrar_id"]: int(r["n"]) for r in rows}


async def _fetch(conn: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(sql, *args)]


async def fetch_adds(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _ADDS, *_args(tld, start, end))


async def fetch_deletes(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _DELETES, *_args(tld, start, end))


async def fetch_renews(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _RENEWS, *_args(tld, start, end))


async def fetch_renews_undone(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _RENEWS_UNDONE, *_args(tld, start, end), tld)


async def fetch_transfers(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _TRANSFERS, start, end, tld)


async def fetch_restores(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _RESTORES, *_args(tld, start, end))


async def fetch_activity(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await _fetch(conn, _ACTIVITY, start, end, tld)


async def fetch_report_registrars(conn: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT id, name, iana_id, status FROM registrar ORDER BY name, id")]


async def insert_activity(conn: Any, at: datetime, rows: list[tuple[str | None, str | None, str, int]]) -> None:
    """One statement for a whole flush."""
    await conn.execute(
        """INSERT INTO activity_count (at, tld, registrar_id, field, n)
           SELECT $1, t, r, f, n FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(t, r, f, n)""",
        at, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
