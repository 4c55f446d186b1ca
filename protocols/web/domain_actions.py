"""The registrar console's further domain forms: DS records, contacts, delete and restore
with its report. Each posts to the domain's page and answers with that page, showing the
outcome or the core's refusal beside the forms (permission refusals: the error middleware)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.forms import day_start, page_after
from protocols.web.registrar import domain_page
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import InvalidValue, ObjectNotFound
from registry_core.model.accounts import Principal
from registry_core.services import console_domain_actions as actions

Act = Callable[[Principal, dict[str, str]], Awaitable[str]]


async def _acting(request: web.Request, act: Act) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = {k: str(v) for k, v in (await request.post()).items()}
    return await page_after(request, domain_page, act(view.principal, form))


def _ds_of(form: dict[str, str]) -> Any:
    return actions.ds_record(form.get("key_tag", ""), form.get("alg", ""), form.get("digest_type", ""),
                             form.get("digest", ""))


async def ds_add(request: web.Request) -> web.Response:
    async def act(who: Principal, form: dict[str, str]) -> str:
        info = await actions.change_ds(request.app[CORE], who, request.match_info["name"], add=(_ds_of(form),),
                                       origin=origin(request))
        return f"DS records: {len(info.ds)}"
    return await _acting(request, act)


async def ds_remove(request: web.Request) -> web.Response:
    async def act(who: Principal, form: dict[str, str]) -> str:
        info = await actions.change_ds(request.app[CORE], who, request.match_info["name"], remove=(_ds_of(form),),
                                       origin=origin(request))
        return f"DS record removed; {len(info.ds)} left"
    return await _acting(request, act)


async def contacts_set(request: web.Request) -> web.Response:
    async def act(who: Principal, form: dict[str, str]) -> str:
        wanted = tuple((role, handle) for role in actions.CONTACT_ROLES
                       for handle in form.get(role, "").split())
        info = await actions.set_contacts(request.app[CORE], who, request.match_info["name"],
                                          form.get("registrant", ""), wanted, origin(request))
        return "Contacts now: " + ", ".join(f"{r} {h}" for r, h in info.contacts)
    return await _acting(request, act)


async def domain_delete(request: web.Request) -> web.Response:
    freed: list[str] = []

    async def act(who: Principal, form: dict[str, str]) -> str:
        if form.get("confirm") != request.match_info["name"]:
            raise InvalidValue("type the domain's name to confirm the delete", object_type="domain",
                               field="confirm")
        done = await actions.delete_from_console(request.app[CORE], who, request.match_info["name"],
                                                 origin(request))
        if not done.pending:  # gone at once: there is no domain page to show any more
            freed.append(done.name)
            return ""
        return f"Deleted: {done.name} is in its redemption period and can be restored."
    view = await trusted_session(request)
    try:
        return await _acting(request, act)
    except ObjectNotFound:
        if not freed:
            raise
        return page(request, "domain_deleted.html", {"who": view.principal, "csrf": view.csrf_token,
                                                     "name": freed[0]})


async def domain_restore(request: web.Request) -> web.Response:
    async def act(who: Principal, form: dict[str, str]) -> str:
        report = actions.report_of(day_start(form.get("deleted", ""), "deleted"),
                                   day_start(form.get("restored", ""), "restored"), form)
        done = await actions.restore_from_console(request.app[CORE], who, request.match_info["name"], report,
                                                  origin(request))
        return f"Restored: {done.name} expires {done.expires_at:%Y-%m-%d}."
    return await _acting(request, act)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/domains/{name}/ds/add", ds_add)
    app.router.add_post("/domains/{name}/ds/remove", ds_remove)
    app.router.add_post("/domains/{name}/contacts", contacts_set)
    app.router.add_post("/domains/{name}/delete", domain_delete)
    app.router.add_post("/domains/{name}/restore", domain_restore)
