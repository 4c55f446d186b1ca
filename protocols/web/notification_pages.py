"""The registrar console's notifications page: e-mail preferences per event type, the
webhook endpoints (add, rotate the signing secret, disable: each after a fresh code from
the authenticator, as the security page asks before sensitive changes; a new secret is
shown once) and the delivery history from the outbox, newest first, in pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.security_pages import fresh_code_refusal
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import InvalidValue
from registry_core.model.accounts import Principal, allowed
from registry_core.services import console_notifications as notes

ALLOW_HTTP = web.AppKey("webhooks_allow_http", bool)


def _before(request: web.Request) -> int | None:
    text = request.query.get("before", "")
    if text and (not text.isdigit() or len(text) > 18):
        raise InvalidValue("before: a delivery id", field="before", value=text[:20])
    return int(text) if text else None


async def notifications(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who, core = view.principal, request.app[CORE]
    settings = await notes.notification_settings(core, who)
    rows = await notes.deliveries(core, who, _before(request), notes.PAGE + 1)
    if _before(request) is None:  # the newest page: what the dashboard counted as unread is seen
        await notes.mark_seen(core, who)
    more, rows = len(rows) > notes.PAGE, rows[:notes.PAGE]
    return page(request, "notifications.html", {
        "who": who, "csrf": view.csrf_token, "prefs": settings.prefs, "webhooks": settings.webhooks,
        "event_types": notes.EVENT_TYPES, "deliveries": rows,
        "next_query": urlencode({"before": rows[-1]["id"]}) if more else "",
        "can_set_prefs": allowed(who, "notifications.write", who.registrar_id),
        "can_manage": allowed(who, "security.write", who.registrar_id), **shown}, status)


async def notifications_page(request: web.Request) -> web.Response:
    return await notifications(request)


async def set_pref(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    event_type = str(form.get("event_type", ""))

    async def act() -> dict[str, Any]:
        default = form.get("default") == "yes"
        emails = None if default else notes.email_list(str(form.get("emails", "")))
        await notes.set_email_pref(request.app[CORE], view.principal, event_type, emails, origin(request))
        heard = "the registrar's address (default)" if emails is None else (", ".join(emails) or "nobody")
        return {"notice": f"E-mail for {event_type}: {heard}."}
    return await page_after(request, notifications, act(), lambda shown: shown)


Act = Callable[[Principal, Any], Awaitable[dict[str, Any]]]


async def _sensitive(request: web.Request, act: Act) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    if not allowed(view.principal, "security.write", view.principal.registrar_id):
        raise web.HTTPForbidden(text="this user may not change the registrar's webhooks")
    refused = await fresh_code_refusal(request, form)
    if refused is not None:
        return await notifications(request, error=refused, status=401)
    return await page_after(request, notifications, act(view.principal, form), lambda shown: shown)


async def add_webhook(request: web.Request) -> web.Response:
    async def act(who: Principal, form: Any) -> dict[str, Any]:
        endpoint_id, secret = await notes.add_webhook(request.app[CORE], who, str(form.get("url", "")),
                                                      allow_http=request.app[ALLOW_HTTP], origin=origin(request))
        return {"new_secret": secret,
                "notice": f"Webhook {endpoint_id} added: copy its signing secret now, it is shown only once."}
    return await _sensitive(request, act)


def _endpoint(request: web.Request) -> int:
    return int(request.match_info["endpoint_id"])


async def rotate_webhook(request: web.Request) -> web.Response:
    async def act(who: Principal, _form: Any) -> dict[str, Any]:
        secret = await notes.rotate_webhook(request.app[CORE], who, _endpoint(request), origin(request))
        return {"new_secret": secret, "notice": f"Webhook {_endpoint(request)} has a new signing secret (shown "
                                                "once); the old one keeps signing for a day."}
    return await _sensitive(request, act)


async def disable_webhook(request: web.Request) -> web.Response:
    async def act(who: Principal, _form: Any) -> dict[str, Any]:
        await notes.disable_webhook(request.app[CORE], who, _endpoint(request), origin(request))
        return {"notice": f"Webhook {_endpoint(request)} disabled."}
    return await _sensitive(request, act)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/notifications", notifications_page)
    app.router.add_post("/notifications/prefs", set_pref)
    app.router.add_post("/notifications/webhooks", add_webhook)
    app.router.add_post("/notifications/webhooks/{endpoint_id:[0-9]{1,18}}/rotate", rotate_webhook)
    app.router.add_post("/notifications/webhooks/{endpoint_id:[0-9]{1,18}}/disable", disable_webhook)
