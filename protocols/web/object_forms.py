"""The registrar console's contact and host pages: one object with its update and delete
forms, and the create form (/new/contact, /new/host). Each form calls the use case EPP
calls; a refusal is shown beside the form with the sentence from the consoles' one error
table (permission refusals: the error middleware, 403)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import InvalidValue
from registry_core.model.accounts import Principal, allowed
from registry_core.services import console_object_actions as actions

MAX_STREET_LINES = 3  # RFC 5733 section 2.4.1: one to three street lines
Form = dict[str, str]


def contact_form(form: Form) -> actions.ContactForm:
    street = tuple(line for line in form.get("street", "").splitlines() if line.strip())
    if len(street) > MAX_STREET_LINES:
        raise InvalidValue(f"at most {MAX_STREET_LINES} street lines", object_type="contact", field="street")
    get = form.get
    return actions.ContactForm(get("name", ""), get("org", ""), street, get("city", ""), get("sp", ""), get("pc", ""),
                               get("cc", ""), get("email", ""), get("voice", ""))


def _addresses(form: Form) -> tuple[str, ...]:
    return tuple(form.get("addresses", "").split())


async def _detail(request: web.Request, who: Principal, kind: str, key: str) -> Any:
    detail = actions.contact_detail if kind == "contact" else actions.host_detail
    return await detail(request.app[CORE], who, key)


async def object_page(kind: str, request: web.Request, **shown: Any) -> web.Response:
    """The object named in the path (or by `key` after a create), or the create form when
    there is none (or it was just deleted: `gone`)."""
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who = view.principal
    key = shown.pop("key", request.match_info.get("key"))
    obj = None if shown.pop("gone", False) or not key else await _detail(request, who, kind, key)
    return page(request, "object.html", {
        "who": who, "csrf": view.csrf_token, "kind": kind, "obj": obj, "form": shown.pop("form", {}),
        "can_write": allowed(who, "domains.write", who.registrar_id), **shown}, status)


Act = Callable[[Principal, Form], Awaitable[dict[str, Any]]]


async def _acting(request: web.Request, kind: str, act: Act) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    return await page_after(request, partial(object_page, kind, form=form), act(view.principal, form),
                            lambda shown: shown)


def viewer(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return await object_page(kind, request)
    return handler


async def create_contact(request: web.Request) -> web.Response:
    async def act(who: Principal, form: Form) -> dict[str, Any]:
        made = await actions.create_contact(request.app[CORE], who, form.get("handle", ""), contact_form(form),
                                            origin(request))
        return {"key": made.handle, "notice": f"Contact {made.handle} created."}
    return await _acting(request, "contact", act)


async def update_contact(request: web.Request) -> web.Response:
    async def act(who: Principal, form: Form) -> dict[str, Any]:
        done = await actions.update_contact(request.app[CORE], who, request.match_info["key"], contact_form(form),
                                            origin(request))
        return {"notice": f"Contact {done.handle} updated."}
    return await _acting(request, "contact", act)


async def delete_object(request: web.Request, kind: str) -> web.Response:
    async def act(who: Principal, form: Form) -> dict[str, Any]:
        key = request.match_info["key"]
        if form.get("confirm", "").strip().lower() != key.strip().lower():
            raise InvalidValue(f"type the {kind}'s name to confirm the delete", object_type=kind, field="confirm")
        delete = actions.delete_contact if kind == "contact" else actions.delete_host
        await delete(request.app[CORE], who, key, origin(request))
        return {"gone": True, "notice": f"{kind.capitalize()} {key} deleted."}
    return await _acting(request, kind, act)


async def delete_contact(request: web.Request) -> web.Response:
    return await delete_object(request, "contact")


async def create_host(request: web.Request) -> web.Response:
    async def act(who: Principal, form: Form) -> dict[str, Any]:
        made = await actions.create_host(request.app[CORE], who, form.get("name", ""), _addresses(form),
                                         origin(request))
        return {"key": made.name, "notice": f"Host {made.name} created."}
    return await _acting(request, "host", act)


async def update_host(request: web.Request) -> web.Response:
    async def act(who: Principal, form: Form) -> dict[str, Any]:
        done = await actions.set_host_addresses(request.app[CORE], who, request.match_info["key"], _addresses(form),
                                                origin(request))
        return {"notice": f"Host {done.name} addresses now: " + (" ".join(done.addresses) or "none")}
    return await _acting(request, "host", act)


async def delete_host(request: web.Request) -> web.Response:
    return await delete_object(request, "host")


def add_routes(app: web.Application) -> None:
    for kind in ("contact", "host"):
        app.router.add_get(f"/new/{kind}", viewer(kind))
        app.router.add_get(f"/{kind}s/{{key}}", viewer(kind))
    app.router.add_post("/new/contact", create_contact)
    app.router.add_post("/contacts/{key}/update", update_contact)
    app.router.add_post("/contacts/{key}/delete", delete_contact)
    app.router.add_post("/new/host", create_host)
    app.router.add_post("/hosts/{key}/update", update_host)
    app.router.add_post("/hosts/{key}/delete", delete_host)
