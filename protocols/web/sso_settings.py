"""The registrar console's single sign-on page: a registrar's owner sets (or removes) its
own OpenID Connect identity provider: issuer, client id, client secret (stored encrypted,
never shown again), scopes. Its users then sign in at /sso/start?registrar=ID. A change
needs a fresh second factor; the service checks the owner role and writes the history."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, trusted_session
from protocols.web.staff_forms import REAUTH_REFUSED, fresh_proof
from registry_core.model.accounts import allowed
from registry_core.services import sso
from registry_core.services.sso import Provider


async def sso_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200) -> web.Response:
    view = await trusted_session(request)
    who = view.principal
    registrar_id = who.registrar_id or ""
    can_manage = allowed(who, "security.write", registrar_id) and not who.staff
    current = await sso.registrar_provider_settings(request.app[CORE], who, registrar_id) if can_manage else None
    context = {"who": who, "csrf": view.csrf_token, "notice": notice, "current": current, "can_manage": can_manage,
               "registrar": registrar_id}
    if error:
        context["error"] = error
    return page(request, "registrar_sso.html", context, status)


async def sso_settings_page(request: web.Request) -> web.Response:
    return await sso_page(request)


async def _change(request: web.Request, act: Any) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    if not await fresh_proof(request, form):
        return await sso_page(request, error=REAUTH_REFUSED, status=401)
    return await page_after(request, sso_page, act(view.principal, form))


async def set_provider(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        provider = Provider(str(form.get("issuer", "")).strip(), str(form.get("client_id", "")).strip(),
                            str(form.get("client_secret", "")).strip(),
                            str(form.get("scopes", "")).strip() or "openid email")
        await sso.set_registrar_provider(request.app[CORE], who.registrar_id or "", provider, by=who)
        return f"Single sign-on now goes to {provider.issuer.rstrip('/')}."
    return await _change(request, act)


async def remove_provider(request: web.Request) -> web.Response:
    async def act(who: Any, _form: Any) -> str:
        removed = await sso.remove_registrar_provider(request.app[CORE], who.registrar_id or "", by=who)
        return "Single sign-on removed." if removed else "No identity provider was set."
    return await _change(request, act)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/security/sso", sso_settings_page)
    app.router.add_post("/security/sso", set_provider)
    app.router.add_post("/security/sso/remove", remove_provider)
