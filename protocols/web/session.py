"""The session cookie and who a request is. The cookie holds a random 128-bit token (the
database keeps only its digest); `__Host-` pins it to this host, Secure, Path=/;
SameSite=Strict keeps other sites' pages from sending it."""

from __future__ import annotations

from aiohttp import web

from protocols.web.security import PRE_SESSION_COOKIE
from registry_core.context import Core
from registry_core.errors import AuthenticationFailed
from registry_core.model.accounts import digest
from registry_core.services import accounts
from registry_core.services.accounts import SessionView

SESSION_COOKIE = "__Host-registry-session"
CORE = web.AppKey("core", Core)


def set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="Strict")


def clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path="/", secure=True, httponly=True, samesite="Strict")


def start_session(response: web.StreamResponse, token: str) -> None:
    set_cookie(response, SESSION_COOKIE, token)
    clear_cookie(response, PRE_SESSION_COOKIE)


async def current_session(request: web.Request) -> SessionView | None:
    """The request's live session (trusted or not yet), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await accounts.session_view(request.app[CORE], token)
    except AuthenticationFailed:
        return None


async def trusted_session(request: web.Request) -> SessionView:
    """The request's trusted session, or a redirect to the step still missing."""
    view = await current_session(request)
    if view is None:
        raise web.HTTPSeeOther("/login")
    if not view.trusted:
        raise web.HTTPSeeOther("/mfa" if view.has_factor else "/mfa/enrol")
    return view


def client_ip(request: web.Request) -> str | None:
    return request.remote


def origin(request: web.Request) -> tuple[tuple[str, str], ...]:
    """Where a request came from, for the history: the client address and which session
    (the first characters of its token's digest, never the token)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    found = [("ip", client_ip(request) or "")]
    if token:
        found.append(("session", digest(token).hex()[:12]))
    return tuple(found)
