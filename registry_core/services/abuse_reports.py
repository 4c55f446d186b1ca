"""Abuse reports from people, and the case views of the admin console.

A report (the public web form, a mail to the abuse address, registry staff) names domains;
each one registered here (the name itself or a parent: `www.phish.example` reports
`phish.example`) gets the open reported case of its threat type, opened when there is none
(state new, due for triage), with the report attached and a history row. The reporter gets
an acknowledgement through the notification outbox, to the audience `reporter:ADDRESS`; it
repeats nothing the reporter wrote, so the form cannot be used to send someone else mail
of one's choosing. The whole intake is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import abuse_cases as repo
from registry_core.db.repo import notify_prefs as pref_repo
from registry_core.db.repo import objects
from registry_core.db.repo import risk as risk_repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied
from registry_core.model import abuse_case as rules
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.notification import ABUSE_REPORT_RECEIVED, Event, NotifyPref
from registry_core.services import notifications
from registry_core.services.exports import Sink, in_batches

ACK_EVENT = ABUSE_REPORT_RECEIVED
EXPORT_COLUMNS = ("id", "state", "domain_name", "tld", "registrar_id", "source", "threat_type", "reports",
                  "opened_at", "due_at", "notified_at", "acted_at", "closed_at")
LIST_LIMIT = 500


@dataclass(frozen=True)
class AbuseReport:
    source: str  # web | email | staff
    reporter_email: str  # "" for staff reporting on their own (no acknowledgement then)
    threat_type: str
    text: str
    names: tuple[str, ...]  # what the report names (web, staff: one; mail: every name it mentions)
    client: str | None = None  # the web client's address, the mail's Message-ID
    acknowledge: bool = True  # a mail marked Auto-Submitted (RFC 3834) gets no answer


@dataclass(frozen=True)
class Intake:
    cases: tuple[tuple[str, int], ...]  # (domain, case id) each
    report_ids: tuple[int, ...]


def _checked(report: AbuseReport) -> AbuseReport:
    if report.source not in rules.REPORT_SOURCES:
        raise InvalidValue("not a report source", object_type="abuse_report", field="source", value=report.source)
    address = rules.reporter_address(report.reporter_email) if report.reporter_email or report.source != "staff" \
        else ""
    return AbuseReport(report.source, address, rules.threat_type(report.threat_type), rules.report_text(report.text),
                       report.names[:rules.MAX_MENTIONED], (report.client or "")[:200] or None,
                       report.acknowledge and bool(address))


async def _registered(tx: Tx, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The live domains the names stand for (each name, else its closest registered parent)."""
    wanted = {name: rules.candidate_parents(name) for name in names}
    live = {row["name"]: row for row in await repo.fetch_live_domains(
        tx.conn, [c for candidates in wanted.values() for c in candidates])}
    found: dict[str, dict[str, Any]] = {}
    for candidates in wanted.values():
        hit = next((live[c] for c in candidates if c in live), None)
        if hit is not None:
            found.setdefault(hit["name"], hit)
    return list(found.values())


async def receive_report(core: Core, report: AbuseReport, who: Principal | None = None) -> Intake:
    """Open (or add to) a case per registered domain named; InvalidValue when none is."""
    if report.source == "staff" and (who is None or not (who.staff and allowed(who, "registry.support"))):
        raise PermissionDenied("registry admins and support open cases", object_type="abuse_case")
    checked = _checked(report)

    async def run(tx: Tx) -> Intake:
        domains = (await _registered(tx, checked.names))[:rules.MAX_NAMES]
        if not domains:
            raise InvalidValue("no domain registered with this registry is named in the report",
                               object_type="abuse_report", field="domain", value=", ".join(checked.names)[:200])
        opened, report_ids = [], []
        for domain in domains:
            case_id, report_id = await _file(tx, checked, domain, who)
            opened.append((domain["name"], case_id))
            report_ids.append(report_id)
        if checked.acknowledge:
            await _acknowledge(tx, checked, opened, report_ids[0])
        return Intake(tuple(opened), tuple(report_ids))
    result: Intake = await core.db.transaction(run)
    return result


