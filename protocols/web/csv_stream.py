"""CSV answers of the consoles (RFC 4180, CRLF): a service hands rows to a sink batch by
batch, each batch goes out as it comes; the headers leave with the first batch, after the
service's permission check, so a refusal is still an ordinary error page."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from registry_core.services.exports import Sink

Cell = Callable[[dict[str, Any], str], str]


def csv_cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return "" if value is None else str(value)


def column_cell(row: dict[str, Any], column: str) -> str:
    return csv_cell(row[column])


def csv_lines(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


async def stream_csv(request: web.Request, filename: str, columns: Sequence[str],
                     export: Callable[[Sink], Awaitable[Any]], cell: Cell = column_cell) -> web.StreamResponse:
    """Run `export` (a service writing rows to the sink it is given) into a CSV response."""
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                           "Content-Disposition": f'attachment; filename="{filename}"'})

    async def write(rows: list[dict[str, Any]]) -> None:
        if not response.prepared:
            await response.prepare(request)
            await response.write(csv_lines([list(columns)]))
        await response.write(csv_lines([[cell(r, c) for c in columns] for r in rows]))
    await export(write)
    if not response.prepared:
        await write([])
    await response.write_eof()
    return response
