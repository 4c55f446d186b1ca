"""The admin JSON API on the admin listener (/api/v1/admin/...): the admin console's new
actions for programs holding a registry API key (`Authorization: Bearer rgy_...`) or a
signed-in staff browser (with the X-CSRF-Token header). The same services as the pages,
so the same role checks, reasons and history; described by the OpenAPI document at
/api/v1/openapi.json on this listener (protocols/web/admin_openapi.py). Changes that need
a fresh second factor on the pages (certificates, allowlist, passwords) are not offered to
keys, which cannot give one."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from protocols.web.admin_openapi import ADMIN_DOCUMENT
from protocols.web.api import principal
from protocols.web.session import CORE, origin
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model.accounts import Principal
from registry_core.services import lifecycle_view, price_lists, registrars, tlds
from registry_core.services.staff import MAX_REASON, StaffChange

_AMOUNT = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,2})?")  # as the document's pattern says
MAX_NAMES = 1000


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, content_type="application/json")


async def _staff(request: web.Request) -> Principal:
    who = await principal(request)
    if not who.staff:
        raise PermissionDenied("a registry key or staff session is required", object_type="api")
    return who


async def _body(request: web.Request, *fields: str) -> dict[str, Any]:
    """The JSON object body with `fields` present (InvalidValue, a 422, otherwise)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or any(f not in body for f in fields):
        raise InvalidValue(f"the body is a JSON object with {', '.join(fields)}")
    return body


def _text(body: dict[str, Any], field: str, limit: int, default: str = "") -> str:
    """A string field no longer than the document allows (the API takes what it documents, no more)."""
    value = body.get(field, default)
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidValue(f"{field}: text of at most {limit} characters", field=field)
    return value


def _change(request: web.Request, who: Principal, body: dict[str, Any]) -> StaffChange:
    return StaffChange(who, _text(body, "reason", MAX_REASON), origin(request))


def _amount(value: Any) -> Decimal:
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise InvalidValue("amount: a decimal number as text, e.g. \"-10.00\"", field="amount")
    return Decimal(value)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_NAMES or not all(
            isinstance(n, str) and len(n) <= 253 for n in value):
        raise InvalidValue(f"names: a list of 1 to {MAX_NAMES} labels or names", field="names")
    return value


async def list_tlds(request: web.Request) -> web.Response:
    await _staff(request)
    return _json({"tlds": [{"name": t.name, "contact_policy": t.contact_policy, "currency": t.currency,
                            "prices": {a: str(p) for a, p in sorted(t.prices.items())}}
                           for t in await tlds.list_tlds(request.app[CORE])]})


async def reserve_names(request: web.Request) -> web.Response:
    who = await _staff(request)
    body = await _body(request, "names", "reason")
    done = await price_lists.reserve_names(request.app[CORE], request.match_info["name"], _names(body["names"]),
                                           _text(body, "shown", 200, "Reserved"), change=_change(request, who, body))
    return _json({"reserved": done})


def _registrar_json(r: Any) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "status": r.status, "balance": str(r.balance),
            "credit_limit": str(r.credit_limit), "currency": r.currency}


async def list_registrars(request: web.Request) -> web.Response:
    await _staff(request)
    return _json({"registrars": [_registrar_json(r) for r in await registrars.list_registrars(request.app[CORE])]})


async def set_registrar_status(request: web.Request) -> web.Response:
    who = await _staff(request)
    body = await _body(request, "status", "reason")
    registrar_id = request.match_info["registrar_id"]
    status = body["status"]
    if status not in registrars.STATUSES:
        raise InvalidValue(f"status: one of {', '.join(registrars.STATUSES)}", field="status")
    await registrars.update_registrar(request.app[CORE], registrar_id, change=_change(request, who, body),
                                      status=status)
    return _json(_registrar_json(await registrars.get_registrar(request.app[CORE], registrar_id)))


async def credit_registrar(request: web.Request) -> web.Response:
    who = await _staff(request)
    body = await _body(request, "amount", "reason")
    balance = await registrars.credit_registrar(request.app[CORE], request.match_info["registrar_id"],
                                                _amount(body["amount"]), _text(body, "description", 200, "manual"),
                                                f"ADM-K{who.id}", _change(request, who, body))
    return _json({"balance": str(balance)})


async def lifecycle(request: web.Request) -> web.Response:
    who = await _staff(request)
    view = await lifecycle_view.lifecycle_overview(request.app[CORE], who)
    return _json({"due": view.due, "cap": view.cap,
                  "redemption": [{"name": d["name"], "sponsor": d["sponsor_id"], "state": d["rgp_state"],
                                  "until": d["rgp_until"].isoformat()} for d in view.redemption]})


async def openapi(_request: web.Request) -> web.Response:
    return _json(ADMIN_DOCUMENT)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_get("/api/v1/admin/tlds", list_tlds)
    app.router.add_post("/api/v1/admin/tlds/{name}/reserved", reserve_names)
    app.router.add_get("/api/v1/admin/registrars", list_registrars)
    app.router.add_post("/api/v1/admin/registrars/{registrar_id}/status", set_registrar_status)
    app.router.add_post("/api/v1/admin/registrars/{registrar_id}/credit", credit_registrar)
    app.router.add_get("/api/v1/admin/lifecycle", lifecycle)