async def _file(tx: Tx, report: AbuseReport, domain: dict[str, Any], who: Principal | None) -> tuple[int, int]:
    case_id, new = await repo.open_or_find_case(tx.conn, {
        "domain_name": domain["name"], "tld": domain["tld"], "registrar_id": domain["sponsor_id"],
        "source": report.source, "threat_type": report.threat_type,
        "detail": {"summary": " ".join(report.text.split())[:200]},
        "opened_at": tx.now, "due_at": tx.now + rules.TRIAGE_DEADLINE})
    report_id = await repo.insert_report(tx.conn, case_id, {
        "source": report.source, "reporter_email": report.reporter_email, "body": report.text,
        "client": who.name if who is not None else report.client}, tx.now)
    via = ((who.kind, who.name),) if who is not None else (("report", report.source),)
    actor = Actor("", f"ABUSE-{case_id}", None, via)
    await objects.insert_history(tx.conn, actor, tx.now, "domain", domain["id"], domain["name"],
                                 "abuse-case-opened" if new else "abuse-report-added", None,
                                 {"case": case_id, "report": report_id, "source": report.source,
                                  "threat": report.threat_type})
    return case_id, report_id


async def _acknowledge(tx: Tx, report: AbuseReport, opened: list[tuple[str, int]], report_id: int) -> None:
    audience = f"reporter:{report.reporter_email}"
    await pref_repo.upsert_pref(tx.conn, NotifyPref(audience, ACK_EVENT, (report.reporter_email,), ()))
    await notifications.emit(tx, f"ABUSE-R{report_id}", Event(
        ACK_EVENT, audience, {"cases": [{"domain": d, "case": c} for d, c in opened],
                              "threat": report.threat_type, "received_at": tx.now},
        key=f"abuse-report/{report_id}"))


def _staff(who: Principal) -> None:
    if not (who.staff and allowed(who, "view")):
        raise PermissionDenied("registry staff only", object_type="abuse_case")


async def list_cases(core: Core, who: Principal, state: str | None = None, tld: str | None = None,
                     overdue: bool = False, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Newest first, each with `overdue` (its deadline passed while it waits on someone)."""
    _staff(who)

    async def run(tx: Tx) -> list[dict[str, Any]]:
        rows = await repo.fetch_case_list(tx.conn, state, tld, tx.now if overdue else None, limit)
        return [{**r, "overdue": rules.overdue(r["state"], r["due_at"], tx.now)} for r in rows]
    result: list[dict[str, Any]] = await core.db.transaction(run, readonly=True)
    return result


async def export_cases(core: Core, who: Principal, sink: Sink, state: str | None = None, tld: str | None = None,
                       overdue: bool = False) -> int:
    _staff(who)

    async def run(tx: Tx) -> int:
        return await in_batches(repo.iter_case_list(tx.conn, state, tld, tx.now if overdue else None), sink)
    count: int = await core.db.snapshot(run)
    return count


async def case_detail(core: Core, who: Principal, case_id: int) -> dict[str, Any]:
    """The case, its reports (oldest first) and its history (opening and every step)."""
    _staff(who)

    async def run(tx: Tx) -> dict[str, Any]:
        case = await risk_repo.fetch_case(tx.conn, case_id)
        if case is None:
            raise ObjectNotFound("no such abuse case", object_type="abuse_case", name=str(case_id))
        return {"case": case, "overdue": rules.overdue(case["state"], case["due_at"], tx.now),
                "reports": await repo.fetch_reports(tx.conn, case_id),
                "history": await repo.fetch_case_history(tx.conn, case_id)}
    result: dict[str, Any] = await core.db.transaction(run, readonly=True)
    return result
