"""The registrar console's registrant verification page (NIS2 Art. 28), one per contact:
its state, method and verified fields; ask for verification by e-mail or document, give the
document's reference for staff review, or enter the code the contact received by e-mail."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.model.accounts import allowed
from registry_core.model.verification import METHODS
from registry_core.services import registrant_verification as verification


async def verification_page(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who, handle = view.principal, request.match_info["handle"]
    state = await verification.get_verification(request.app[CORE], who, handle)
    return page(request, "contact_verification.html", {
        "who": who, "csrf": view.csrf_token, "v": state, "methods": METHODS,
        "can_write": allowed(who, "domains.write", who.registrar_id), **shown}, status=status)


async def _acting(request: web.Request, act: Any) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    return await page_after(request, verification_page, act(view.principal, request.match_info["handle"], form),
                            lambda done: {"notice": f"Verification of {done.handle}: "
                                                    f"{done.state.replace('_', ' ')}."})


async def ask(request: web.Request) -> web.Response:
    async def act(who: Any, handle: str, form: Any) -> Any:
        return await verification.request_verification(request.app[CORE], who, handle, str(form.get("method", "")),
                                                       origin(request))
    return await _acting(request, act)


async def submit(request: web.Request) -> web.Response:
    async def act(who: Any, handle: str, form: Any) -> Any:
        return await verification.submit_document(request.app[CORE], who, handle, str(form.get("document", "")),
                                                  origin(request))
    return await _acting(request, act)


async def confirm(request: web.Request) -> web.Response:
    async def act(who: Any, handle: str, form: Any) -> Any:
        return await verification.confirm_email(request.app[CORE], handle, str(form.get("code", "")), origin(request),
                                                who)
    return await _acting(request, act)


async def view_page(request: web.Request) -> web.Response:
    return await verification_page(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/contacts/{handle}/verification", view_page)
    app.router.add_post("/contacts/{handle}/verification/request", ask)
    app.router.add_post("/contacts/{handle}/verification/document", submit)
    app.router.add_post("/contacts/{handle}/verification/code", confirm)
