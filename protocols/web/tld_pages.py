"""The admin console's TLD pages: every TLD's policy (each setting `registry tld set` has),
its prices, premium names (CSV upload, every bad row reported), reserved names and the
price groups' prices. Every change goes through registry_core.services with the admin's
name, address and reason; the services check the role, whatever the page shows."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from protocols.web.auth import page
from protocols.web.session import CORE, trusted_session
from protocols.web.staff_forms import Form, staff_action, staff_view
from registry_core.errors import InvalidValue
from registry_core.model.accounts import allowed
from registry_core.model.pricing import PRICED_ACTIONS
from registry_core.model.registrar import Tld
from registry_core.services import price_lists, tlds
from registry_core.services.staff import StaffChange

CONTACT_POLICIES = ("required", "optional", "none")
# Each setting of `registry tld set`, how its form field reads, and the Tld field showing it.
SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("contact_policy", "choice", "contact_policy"), ("currency", "text", "currency"),
    ("min_period_years", "int", "min_period_years"), ("max_period_years", "int", "max_period_years"),
    ("transfer_period_years", "int", "transfer_period_years"),
    ("transfer_auto_approve", "days", "transfer_auto_approve_days"),
    *((key, "days", key) for key in ("add_grace", "renew_grace", "autorenew_grace", "transfer_grace",
                                     "redemption_period", "pending_delete_period", "pending_restore_period")),
    ("auto_renew", "bool", "auto_renew"), ("whois_enabled", "bool", "whois_enabled"),
    ("rdap_icann_profile", "bool", "rdap_icann_profile"), ("expiry_reminder_days", "list", ""),
)
MAX_CSV_BYTES = 1024 * 1024  # within the consoles' request body bound (console.max_body_bytes)


def shown_value(tld: Tld, kind: str, field: str, reminder_days: list[int]) -> Any:
    if kind == "list":
        return ",".join(str(d) for d in reminder_days)
    value = getattr(tld, field)
    if kind == "days" and not isinstance(value, float):
        return f"{value.total_seconds() / 86400:g}"
    return f"{value:g}" if isinstance(value, float) else value


def changed_settings(form: Form, current: dict[str, Any]) -> dict[str, Any]:
    """The settings the form changes, as the core takes them."""
    found: dict[str, Any] = {}
    for key, kind, _field in SETTINGS:
        text = "on" if kind == "bool" and form.get(key) else str(form.get(key, "")).strip()
        if kind == "bool":
            value: Any = text == "on"
        elif kind == "int":
            value = _whole(text, key)
        else:
            value = text
        if str(value) != str(current[key]) and not (kind == "bool" and value == current[key]):
            found[key] = value
    return found


def _whole(text: str, key: str) -> int:
    if not text.isdigit():
        raise InvalidValue(f"{key}: a whole number", object_type="tld", field=key, value=text)
    return int(text)


def prices_of(form: Form, prefix: str = "price_") -> dict[str, Decimal]:
    found = {}
    for action in PRICED_ACTIONS:
        text = str(form.get(prefix + action, "")).strip()
        if text:
            try:
                found[action] = Decimal(text)
            except InvalidOperation:
                raise InvalidValue(f"{action}: not a price", field=action, value=text) from None
    return found


async def _current(request: web.Request) -> tuple[Tld, dict[str, Any]]:
    core, name = request.app[CORE], request.match_info["name"]
    tld = await tlds.get_tld(core, name)
    days = await tlds.tld_reminder_days(core, tld.name)
    return tld, {key: shown_value(tld, kind, field, days) for key, kind, field in SETTINGS}


async def tld_list(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await staff_view(request)
    return page(request, "admin_tlds.html", {"who": view.principal, "csrf": view.csrf_token,
                                             "tlds": await tlds.list_tlds(request.app[CORE])})


async def tld_page(request: web.Request, *, notice: str = "", error: str = "", status: int = 200) -> web.Response:
    view = await trusted_session(request)
    await staff_view(request)
    core = request.app[CORE]
    tld, settings = await _current(request)
    context = {"who": view.principal, "csrf": view.csrf_token, "tld": tld, "settings": settings,
               "kinds": SETTINGS, "policies": CONTACT_POLICIES, "actions": PRICED_ACTIONS, "notice": notice,
               "premium": await price_lists.list_premium(core, tld.name),
               "reserved": await price_lists.list_reserved(core, tld.name),
               "groups": await price_lists.list_group_prices(core, tld.name),
               "can_change": allowed(view.principal, "registry.policy")}
    if error:
        context["error"] = error
    return page(request, "admin_tld.html", context, status)


async def tld_detail(request: web.Request) -> web.Response:
    return await tld_page(request)


async def change_policy(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        tld, current = await _current(request)
        settings = changed_settings(form, current)
        prices = {a: p for a, p in prices_of(form).items() if tld.prices.get(a) != p}
        await tlds.configure_tld(request.app[CORE], request.match_info["name"], prices=prices, change=change,
                                 **settings)
        return "Changed: " + (", ".join([*settings, *(f"{a} price" for a in prices)]) or "nothing")
    return await staff_action(request, act, tld_page)


async def import_premium(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        text = _upload_text(form.get("file"))
        count = await price_lists.import_premium_csv(request.app[CORE], request.match_info["name"], text,
                                                     replace=bool(form.get("replace")), change=change)
        return f"Imported {count} premium names."
    return await staff_action(request, act, tld_page)


def _upload_text(upload: Any) -> str:
    """The uploaded CSV's text (a spreadsheet's UTF-8 BOM dropped), bounded in size."""
    if upload is None or not hasattr(upload, "file"):
        raise InvalidValue("choose a CSV file", field="file")
    data = upload.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InvalidValue(f"the file is larger than {MAX_CSV_BYTES} bytes", field="file")
    try:
        return str(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidValue("the file is not UTF-8 text", field="file") from None


def _names(form: Form) -> list[str]:
    return str(form.get("names", "")).split()


async def reserve(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        done = await price_lists.reserve_names(request.app[CORE], request.match_info["name"], _names(form),
                                               str(form.get("shown", "")), change=change)
        return "Reserved: " + ", ".join(done)
    return await staff_action(request, act, tld_page)


async def release(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        count = await price_lists.release_names(request.app[CORE], request.match_info["name"], _names(form),
                                                change=change)
        return f"Released {count} names."
    return await staff_action(request, act, tld_page)


async def group_prices(request: web.Request) -> web.Response:
    async def act(change: StaffChange, form: Form) -> str:
        group = str(form.get("group", "")).strip()
        await price_lists.set_group_prices(request.app[CORE], group, request.match_info["name"],
                                           prices_of(form), change=change)
        return f"Prices of group {group} set."
    return await staff_action(request, act, tld_page)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/tlds", tld_list)
    app.router.add_get("/tlds/{name}", tld_detail)
    app.router.add_post("/tlds/{name}/policy", change_policy)
    app.router.add_post("/tlds/{name}/premium", import_premium)
    app.router.add_post("/tlds/{name}/reserved", reserve)
    app.router.add_post("/tlds/{name}/release", release)
    app.router.add_post("/tlds/{name}/group-prices", group_prices)
