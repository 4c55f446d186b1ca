"""The registrar console's contact and host lists (keyset pages) and their CSV exports,
streamed batch by batch from one snapshot."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from protocols.web.auth import page
from protocols.web.csv_stream import csv_cell, stream_csv
from protocols.web.session import CORE, trusted_session
from registry_core.services import console_objects

COLUMNS = {"contact": ("handle", "roid", "statuses", "created_at"),
           "host": ("name", "roid", "addresses", "statuses", "created_at")}


def _cell(row: dict[str, Any], column: str) -> str:
    if column in ("statuses", "addresses"):
        return " ".join(row[column] or (["ok"] if column == "statuses" else []))
    return csv_cell(row[column])


def object_list(kind: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        view = await trusted_session(request)
        who = view.principal
        rows = await console_objects.registrar_objects(request.app[CORE], who, kind, who.registrar_id or "",
                                                       request.query.get("after", ""), console_objects.PAGE + 1)
        more = len(rows) > console_objects.PAGE
        rows = rows[:console_objects.PAGE]
        return page(request, "objects.html", {
            "who": who, "csrf": view.csrf_token, "kind": kind, "columns": COLUMNS[kind],
            "rows": [[_cell(r, c) for c in COLUMNS[kind]] for r in rows],
            "next_query": urlencode({"after": rows[-1]["key"]}) if more else ""})
    return handler


def object_csv(kind: str) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        view = await trusted_session(request)
        who = view.principal
        return await stream_csv(request, f"{kind}s.csv", COLUMNS[kind], lambda sink: console_objects.export_objects(
            request.app[CORE], who, kind, who.registrar_id or "", sink), _cell)
    return handler


def add_routes(app: web.Application) -> None:
    for kind in console_objects.KINDS:
        app.router.add_get(f"/{kind}s", object_list(kind))
        app.router.add_get(f"/{kind}s.csv", object_csv(kind))
