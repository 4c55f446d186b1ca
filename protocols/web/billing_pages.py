"""The registrar console's billing forms: the monthly statement as a PDF (rendered in a
thread, sent in chunks) and the low-balance threshold (the billing roles only, checked on
the server; a debit that crosses it notifies the registrar through the outbox)."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from protocols.web.forms import page_after
from protocols.web.registrar import billing
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from protocols.web.statement_pdf import render_statement
from registry_core.errors import InvalidValue
from registry_core.services import statements

OPERATOR = web.AppKey("operator", str)
CHUNK = 64 * 1024
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def _month(text: str) -> tuple[int, int]:
    found = _MONTH.match(text)
    if found is None:
        raise InvalidValue("a month as YYYY-MM", object_type="statement", field="month", value=text[:20])
    return int(found.group(1)), int(found.group(2))


async def statement_pdf(request: web.Request) -> web.StreamResponse:
    view = await trusted_session(request)
    who = view.principal
    year, month = _month(request.query.get("month", ""))
    statement = await statements.monthly_statement(request.app[CORE], who, who.registrar_id or "", year, month)
    body = await asyncio.to_thread(render_statement, statement, request.app[OPERATOR])
    name = f"statement-{statement.registrar_id}-{year:04d}-{month:02d}.pdf"
    response = web.StreamResponse(headers={"Content-Type": "application/pdf",
                                           "Content-Disposition": f'attachment; filename="{name}"'})
    response.content_length = len(body)
    await response.prepare(request)
    for start in range(0, len(body), CHUNK):
        await response.write(body[start:start + CHUNK])
    await response.write_eof()
    return response


async def low_balance(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    text = str((await request.post()).get("low_balance_alert", ""))
    who = view.principal

    async def act() -> str:
        alert = await statements.set_low_balance_alert(request.app[CORE], who, who.registrar_id or "",
                                                       statements.alert_amount(text), origin(request))
        return "Low-balance alert removed." if alert is None else f"Low-balance alert set at {alert}."
    return await page_after(request, billing, act())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/billing/statement.pdf", statement_pdf)
    app.router.add_post("/billing/low-balance", low_balance)
