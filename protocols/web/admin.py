"""The registry staff's console: the registry as a whole (every action through
registry_core.services, permission-checked there)."""

from __future__ import annotations

from aiohttp import web

from protocols.web.auth import page
from protocols.web.session import CORE, trusted_session
from registry_core.services import overview


async def dashboard(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    totals = await overview.registry_totals(request.app[CORE], view.principal)
    return page(request, "admin_dashboard.html", {"who": view.principal, "csrf": view.csrf_token, "totals": totals})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
