"""The registrars' console: pages for a registrar's own users (every action goes through
registry_core.services, permission-checked there)."""

from __future__ import annotations

from aiohttp import web

from protocols.web.auth import page
from protocols.web.session import CORE, trusted_session
from registry_core.errors import PermissionDenied
from registry_core.services import overview


async def dashboard(request: web.Request) -> web.Response:
    view = await trusted_session(request)
    who = view.principal
    if who.registrar_id is None:
        raise PermissionDenied("registry staff use the admin console", object_type="registrar")
    summary = await overview.registrar_overview(request.app[CORE], who, who.registrar_id)
    return page(request, "registrar_dashboard.html", {"who": who, "csrf": view.csrf_token, "summary": summary})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
