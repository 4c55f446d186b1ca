"""SQL of the fraud and abuse checks: a TLD's risk policy with every fact one create's
checks need, in one round trip; protected names; threat feeds; abuse cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# $1 tld, $2 registrar, $3 now, $4 the label's skeleton, $5 the create's name servers. The
# velocity count walks the registrar's newest creates backwards (ORDER BY at DESC: the
# partial index history_domain_creates, whatever the statistics say) and stops at the limit.
_FACTS = """
SELECT p.velocity_limit, p.entropy_threshold::float8 AS entropy_threshold, p.verdict,
       CASE WHEN p.velocity_limit = 0 THEN 0 ELSE
         (SELECT count(*) FROM (SELECT 1 FROM history h
                                WHERE h.object_type = 'domain' AND h.action = 'create' AND h.registrar_id = $2
                                  AND h.at > $3::timestamptz - p.velocity_window
                                  AND right(h.object_name, length($1) + 1) = '.' || $1
                                ORDER BY h.at DESC LIMIT p.velocity_limit) recent) END AS recent_creates,
       (SELECT n.label FROM protected_name n WHERE n.skeleton = $4) AS protected,
       (SELECT array_agg(DISTINCT e.name ORDER BY e.name) FROM threat_entry e WHERE e.name = ANY ($5::text[]))
         AS listed_nameservers
FROM tld_risk_policy p WHERE p.tld = $1"""


async def fetch_risk_facts(conn: Any, tld: str, registrar_id: str, now: datetime, skeleton: str,
                           nameservers: list[str]) -> dict[str, Any] | None:
    """None when the TLD runs no checks."""
    row = await conn.fetchrow(_FACTS, tld, registrar_id, now, skeleton, nameservers)
    return None if row is None else dict(row)


async def upsert_policy(conn: Any, tld: str, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values) or "tld = EXCLUDED.tld"
    marks = ", ".join(f"${i}" for i in range(2, len(values) + 2))
    await conn.execute(f"INSERT INTO tld_risk_policy (tld{', ' if values else ''}{columns}) "
                       f"VALUES ($1{', ' if values else ''}{marks}) ON CONFLICT (tld) DO UPDATE SET {updates}",
                       tld, *values.values())


async def fetch_policy(conn: Any, tld: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM tld_risk_policy WHERE tld = $1", tld)
    return None if row is None else dict(row)


async def insert_protected(conn: Any, rows: list[tuple[str, str]], now: datetime) -> int:
    status = await conn.execute(
        """INSERT INTO protected_name (skeleton, label, added_at)
           SELECT s, l, $3 FROM unnest($1::text[], $2::text[]) AS u(s, l)
           ON CONFLICT (skeleton) DO UPDATE SET label = EXCLUDED.label""",
        [r[0] for r in rows], [r[1] for r in rows], now)
    return int(status.split()[-1])


async def replace_feed(conn: Any, name: str, source: str, fmt: str, entries: list[tuple[str, str]],
                       now: datetime) -> int:
    """The feed's entries become `entries` (name, threat type); a name seen before keeps its
    first_seen."""
    await conn.execute(
        """INSERT INTO threat_feed (name, source, format, imported_at, entries) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (name) DO UPDATE SET source = $2, format = $3, imported_at = $4, entries = $5""",
        name, source, fmt, now, len(entries))
    await conn.execute("DELETE FROM threat_entry WHERE feed = $1 AND NOT (name = ANY ($2::text[]))",
                       name, [e[0] for e in entries])
    await conn.execute(
        """INSERT INTO threat_entry (feed, name, threat_type, first_seen, last_seen)
           SELECT $1, n, t, $4, $4 FROM unnest($2::text[], $3::text[]) AS u(n, t)
           ON CONFLICT (feed, name) DO UPDATE SET threat_type = EXCLUDED.threat_type, last_seen = $4""",
        name, [e[0] for e in entries], [e[1] for e in entries], now)
    return len(entries)


async def fetch_feed_matches(conn: Any) -> list[dict[str, Any]]:
    """Every live domain listed in a feed, or delegated to a listed name server."""
    rows = await conn.fetch(
        """SELECT d.name AS domain_name, d.tld, d.sponsor_id, e.feed, e.threat_type, e.name AS listed
           FROM threat_entry e JOIN domain d ON d.name = e.name AND d.deleted_at IS NULL
           UNION ALL
           SELECT d.name, d.tld, d.sponsor_id, e.feed, e.threat_type, e.name
           FROM threat_entry e JOIN host h ON h.name = e.name AND h.deleted_at IS NULL
           JOIN domain_host dh ON dh.host_id = h.id JOIN domain d ON d.id = dh.domain_id AND d.deleted_at IS NULL
           ORDER BY 1, 4""")
    return [dict(r) for r in rows]


async def open_case(conn: Any, case: dict[str, Any]) -> int | None:
    """The new case's id; None when the same case is open already."""
    return await conn.fetchval(
        """INSERT INTO abuse_case (domain_name, tld, registrar_id, source, threat_type, detail, opened_at, due_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (domain_name, source, threat_type) WHERE state <> 'closed' DO NOTHING RETURNING id""",
        case["domain_name"], case["tld"], case["registrar_id"], case["source"], case["threat_type"],
        case["detail"], case["opened_at"], case["due_at"])


async def fetch_cases(conn: Any, state: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM abuse_case WHERE ($1::text IS NULL OR state = $1) ORDER BY id DESC LIMIT $2""",
        state, limit)
    return [dict(r) for r in rows]


async def fetch_case(conn: Any, case_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM abuse_case WHERE id = $1" + (" FOR UPDATE" if lock else ""), case_id)
    return None if row is None else dict(row)


async def update_case(conn: Any, case_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
    await conn.execute(f"UPDATE abuse_case SET {sets} WHERE id = $1", case_id, *values.values())


async def fetch_threat_stats(conn: Any, tld: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Cases opened in [start, end) by threat type: how many, how many acted on, and the
    median hours to the first action."""
    rows = await conn.fetch(
        """SELECT threat_type, source, count(*) AS opened, count(acted_at) AS acted,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acted_at - opened_at) / 3600)
                    FILTER (WHERE acted_at IS NOT NULL) AS median_hours_to_action
           FROM abuse_case WHERE tld = $1 AND opened_at >= $2 AND opened_at < $3
           GROUP BY 1, 2 ORDER BY 1, 2""", tld, start, end)
    return [dict(r) for r in rows]
