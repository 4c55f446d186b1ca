"""The registrar console's security page: the user's sessions, the registrar's API keys
and console users. Creating or revoking a key and inviting a user are sensitive: each
needs a fresh TOTP code, and the server checks the role (owner) whatever the page shows."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, SESSION_COOKIE, client_ip, trusted_session
from registry_core.errors import AuthenticationFailed, PermissionDenied
from registry_core.model.accounts import REGISTRAR_ROLES, allowed
from registry_core.services import accounts


async def security(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who, core = view.principal, request.app[CORE]
    registrar = who.registrar_id or ""
    context = {"who": who, "csrf": view.csrf_token, "roles": REGISTRAR_ROLES,
               "sessions": await accounts.live_sessions(core, who.id),
               "keys": await accounts.api_keys(core, registrar) if allowed(who, "security.write", registrar) else [],
               "users": await accounts.list_users(core, who, registrar),
               "can_manage": allowed(who, "security.write", registrar), **shown}
    return page(request, "security.html", context, status=status)


async def fresh_code_refusal(request: web.Request, form: Any) -> str | None:
    """None when the fresh code is right, else the sentence to show."""
    try:
        await accounts.verify_second_factor(request.app[CORE], request.cookies[SESSION_COOKIE],
                                            str(form.get("code", "")), client_ip(request), reauth=True)
    except (AuthenticationFailed, PermissionDenied):
        return "Confirm it is you: enter a current code from your authenticator."
    return None


async def _sensitive(request: web.Request, act: Any) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    refused = await fresh_code_refusal(request, form)
    if refused is not None:
        return await security(request, error=refused, status=401)
    return await page_after(request, security, act(view.principal, form), lambda shown: shown)


async def create_key(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> dict[str, Any]:
        ips = [ip for ip in str(form.get("allowed_ips", "")).split() if ip]
        key = await accounts.create_api_key(request.app[CORE], who, str(form.get("name", "")).strip() or "API key",
                                            str(form.get("role", "read-only")), registrar_id=who.registrar_id,
                                            allowed_ips=ips)
        return {"new_key": key.token, "notice": f"API key {key.hint} created: copy it now, it is shown only once."}
    return await _sensitive(request, act)


async def revoke_key(request: web.Request) -> web.Response:
    async def act(who: Any, _form: Any) -> dict[str, Any]:
        key_id = int(request.match_info["key_id"])
        await accounts.revoke_api_key(request.app[CORE], who, key_id, who.registrar_id)
        return {"notice": f"API key {key_id} revoked."}
    return await _sensitive(request, act)


async def invite_user(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> dict[str, Any]:
        password = accounts.temporary_password()
        login = str(form.get("login", ""))
        await accounts.add_user(request.app[CORE], accounts.NewUser(
            login, str(form.get("email", "")), str(form.get("role", "read-only")), who.registrar_id,
            password=password), by=who)
        return {"notice": f"User {login.strip().lower()} added. First password (shown once): {password}"}
    return await _sensitive(request, act)


async def end_other_sessions(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    ended = await accounts.end_other_sessions(request.app[CORE], request.cookies[SESSION_COOKIE])
    return await security(request, notice=f"{ended} other session(s) ended.")


async def security_page(request: web.Request) -> web.Response:
    return await security(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/security", security_page)
    app.router.add_post("/security/sessions/end-others", end_other_sessions)
    app.router.add_post("/security/api-keys", create_key)
    app.router.add_post("/security/api-keys/{key_id:[0-9]+}/revoke", revoke_key)
    app.router.add_post("/security/users", invite_user)
