"""The registry staff's console: the registry as a whole (every action through
registry_core.services, permission-checked there). Sensitive changes (server statuses)
need a fresh proof of identity: a TOTP code given in the last minutes."""

from __future__ import annotations

from aiohttp import web

from protocols.web import errors
from protocols.web.auth import page
from protocols.web.security import require_csrf
from protocols.web.session import CORE, SESSION_COOKIE, client_ip, origin, trusted_session
from registry_core.errors import AuthenticationFailed, CoreError, PermissionDenied
from registry_core.services import (
    accounts,
    audit_search,
    console_domains,
    lifecycle_view,
    operations_view,
    overview,
    server_statuses,
)


async def dashboard(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    totals = await overview.registry_totals(request.app[CORE], view.principal)
    return page(request, "admin_dashboard.html", {"who": view.principal, "csrf": view.csrf_token, "totals": totals})


async def domain_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200) -> web.Response:
    view = await trusted_session(request)
    if not view.principal.staff:
        raise PermissionDenied("registry staff only", object_type="domain")
    info = await console_domains.domain_detail(request.app[CORE], view.principal, request.match_info["name"])
    context = {"who": view.principal, "csrf": view.csrf_token, "domain": info, "notice": notice,
               "server_statuses": sorted(server_statuses.SERVER_SETTABLE)}
    if error:
        context["error"] = error
    return page(request, "admin_domain.html", context, status)


async def domain_detail(request: web.Request) -> web.Response:
    return await domain_page(request)


async def domain_statuses(request: web.Request) -> web.Response:
    """Add or remove one server status, with a reason, after a fresh TOTP code."""
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    core, token = request.app[CORE], request.cookies[SESSION_COOKIE]
    try:
        await accounts.verify_second_factor(core, token, str(form.get("code", "")), client_ip(request), reauth=True)
        await accounts.session_principal(core, token, sensitive=True)
    except (AuthenticationFailed, PermissionDenied):
        return await domain_page(request, error="Confirm it is you: enter a current code from your authenticator.",
                                 status=401)
    status, change = str(form.get("status", "")), str(form.get("change", ""))
    add, rem = ([status], []) if change == "add" else ([], [status])
    try:
        after = await server_statuses.set_server_statuses(core, view.principal, request.match_info["name"], add, rem,
                                                          str(form.get("reason", "")), origin(request))
    except CoreError as exc:
        code = errors.page_status(exc)
        if code is None:
            raise
        return await domain_page(request, error=errors.message_for(exc), status=code)
    return await domain_page(request, notice="Statuses now: " + (", ".join(after) or "none set by the registry"))


async def audit(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    name = request.query.get("object", "")
    rows = await audit_search.search_history(request.app[CORE], view.principal, name,
                                             request.query.get("action", "")) if name else []
    return page(request, "audit.html", {"who": view.principal, "csrf": view.csrf_token, "rows": rows,
                                        "object": name, "action": request.query.get("action", "")})


async def dns(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    zones = await operations_view.dns_overview(request.app[CORE], view.principal)
    return page(request, "admin_dns.html", {"who": view.principal, "csrf": view.csrf_token, "zones": zones})


async def outbox(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    status = await operations_view.outbox_overview(request.app[CORE], view.principal)
    return page(request, "admin_outbox.html", {"who": view.principal, "csrf": view.csrf_token, "status": status})


async def lifecycle(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    found = await lifecycle_view.lifecycle_overview(request.app[CORE], view.principal)
    return page(request, "admin_lifecycle.html", {"who": view.principal, "csrf": view.csrf_token, "view": found})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
    app.router.add_get("/domains/{name}", domain_detail)
    app.router.add_post("/domains/{name}/statuses", domain_statuses)
    app.router.add_get("/audit", audit)
    app.router.add_get("/dns", dns)
    app.router.add_get("/outbox", outbox)
    app.router.add_get("/lifecycle", lifecycle)
