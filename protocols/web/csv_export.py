"""Every admin list as CSV (RFC 4180), streamed as the batches come from the database: the
headers go out with the first batch, after the service's permission check."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from protocols.web.session import CORE
from protocols.web.staff_forms import staff_view
from registry_core.services import admin_exports, lifecycle_view
from registry_core.services.exports import Sink


def cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return "" if value is None else str(value)


def csv_lines(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


async def stream_csv(request: web.Request, filename: str, columns: Sequence[str],
                     export: Callable[[Sink], Awaitable[int]]) -> web.StreamResponse:
    """Run `export` (a service handing rows to a sink batch by batch) into a CSV response."""
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                           "Content-Disposition": f'attachment; filename="{filename}"'})

    async def write(rows: list[dict[str, Any]]) -> None:
        if not response.prepared:
            await response.prepare(request)
            await response.write(csv_lines([list(columns)]))
        await response.write(csv_lines([[cell(r[c]) for c in columns] for r in rows]))
    await export(write)
    if not response.prepared:
        await write([])
    await response.write_eof()
    return response


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
