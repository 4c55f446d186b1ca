"""The registrar console's registry lock page (from a domain's page): ask for lock or
unlock with a reason; the registry mails a one-time code to the registrar's address; the
request takes effect when that code comes back here with a fresh code from the user's
authenticator (re-authentication), both checked by the server."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, SESSION_COOKIE, client_ip, origin, trusted_session
from registry_core.errors import AuthenticationFailed, PermissionDenied
from registry_core.model.accounts import allowed
from registry_core.services import accounts, registry_lock

REAUTH = "Confirm it is you: enter a current code from your authenticator."


async def lock_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who, name = view.principal, request.match_info["name"]
    locked, requests = await registry_lock.domain_lock_state(request.app[CORE], who, name)
    open_request = next((r for r in requests if r.state == "requested"), None)
    context = {"who": who, "csrf": view.csrf_token, "name": name.lower(), "locked": locked, "requests": requests,
               "open_request": open_request, "can_write": allowed(who, "domains.write", who.registrar_id), **shown}
    return page(request, "lock.html", context, status=status)


async def _acting(request: web.Request, act: Any, *, reauth: bool) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    if reauth:
        try:
            await accounts.verify_second_factor(request.app[CORE], request.cookies[SESSION_COOKIE],
                                                str(form.get("totp", "")), client_ip(request), reauth=True)
        except (AuthenticationFailed, PermissionDenied):
            return await lock_page(request, error=REAUTH, status=401)
    return await page_after(request, lock_page, act(view.principal, form))


async def lock_request(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        asked = await registry_lock.request_lock(request.app[CORE], who, request.match_info["name"],
                                                 str(form.get("action", "")), str(form.get("reason", "")),
                                                 origin(request))
        return (f"Request {asked.id} to {asked.action}: the registry mailed a code to your registrar's address; "
                f"it is valid until {asked.expires_at:%H:%M} UTC.")
    return await _acting(request, act, reauth=False)


async def lock_confirm(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        try:
            request_id = int(str(form.get("request", "")))
        except ValueError:
            request_id = 0
        done = await registry_lock.confirm_lock(request.app[CORE], who, request_id, str(form.get("code", "")),
                                                origin(request))
        return f"Confirmed: {done.domain} is {'locked' if done.action == 'lock' else 'unlocked'}."
    return await _acting(request, act, reauth=True)


async def lock_view(request: web.Request) -> web.Response:
    return await lock_page(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/domains/{name}/lock", lock_view)
    app.router.add_post("/domains/{name}/lock/request", lock_request)
    app.router.add_post("/domains/{name}/lock/confirm", lock_confirm)
