"""The admin console's abuse cases: the list (filters: state, TLD, overdue) and its CSV,
a case with its reports and history, the workflow's steps (triage, notify the sponsor,
serverHold, serverTransferProhibited, note, close), each with a reason, and a form for
staff to open a case. A step that changes a domain's status needs a fresh second factor.
Registry admins and support act; other staff roles see the pages without the forms, and
the services refuse them whatever a page shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.csv_stream import stream_csv
from protocols.web.session import CORE, trusted_session
from protocols.web.staff_forms import Form, staff_action, staff_view
from registry_core.errors import InvalidValue
from registry_core.model import abuse_case as rules
from registry_core.model.accounts import allowed
from registry_core.services import abuse, abuse_reports
from registry_core.services.abuse_reports import AbuseReport
from registry_core.services.staff import StaffChange

RESPONSE_WINDOW = web.AppKey("abuse_response_window", timedelta)


def _filters(request: web.Request) -> dict[str, Any]:
    state = request.query.get("state", "")
    return {"state": state if state in rules.STATES else None, "tld": request.query.get("tld", "").lower() or None,
            "overdue": request.query.get("overdue") == "1"}


async def cases_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who = await staff_view(request)
    filters = _filters(request)
    rows = await abuse_reports.list_cases(request.app[CORE], who, **filters)
    query = "&".join(f"{k}={v}" for k, v in (("state", filters["state"]), ("tld", filters["tld"]),
                                            ("overdue", "1" if filters["overdue"] else None)) if v)
    return page(request, "admin_abuse.html", {
        "who": who, "csrf": view.csrf_token, "rows": rows, "filters": filters, "states": rules.STATES,
        "threats": rules.REPORT_THREATS, "can_act": allowed(who, "registry.support"), "query": query,
        **shown}, status=status)


async def case_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who = await staff_view(request)
    found = await abuse_reports.case_detail(request.app[CORE], who, _case_id(request))
    return page(request, "admin_abuse_case.html", {
        "who": who, "csrf": view.csrf_token, **found, "actions": rules.ACTIONS,
        "sensitive": sorted(rules.SENSITIVE_ACTIONS), "can_act": allowed(who, "registry.support"),
        **shown}, status=status)


def _case_id(request: web.Request) -> int:
    return int(request.match_info["case_id"])


async def cases_view(request: web.Request) -> web.Response:
    return await cases_page(request)


async def case_view(request: web.Request) -> web.Response:
    return await case_page(request)


async def cases_csv(request: web.Request) -> web.StreamResponse:
    who = await staff_view(request)
    filters = _filters(request)
    return await stream_csv(request, "abuse-cases.csv", abuse_reports.EXPORT_COLUMNS,
                            lambda sink: abuse_reports.export_cases(request.app[CORE], who, sink, **filters))


async def open_case(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        report = AbuseReport("staff", str(form.get("email", "")), str(form.get("threat", "")),
                             str(form.get("text", "")), (str(form.get("domain", "")).strip(),))
        if not report.names[0]:
            raise InvalidValue("name the domain", object_type="abuse_case", field="domain")
        intake = await abuse_reports.receive_report(request.app[CORE], report, change.who)
        return "Opened: " + ", ".join(f"case {case} ({domain})" for domain, case in intake.cases)
    return await staff_action(request, act, cases_page)


async def act_on_case(request: web.Request) -> web.Response:
    """One step with its reason; hold and transfer-lock after a fresh second factor."""
    form = await request.post()
    action = str(form.get("action", ""))

    async def act(change: StaffChange, form: Form) -> str:
        case = await abuse.act_on_case(request.app[CORE], change.who, _case_id(request), action, change.reason,
                                       response_window=request.app[RESPONSE_WINDOW], origin=change.origin)
        return f"Case {case['id']}: {action} done; now {case['state']}."
    return await staff_action(request, act, case_page, sensitive=action in rules.SENSITIVE_ACTIONS)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/abuse", cases_view)
    app.router.add_post("/abuse", open_case)
    app.router.add_get("/abuse.csv", cases_csv)
    app.router.add_get("/abuse/{case_id:[0-9]+}", case_view)
    app.router.add_post("/abuse/{case_id:[0-9]+}/act", act_on_case)
