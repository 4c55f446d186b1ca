"""What every staff form on the admin console does the same way: the session, the CSRF
token, the reason and origin of the change (registry_core.services.staff.StaffChange),
a fresh second factor for the sensitive ones, and a refusal shown beside the form with the
status of the error table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, SESSION_COOKIE, client_ip, origin, trusted_session
from registry_core.errors import AuthenticationFailed, PermissionDenied
from registry_core.model.accounts import Principal
from registry_core.services import accounts
from registry_core.services.staff import StaffChange

Form = Any  # aiohttp's MultiDictProxy of a posted form
Act = Callable[[StaffChange, Form], Awaitable[str]]  # the change; the notice to show
Render = Callable[..., Awaitable[web.Response]]  # the page, with notice= or error= and status=
REAUTH_REFUSED = "Confirm it is you: enter a current code from your authenticator."


async def staff_view(request: web.Request) -> Principal:
    """The signed-in registry staff member (registrars' users are refused by the server)."""
    view = await trusted_session(request)
    if not view.principal.staff:
        raise PermissionDenied("registry staff only", object_type="console")
    return view.principal


async def fresh_proof(request: web.Request, form: Form) -> bool:
    """Whether the form carries a current second-factor code (re-authentication)."""
    try:
        await accounts.verify_second_factor(request.app[CORE], request.cookies[SESSION_COOKIE],
                                            str(form.get("code", "")), client_ip(request), reauth=True)
        await accounts.session_principal(request.app[CORE], request.cookies[SESSION_COOKIE], sensitive=True)
    except (AuthenticationFailed, PermissionDenied):
        return False
    return True


async def staff_action(request: web.Request, act: Act, render: Render, *, sensitive: bool = False
                       ) -> web.Response:
    """Run one staff change from a posted form and show the page again with its outcome
    (registry staff only: the admin console is not a registrar's, whatever its role)."""
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    await staff_view(request)
    form = await request.post()
    if sensitive and not await fresh_proof(request, form):
        return await render(request, error=REAUTH_REFUSED, status=401)
    change = StaffChange(view.principal, str(form.get("reason", "")), origin(request))
    return await page_after(request, render, act(change, form))
