"""The registrar console's contact and host lists (keyset pages) and their CSV exports,
streamed batch by batch from one snapshot."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from protocols.web.auth import page
from protocols.web.registrar import csv_cell, csv_lines
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
        response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                               "Content-Disposition": f'attachment; filename="{kind}s.csv"'})

        async def write(rows: list[dict[str, Any]]) -> None:
            if not response.prepared:
                await response.prepare(request)
                await response.write(csv_lines([COLUMNS[kind]]))
            await response.write(csv_lines([[_cell(r, c) for c in COLUMNS[kind]] for r in rows]))
        await console_objects.export_objects(request.app[CORE], who, kind, who.registrar_id or "", write)
        if not response.prepared:
            await write([])
        await response.write_eof()
        return response
    return handler


def add_routes(app: web.Application) -> None:
    for kind in console_objects.KINDS:
        app.router.add_get(f"/{kind}s", object_list(kind))
        app.router.add_get(f"/{kind}s.csv", object_csv(kind))
