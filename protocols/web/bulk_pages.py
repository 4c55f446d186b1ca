"""The registrar console's bulk page: renewals and name-server changes from a CSV upload,
answered with one line per row (name, outcome, the EPP result it would have had); and the
same two as JSON API calls (/api/v1/bulk/...). Each row is its own use case: a refused row
leaves the others done. The upload is bounded (bulk_csv.MAX_UPLOAD_BYTES, MAX_ROWS) and
CSRF-checked like every form; the server checks the role whatever the page offers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from protocols.web import bulk_csv
from protocols.web.api import principal
from protocols.web.auth import page
from protocols.web.forms import page_after
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import InvalidValue
from registry_core.model.accounts import allowed
from registry_core.services import console_bulk
from registry_core.services.console_bulk import NameserverRow, RenewRow, RowOutcome

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


async def bulk(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    who = view.principal
    return page(request, "bulk.html", {"who": who, "csrf": view.csrf_token, "max_rows": console_bulk.MAX_ROWS,
                                       "max_kib": bulk_csv.MAX_UPLOAD_BYTES // 1024,
                                       "can_write": allowed(who, "domains.write", who.registrar_id), **shown},
                status=status)


async def bulk_page(request: web.Request) -> web.Response:
    return await bulk(request)


async def _upload(request: web.Request) -> bytes:
    field = (await request.post()).get("file")
    if isinstance(field, web.FileField):
        return bytes(field.file.read(bulk_csv.MAX_UPLOAD_BYTES + 1))
    if isinstance(field, str) and field:
        return field.encode()
    raise InvalidValue("choose a CSV file to upload", field="file")


def _shown(kind: str) -> Callable[[list[RowOutcome]], dict[str, Any]]:
    def shown(outcomes: list[RowOutcome]) -> dict[str, Any]:
        done = sum(o.ok for o in outcomes)
        return {"kind": kind, "results": [bulk_csv.outcome_json(o) for o in outcomes],
                "notice": f"{done} of {len(outcomes)} row(s) done; {len(outcomes) - done} refused."}
    return shown


async def _run(request: web.Request, kind: str,
               act: Callable[[Any, bytes], Awaitable[list[RowOutcome]]]) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)

    async def action() -> list[RowOutcome]:
        return await act(view.principal, await _upload(request))
    return await page_after(request, bulk, action(), _shown(kind))


async def bulk_renew(request: web.Request) -> web.Response:
    return await _run(request, "renew", lambda who, data: console_bulk.renew_rows(
        request.app[CORE], who, bulk_csv.renew_rows(data), origin(request)))


async def bulk_nameservers(request: web.Request) -> web.Response:
    return await _run(request, "nameservers", lambda who, data: console_bulk.nameserver_rows(
        request.app[CORE], who, bulk_csv.nameserver_rows(data), origin(request)))


# --- the JSON API: {"rows": [...]} -> {"results": [...]} -------------------------------------
def _items(body: Any, fields: dict[str, Callable[[Any], bool]], shape: str) -> list[dict[str, Any]]:
    """The body's rows, each exactly the fields named, each field of its type."""
    if not isinstance(body, dict) or set(body) != {"rows"} or not isinstance(body["rows"], list):
        raise InvalidValue(f'the body is {{"rows": [{shape}, ...]}}', field="rows")
    for item in body["rows"]:
        if not isinstance(item, dict) or set(item) != set(fields) or not all(
                fits(item[f]) for f, fits in fields.items()):
            raise InvalidValue(f"each row is {shape}", field="rows")
    return list(body["rows"])


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _day(value: Any) -> bool:
    """An RFC 3339 full-date (what the document's `date` format says)."""
    if not _text(value) or not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


_RENEW_FIELDS: dict[str, Callable[[Any], bool]] = {
    "name": _text, "years": lambda v: type(v) is int, "current_expiry": _day}
_NAMESERVER_FIELDS: dict[str, Callable[[Any], bool]] = {
    "name": _text, "nameservers": lambda v: isinstance(v, list) and all(_text(h) for h in v)}


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise InvalidValue('the body is JSON: {"rows": [...]}', field="rows") from None


def _results(outcomes: list[RowOutcome]) -> web.Response:
    return web.json_response({"results": [bulk_csv.outcome_json(o) for o in outcomes]})


async def api_bulk_renew(request: web.Request) -> web.Response:
    who = await principal(request)
    items = _items(await _body(request), _RENEW_FIELDS, '{"name", "years", "current_expiry"}')
    rows = [RenewRow(i, r["name"], str(r["years"]), r["current_expiry"]) for i, r in enumerate(items, 1)]
    return _results(await console_bulk.renew_rows(request.app[CORE], who, rows, origin(request)))


async def api_bulk_nameservers(request: web.Request) -> web.Response:
    who = await principal(request)
    items = _items(await _body(request), _NAMESERVER_FIELDS, '{"name", "nameservers": [...]}')
    rows = [NameserverRow(i, r["name"], tuple(r["nameservers"])) for i, r in enumerate(items, 1)]
    return _results(await console_bulk.nameserver_rows(request.app[CORE], who, rows, origin(request)))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/bulk", bulk_page)
    app.router.add_post("/bulk/renew", bulk_renew)
    app.router.add_post("/bulk/nameservers", bulk_nameservers)
    app.router.add_post("/api/v1/bulk/renew", api_bulk_renew)
    app.router.add_post("/api/v1/bulk/nameservers", api_bulk_nameservers)
