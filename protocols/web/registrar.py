"""The registrars' console: pages for a registrar's own users (every action goes through
registry_core.services, permission-checked there)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from protocols.web.auth import page
from protocols.web.csv_stream import csv_cell, stream_csv
from protocols.web.forms import day_start, page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import PermissionDenied
from registry_core.model.accounts import allowed
from registry_core.services import billing_views, console_domains, overview, statements
from registry_core.services.console_domains import DomainFilter


async def dashboard(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    who = view.principal
    if who.registrar_id is None:
        raise PermissionDenied("registry staff use the admin console", object_type="registrar")
    summary = await overview.registrar_overview(request.app[CORE], who, who.registrar_id)
    return page(request, "registrar_dashboard.html", {"who": who, "csrf": view.csrf_token, "summary": summary})




def _filter(request: web.Request) -> DomainFilter:
    query = request.query
    before = query.get("expires_before", "")  # the form's empty field means any date
    expires_before = day_start(before, "expires_before") if before else None
    return DomainFilter(query.get("prefix", ""), query.get("status") or None, expires_before)


async def domain_list(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    who = view.principal
    wanted = _filter(request)
    rows = await console_domains.registrar_domains(request.app[CORE], who, who.registrar_id or "", wanted,
                                                   request.query.get("after", ""), console_domains.PAGE + 1)
    more = len(rows) > console_domains.PAGE
    rows = rows[:console_domains.PAGE]
    next_query = urlencode({**request.query, "after": rows[-1].name}) if more else ""
    return page(request, "domains.html", {"who": who, "csrf": view.csrf_token, "rows": rows, "wanted": wanted,
                                          "statuses": sorted(console_domains.KNOWN_STATUSES),
                                          "next_query": next_query})


async def domain_page(request: web.Request, notice: str = "", error: str = "", status: int = 200) -> web.Response:
    view = await trusted_session(request)
    info = await console_domains.domain_detail(request.app[CORE], view.principal, request.match_info["name"])
    context = {"who": view.principal, "csrf": view.csrf_token, "domain": info, "notice": notice,
               "can_write": allowed(view.principal, "domains.write", info.sponsor_id)}
    if error:
        context["error"] = error
    return page(request, "domain.html", context, status)


async def domain_detail(request: web.Request) -> web.Response:
    return await domain_page(request)


async def domain_renew(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    try:
        years, shown = int(str(form.get("years", "1"))), date.fromisoformat(str(form.get("expires", "")))
    except ValueError:
        return await domain_page(request, error="Choose a period and reload the page.", status=422)
    renewal = console_domains.renew_from_console(request.app[CORE], view.principal, request.match_info["name"],
                                                 shown, years, origin(request))
    return await page_after(request, domain_page, renewal, lambda renewed: {
        "notice": f"Renewed: now expires {renewed.expires_at:%Y-%m-%d} ({renewed.charged} {renewed.currency})."})


async def domain_nameservers(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    wanted = str((await request.post()).get("nameservers", "")).split()
    change = console_domains.set_nameservers(request.app[CORE], view.principal, request.match_info["name"], wanted,
                                             origin(request))
    return await page_after(request, domain_page, change,
                            lambda info: {"notice": "Name servers now: " + (", ".join(info.nameservers) or "none")})


async def billing(request: web.Request, **shown: Any) -> web.Response:
    """The ledger, the statements and the low-balance threshold (shown: a form's outcome)."""
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who, registrar = view.principal, view.principal.registrar_id or ""
    rows = await billing_views.recent_ledger(request.app[CORE], who, registrar)
    settings = await statements.billing_settings(request.app[CORE], who, registrar)
    return page(request, "billing.html", {"who": who, "csrf": view.csrf_token, "rows": rows, "settings": settings,
                                          "can_write": allowed(who, "billing.write", registrar), **shown}, status)


async def billing_page(request: web.Request) -> web.Response:
    return await billing(request)


def _day(text: str, name: str) -> datetime | None:
    return day_start(text, name) if text else None


CSV_COLUMNS = ("id", "at", "action", "amount", "currency", "balance_after", "object_name", "period_years",
               "sv_trid", "description")


async def billing_csv(request: web.Request) -> web.StreamResponse:
    """The ledger of a period as CSV (RFC 4180), streamed as the rows come from the database."""
    view = await trusted_session(request)
    who = view.principal
    start, end = _day(request.query.get("from", ""), "from"), _day(request.query.get("to", ""), "to")
    return await stream_csv(request, "ledger.csv", CSV_COLUMNS, lambda sink: billing_views.export_ledger(
        request.app[CORE], who, who.registrar_id or "", start, end, sink))


DOMAIN_COLUMNS = ("name", "roid", "statuses", "created_at", "expires_at")


async def domains_csv(request: web.Request) -> web.StreamResponse:
    """All the registrar's domains as CSV, streamed batch by batch from one snapshot (the
    headers go out with the first batch, after the permission check)."""
    view = await trusted_session(request)
    who = view.principal
    return await stream_csv(request, "domains.csv", DOMAIN_COLUMNS, lambda sink: console_domains.export_domains(
        request.app[CORE], who, who.registrar_id or "", sink), _domain_cell)


def _domain_cell(row: dict[str, Any], column: str) -> str:
    if column == "statuses":
        return " ".join(row["statuses"] or ["ok"])
    return csv_cell(row[column])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
    app.router.add_get("/domains", domain_list)
    app.router.add_get("/domains.csv", domains_csv)
    app.router.add_get("/domains/{name}", domain_detail)
    app.router.add_post("/domains/{name}/renew", domain_renew)
    app.router.add_post("/domains/{name}/nameservers", domain_nameservers)
    app.router.add_get("/billing", billing_page)
    app.router.add_get("/billing.csv", billing_csv)
