"""Signing in and out, the same on both consoles: password, then the second factor (a TOTP
code or a recovery code; a user without one enrols TOTP first and is shown the recovery
codes once). Every form is CSRF-checked; a refusal says only what a stranger may know."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from protocols.web.security import PRE_SESSION_COOKIE, new_pre_session_token, require_csrf
from protocols.web.session import (
    CORE,
    SESSION_COOKIE,
    clear_cookie,
    client_ip,
    current_session,
    set_cookie,
    start_session,
)
from registry_core.errors import AuthenticationFailed, InvalidValue, LoginDelayed, PermissionDenied
from registry_core.services import accounts

ISSUER = web.AppKey("issuer", str)
TITLE = web.AppKey("title", str)
SSO_LOGIN = web.AppKey("sso_login", str)  # what the login page offers: "staff", "registrar" or "" (no SSO)
# where to send a browser whose session single sign-on opened (the provider's logout), or None:
# set by protocols/web/sso.py; called with the request, the provider's issuer and the user's registrar
EndSession = Callable[[web.Request, str, str | None], Awaitable[str | None]]
END_SESSION: web.AppKey[EndSession] = web.AppKey("end_session")


def page(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, {"title": request.app[TITLE],
                                                               "sso": request.app.get(SSO_LOGIN, ""), **context},
                                          status=status)


async def login_form(request: web.Request) -> web.Response:
    view = await current_session(request)
    if view is not None and view.trusted:
        raise web.HTTPSeeOther("/")
    token = new_pre_session_token()
    response = page(request, "login.html", {"csrf": token})
    set_cookie(response, PRE_SESSION_COOKIE, token)
    return response


async def login(request: web.Request) -> web.Response:
    await require_csrf(request, request.cookies.get(PRE_SESSION_COOKIE))
    form = await request.post()
    try:
        signed = await accounts.sign_in(request.app[CORE], str(form.get("login", "")), str(form.get("password", "")),
                                        client_ip(request), request.headers.get("User-Agent", ""))
    except LoginDelayed as exc:
        return _again(request, f"Too many failed sign-ins. Try again in {exc.retry_after:.0f} seconds.", 429)
    except AuthenticationFailed:
        return _again(request, "Wrong login or password.", 401)
    response = web.HTTPSeeOther("/mfa/enrol" if signed.second_factor == "enrol" else "/mfa")
    start_session(response, signed.token)
    raise response


def _again(request: web.Request, error: str, status: int) -> web.Response:
    token = new_pre_session_token()
    response = page(request, "login.html", {"csrf": token, "error": error}, status)
    set_cookie(response, PRE_SESSION_COOKIE, token)
    return response


async def _pending(request: web.Request) -> accounts.SessionView:
    view = await current_session(request)
    if view is None:
        raise web.HTTPSeeOther("/login")
    return view


async def mfa_form(request: web.Request) -> web.Response:
    view = await _pending(request)
    if not view.has_factor:
        raise web.HTTPSeeOther("/mfa/enrol")
    return page(request, "mfa.html", {"csrf": view.csrf_token, "has_passkey": view.has_passkey,
                                      "has_totp": view.has_totp})


async def mfa(request: web.Request) -> web.Response:
    view = await _pending(request)
    await require_csrf(request, view.csrf_token)
    code = str((await request.post()).get("code", ""))
    try:
        await accounts.verify_second_factor(request.app[CORE], request.cookies[SESSION_COOKIE], code,
                                            client_ip(request))
    except LoginDelayed as exc:
        return page(request, "mfa.html", {"csrf": view.csrf_token, "has_passkey": view.has_passkey,
                                          "has_totp": view.has_totp,
                                          "error": f"Too many wrong codes. Wait {exc.retry_after:.0f} seconds."}, 429)
    except AuthenticationFailed:
        return page(request, "mfa.html", {"csrf": view.csrf_token, "has_passkey": view.has_passkey,
                                          "has_totp": view.has_totp, "error": "That code is not right."}, 401)
    raise web.HTTPSeeOther("/")


async def enrol_form(request: web.Request) -> web.Response:
    view = await _pending(request)
    try:
        enrolment = await accounts.begin_totp_enrolment(request.app[CORE], request.cookies[SESSION_COOKIE],
                                                        request.app[ISSUER])
    except PermissionDenied:
        raise web.HTTPSeeOther("/mfa") from None
    return page(request, "enrol.html", {"csrf": view.csrf_token, "secret": enrolment.secret, "uri": enrolment.uri})


async def enrol(request: web.Request) -> web.Response:
    view = await _pending(request)
    await require_csrf(request, view.csrf_token)
    code = str((await request.post()).get("code", ""))
    try:
        codes = await accounts.confirm_totp(request.app[CORE], request.cookies[SESSION_COOKIE], code,
                                            client_ip(request))
    except (AuthenticationFailed, InvalidValue):
        raise web.HTTPSeeOther("/mfa/enrol") from None
    return page(request, "recovery.html", {"codes": codes})


async def logout(request: web.Request) -> web.Response:
    """End the session; one single sign-on opened goes on to the provider's logout, which
    sends the browser back to our login page."""
    view, next_url = await current_session(request), None
    if view is not None:
        await require_csrf(request, view.csrf_token)
        issuer = await accounts.sign_out(request.app[CORE], request.cookies[SESSION_COOKIE])
        end_session = request.app.get(END_SESSION)
        if issuer and end_session is not None:
            next_url = await end_session(request, issuer, view.principal.registrar_id)
    response = web.HTTPSeeOther(next_url or "/login")
    clear_cookie(response, SESSION_COOKIE)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_get("/mfa", mfa_form)
    app.router.add_post("/mfa", mfa)
    app.router.add_get("/mfa/enrol", enrol_form)
    app.router.add_post("/mfa/enrol", enrol)
    app.router.add_post("/logout", logout)
