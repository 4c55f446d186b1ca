"""The registrar console's transfers page (pending transfers, both sides) and poll page
(the queue's oldest message, acknowledged like EPP's <poll op="ack">)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocols.web import errors
from protocols.web.auth import page
from protocols.web.csv_stream import stream_csv
from protocols.web.security import require_csrf
from protocols.web.session import CORE, origin, trusted_session
from registry_core.errors import CoreError
from registry_core.services import console_transfers


async def transfers(request: web.Request, **shown: Any) -> web.Response:
    status = int(shown.pop("status", 200))
    view = await trusted_session(request)
    core, who = request.app[CORE], view.principal
    context = {"who": who, "csrf": view.csrf_token, "transfers": await console_transfers.pending_transfers(core, who),
               "poll": await console_transfers.poll_head(core, who), **shown}
    return page(request, "transfers.html", context, status=status)


async def _acting(request: web.Request, act: Any) -> web.Response:
    view = await trusted_session(request)
    await require_csrf(request, view.csrf_token)
    form = await request.post()
    try:
        notice = await act(view.principal, form)
    except CoreError as exc:
        code = errors.page_status(exc)
        if code is None:
            raise
        return await transfers(request, error=errors.message_for(exc), status=code)
    return await transfers(request, notice=notice)


async def transfer_action(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        name = request.match_info["name"]
        info = await console_transfers.act(request.app[CORE], who, name, str(form.get("action", "")),
                                           origin(request))
        return f"Transfer of {info.name}: {info.status}"
    return await _acting(request, act)


async def poll_ack(request: web.Request) -> web.Response:
    async def act(who: Any, form: Any) -> str:
        state = await console_transfers.poll_acknowledge(request.app[CORE], who, str(form.get("id", "")),
                                                         origin(request))
        return f"Acknowledged; {state.count} message(s) left."
    return await _acting(request, act)


async def transfers_page(request: web.Request) -> web.Response:
    return await transfers(request)


POLL_COLUMNS = ("id", "created_at", "kind", "message", "acked_at")
TRANSFER_COLUMNS = ("id", "object_type", "object_name", "status", "gaining_id", "losing_id", "requested_at",
                    "action_due", "acted_at", "period_years", "expires_at")


async def poll_csv(request: web.Request) -> web.StreamResponse:
    """The poll queue as CSV (?queued=1: only the messages not yet acknowledged)."""
    view = await trusted_session(request)
    queued = request.query.get("queued") == "1"
    return await stream_csv(request, "poll-messages.csv", POLL_COLUMNS,
                            lambda sink: console_transfers.export_poll_queue(request.app[CORE], view.principal, sink,
                                                                             unacked_only=queued))


async def transfers_csv(request: web.Request) -> web.StreamResponse:
    view = await trusted_session(request)
    return await stream_csv(request, "transfers.csv", TRANSFER_COLUMNS, lambda sink: console_transfers.export_transfers(
        request.app[CORE], view.principal, sink))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/transfers", transfers_page)
    app.router.add_post("/transfers/{name}", transfer_action)
    app.router.add_post("/poll/ack", poll_ack)
    app.router.add_get("/transfers.csv", transfers_csv)
    app.router.add_get("/poll.csv", poll_csv)
