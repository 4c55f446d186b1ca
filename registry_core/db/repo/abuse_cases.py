"""SQL of abuse reports and the case workflow: the live domains a report names, a report's
case (found open or opened), the reports and history of a case, the filtered case list
(the console's page and its CSV from a cursor), and a TLD's response window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from registry_core.db.repo import risk

REPORTED = ["web", "email", "staff", "report"]  # the sources whose cases gather people's reports


async def fetch_live_domains(conn: Any, names: list[str]) -> list[dict[str, Any]]:
    """The names that are live domains here, with their TLD and sponsor, in the given order."""
    rows = await conn.fetch(
        """SELECT d.id, d.name, d.roid, d.tld, d.sponsor_id FROM unnest($1::text[]) WITH ORDINALITY AS n(name, i)
           JOIN domain d ON d.name = n.name AND d.deleted_at IS NULL ORDER BY n.i""", names)
    return [dict(r) for r in rows]


async def fetch_open_reported_case(conn: Any, domain_name: str, threat: str) -> int | None:
    return await conn.fetchval(
        """SELECT id FROM abuse_case WHERE domain_name = $1 AND threat_type = $2 AND source = ANY ($3::text[])
             AND state <> 'closed' ORDER BY id LIMIT 1 FOR UPDATE""", domain_name, threat, REPORTED)


async def open_or_find_case(conn: Any, case: dict[str, Any]) -> tuple[int, bool]:
    """(case id, whether it is new): the open reported case of the domain and threat, else a new one."""
    found = await fetch_open_reported_case(conn, case["domain_name"], case["threat_type"])
    if found is not None:
        return found, False
    opened = await risk.open_case(conn, case)
    if opened is not None:
        return opened, True
    found = await fetch_open_reported_case(conn, case["domain_name"], case["threat_type"])  # a concurrent report
    assert found is not None
    return found, False


async def insert_report(conn: Any, case_id: int, report: dict[str, Any], now: datetime) -> int:
    report_id: int = await conn.fetchval(
        """INSERT INTO abuse_report (case_id, source, reporter_email, body, client, received_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        case_id, report["source"], report["reporter_email"], report["body"], report.get("client"), now)
    return report_id


async def fetch_reports(conn: Any, case_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM abuse_report WHERE case_id = $1 ORDER BY id", case_id)
    return [dict(r) for r in rows]


async def fetch_case_history(conn: Any, case_id: int) -> list[dict[str, Any]]:
    """The history rows written under the case's transaction id (its opening and actions)."""
    rows = await conn.fetch(
        """SELECT id, at, action, object_name, before, after, via FROM history WHERE sv_trid = $1
           ORDER BY id""", f"ABUSE-{case_id}")
    return [dict(r) for r in rows]


async def fetch_response_hours(conn: Any, tld: str | None) -> int | None:
    if tld is None:
        return None
    return await conn.fetchval("SELECT abuse_response_hours FROM tld_risk_policy WHERE tld = $1", tld)


# $1 state, $2 tld, $3 now when only overdue cases are wanted
_LISTED = """SELECT c.id, c.state, c.domain_name, c.tld, c.registrar_id, c.source, c.threat_type, c.opened_at,
                    c.due_at, c.notified_at, c.acted_at, c.closed_at,
                    (SELECT count(*) FROM abuse_report r WHERE r.case_id = c.id) AS reports
             FROM abuse_case c
             WHERE ($1::text IS NULL OR c.state = $1) AND ($2::text IS NULL OR c.tld = $2)
               AND ($3::timestamptz IS NULL OR (c.state IN ('new', 'triaged', 'registrar-notified')
                                                AND c.due_at < $3))
             ORDER BY c.id DESC"""


async def fetch_case_list(conn: Any, state: str | None, tld: str | None, overdue_at: datetime | None,
                          limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(_LISTED + " LIMIT $4", state, tld, overdue_at, limit)
    return [dict(r) for r in rows]


async def iter_case_list(conn: Any, state: str | None, tld: str | None,
                         overdue_at: datetime | None) -> AsyncIterator[dict[str, Any]]:
    async for row in conn.cursor(_LISTED, state, tld, overdue_at, prefetch=1000):
        yield dict(row)
