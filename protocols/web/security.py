"""What every console response and request goes through: strict security headers, CSRF
checks on every state-changing request, and the one place core errors become answers.

CSRF (OWASP): a signed-in session has its own token, which every form carries as the
`csrf` field and every API call as the `X-CSRF-Token` header; before sign-in, the login
form uses a double-submit token (a `__Host-` cookie and the same value in the form)."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from protocols.web import errors
from registry_core.errors import CoreError

_log = logging.getLogger("registry.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRE_SESSION_COOKIE = "__Host-registry-presession"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Nothing inline and nothing from elsewhere: scripts and styles come from /static only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")


def headers_middleware(hsts: bool) -> Middleware:
    @web.middleware
    async def secure_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if isinstance(response, web.HTTPException):
            raise response
        return response
    return secure_headers


@web.middleware
async def core_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A core error the handler did not handle itself: its status and sentence, as JSON for
    the API and as plain text otherwise (pages handle the errors they expect)."""
    try:
        return await handler(request)
    except CoreError as exc:
        status = errors.status_for(exc)
        if status is None:
            _log.exception("unmapped core error on %s %s", request.method, request.path)
            status = 500
        message = errors.message_for(exc) if status != 500 else "internal error"
        if request.path.startswith("/api/"):
            return web.json_response({"error": message, "status": status}, status=status)
        return web.Response(text=message, status=status)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def new_pre_session_token() -> str:
    return secrets.token_urlsafe(16)


async def form_csrf(request: web.Request) -> str | None:
    form = await request.post()
    value = form.get("csrf")
    return value if isinstance(value, str) else None


async def require_csrf(request: web.Request, expected: str | None) -> None:
    """Refuse (403) a state-changing request without the right token."""
    given = request.headers.get(CSRF_HEADER) or await form_csrf(request)
    if not tokens_match(expected, given):
        raise web.HTTPForbidden(text="missing or wrong CSRF token; reload the page and try again")
