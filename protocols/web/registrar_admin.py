"""The admin console's registrar pages: the list (and creating one), each registrar's
account with its status (suspend, reactivate), money (credits and manual adjustments with a
reason), price group, pinned client certificates, EPP IP allowlist and EPP password reset.
Certificates, the allowlist and the password need a fresh second factor; the services
check the role (admin; finance for money) and write who, why and from where."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from protocols.web.auth import page
from protocols.web.session import CORE, trusted_session
from protocols.web.staff_forms import Form, staff_action, staff_view
from registry_core.errors import InvalidValue
from registry_core.model.accounts import allowed
from registry_core.services import price_lists, registrars
from registry_core.services.staff import StaffChange


def _amount(text: str, field: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise InvalidValue(f"{field}: not an amount", field=field, value=text) from None


async def registrar_list(request: web.Request, *, notice: str = "", error: str = "", status: int = 200
                         ) -> web.Response:
    who = await staff_view(request)
    view = await trusted_session(request)
    context = {"who": who, "csrf": view.csrf_token, "notice": notice,
               "registrars": await registrars.list_registrars(request.app[CORE]),
               "can_change": allowed(who, "registry.policy")}
    if error:
        context["error"] = error
    return page(request, "admin_registrars.html", context, status)


async def registrar_list_page(request: web.Request) -> web.Response:
    return await registrar_list(request)


async def create_registrar(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        password = registrars.new_epp_password()
        iana = str(form.get("iana_id", "")).strip()
        created = await registrars.add_registrar(request.app[CORE], registrars.NewRegistrar(
            str(form.get("id", "")).strip(), str(form.get("name", "")).strip(), password,
            iana_id=int(iana) if iana.isdigit() else None,
            credit_limit=_amount(str(form.get("credit_limit", "0") or "0"), "credit_limit"),
            email=str(form.get("email", "")).strip() or None), change)
        return f"Registrar {created.id} created. EPP password (shown once): {password}"
    return await staff_action(request, act, registrar_list)


async def registrar_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200
                         ) -> web.Response:
    who = await staff_view(request)
    view = await trusted_session(request)
    core, registrar_id = request.app[CORE], request.match_info["registrar_id"]
    context = {"who": who, "csrf": view.csrf_token, "notice": notice,
               "registrar": await registrars.get_registrar(core, registrar_id),
               "group": await price_lists.registrar_group(core, registrar_id),
               "can_change": allowed(who, "registry.policy"), "can_bill": allowed(who, "billing.write")}
    if error:
        context["error"] = error
    return page(request, "admin_registrar.html", context, status)


async def registrar_detail(request: web.Request) -> web.Response:
    return await registrar_page(request)


def _id(request: web.Request) -> str:
    return request.match_info["registrar_id"]


async def set_status(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        status = str(form.get("status", ""))
        await registrars.update_registrar(request.app[CORE], _id(request), change=change, status=status)
        return f"Status now: {status}"
    return await staff_action(request, act, registrar_page)


async def credit(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        amount = _amount(str(form.get("amount", "")), "amount")
        balance = await registrars.credit_registrar(request.app[CORE], _id(request), amount,
                                                    str(form.get("description", "")), f"ADM-U{change.who.id}",
                                                    change)
        return f"Balance now: {balance}"
    return await staff_action(request, act, registrar_page)


async def price_group(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        group = str(form.get("group", "")).strip() or None
        await price_lists.set_registrar_group(request.app[CORE], _id(request), group, change)
        return f"Price group now: {group or 'none (the TLD prices)'}"
    return await staff_action(request, act, registrar_page)


async def pin_certificate(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        await registrars.add_certificate(request.app[CORE], _id(request), str(form.get("sha256", "")).strip(),
                                         str(form.get("subject", "")).strip() or None, change=change)
        return "Certificate pinned."
    return await staff_action(request, act, registrar_page, sensitive=True)


async def set_allowlist(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        networks = tuple(str(form.get("networks", "")).split())
        await registrars.update_registrar(request.app[CORE], _id(request), change=change, ip_allowlist=networks)
        return "EPP allowlist now: " + (", ".join(networks) or "any address")
    return await staff_action(request, act, registrar_page, sensitive=True)


async def reset_password(request: web.Request) -> web.Response:
    async def act(change: StaffChange, _form: Form) -> str:
        password = registrars.new_epp_password()
        await registrars.update_registrar(request.app[CORE], _id(request), change=change, password=password)
        return f"New EPP password (shown once): {password}"
    return await staff_action(request, act, registrar_page, sensitive=True)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/registrars", registrar_list_page)
    app.router.add_post("/registrars", create_registrar)
    app.router.add_get("/registrars/{registrar_id}", registrar_detail)
    for path, handler in (("status", set_status), ("credit", credit), ("price-group", price_group),
                          ("certificates", pin_certificate), ("allowlist", set_allowlist),
                          ("password", reset_password)):
        app.router.add_post(f"/registrars/{{registrar_id}}/{path}", handler)
