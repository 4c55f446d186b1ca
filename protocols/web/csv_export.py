"""Every admin list as CSV, streamed as the batches come from the database (csv_stream.py)."""

from __future__ import annotations

from aiohttp import web

from protocols.web.csv_stream import stream_csv
from protocols.web.session import CORE
from protocols.web.staff_forms import staff_view
from registry_core.services import admin_exports, lifecycle_view


async def stream_list(request: web.Request, kind: str, key: str | None = None) -> web.StreamResponse:
    who = await staff_view(request)
    return await stream_csv(request, f"{kind}-{key}.csv" if key else f"{kind}.csv", admin_exports.COLUMNS[kind],
                            lambda sink: admin_exports.export_list(request.app[CORE], who, kind, sink, key))


async def redemption_csv(request: web.Request) -> web.StreamResponse:
    who = await staff_view(request)
    return await stream_csv(request, "redemption.csv", lifecycle_view.QUEUE_COLUMNS,
                            lambda sink: lifecycle_view.export_redemption_queue(request.app[CORE], who, sink))


async def list_csv(request: web.Request) -> web.StreamResponse:
    return await stream_list(request, request.match_info["kind"])


async def tld_list_csv(request: web.Request) -> web.StreamResponse:
    return await stream_list(request, request.match_info["kind"], request.match_info["name"].lower())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/{kind:tlds|registrars|users}.csv", list_csv)
    app.router.add_get("/tlds/{name}/{kind:premium|reserved}.csv", tld_list_csv)
    app.router.add_get("/lifecycle/redemption.csv", redemption_csv)
