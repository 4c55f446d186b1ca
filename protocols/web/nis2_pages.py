"""The admin console's pages for registry lock (locked domains, lock requests), access
requests for redacted data (NIS2 Art. 28(5): received, due, overdue, decided) and registrant
verification (document review). Every action goes through registry_core.services, which
checks the staff role and writes the history the audit search shows."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import PermissionDenied
from registry_core.model.access_request import DECISIONS, REDACTED_FIELDS
from registry_core.model.verification import FIELDS, STATES
from registry_core.services import access_requests, registry_lock
from registry_core.services import registrant_verification as verification


async def _staff_view(request: web.Request) -> Any:
    view = await trusted_session(request)
    if not view.principal.staff:
        raise PermissionDenied("registry staff only", object_type="registry")
    return view


async def locks(request: web.Request) -> web.Response:
    view = await _staff_view(request)
    core, who = request.app[CORE], view.principal
    return page(request, "admin_locks.html", {
        "who": who, "csrf": view.csrf_token, "locked": await registry_lock.list_locked(core, who),
        "requests": await registry_lock.list_lock_requests(core, who)})


async def access_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await _staff_view(request)
    overdue = request.query.get("overdue") == "1"
    rows = await access_requests.list_access_requests(request.app[CORE], view.principal, overdue_only=overdue)
    return page(request, "admin_access_requests.html", {
        "who": view.principal, "csrf": view.csrf_token, "rows": rows, "overdue": overdue,
        "fields": REDACTED_FIELDS, "decisions": DECISIONS, **shown}, status=status)


async def verification_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await _staff_view(request)
    state = request.query.get("state", "") if request.query.get("state", "") in STATES else ""
    rows = await verification.list_verifications(request.app[CORE], view.principal, state or None)
    return page(request, "admin_verifications.html", {
        "who": view.principal, "csrf": view.csrf_token, "rows": rows, "state": state, "states": STATES,
        "fields": FIELDS, **shown}, status=status)


async def _acting(request: web.Request, act: Any, again: Any) -> web.Response:
    view = await _staff_view(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    return await page_after(request, again, act(view.principal, form))


async def access_add(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        got = await access_requests.receive_access_request(
            request.app[CORE], who, str(form.get("domain", "")), str(form.get("requester", "")),
            str(form.get("requester_email", "")), str(form.get("purpose", "")),
            [str(f) for f in form.getall("field", [])], origin(request))
        return f"Access request {got.id} recorded; due {got.due_at:%Y-%m-%d %H:%M} UTC."
    return await _acting(request, act, access_page)


async def access_decide(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        done = await access_requests.decide_access_request(
            request.app[CORE], who, int(request.match_info["request_id"]), str(form.get("decision", "")),
            [str(f) for f in form.getall("disclose", [])], str(form.get("reason", "")), origin(request))
        return f"Access request {done.id}: {done.decision}."
    return await _acting(request, act, access_page)


async def verification_review(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        done = await verification.review_document(
            request.app[CORE], who, request.match_info["handle"], str(form.get("verdict", "")) == "approve",
            [str(f) for f in form.getall("field", [])], str(form.get("note", "")), origin(request))
        return f"Contact {done.handle}: {done.state}."
    return await _acting(request, act, verification_page)


async def access_view(request: web.Request) -> web.Response:
    return await access_page(request)


async def verification_view(request: web.Request) -> web.Response:
    return await verification_page(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/locks", locks)
    app.router.add_get("/access-requests", access_view)
    app.router.add_post("/access-requests", access_add)
    app.router.add_post("/access-requests/{request_id:\\d+}/decide", access_decide)
    app.router.add_get("/verifications", verification_view)
    app.router.add_post("/verifications/{handle}/review", verification_review)
