"""Both consoles as aiohttp applications on their own listeners: templates compiled once
(Jinja2, autoescaped), static files from this package only, bounded request bodies, the
security headers and the error table on every answer; start() and stop(grace)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from protocols.config import Config
from protocols.web import (
    abuse_pages,
    admin,
    admin_api,
    api,
    assets,
    auth,
    billing_pages,
    bulk_pages,
    csv_export,
    domain_actions,
    lock_pages,
    nis2_pages,
    notification_pages,
    object_forms,
    object_pages,
    passkeys,
    registrar,
    registrar_admin,
    security_pages,
    sso,
    sso_settings,
    tld_pages,
    transfer_pages,
    user_pages,
    verification_pages,
)
from protocols.web.security import core_errors, headers_middleware
from protocols.web.session import CORE
from registry_core.context import Core

_log = logging.getLogger("registry.web")
HERE = Path(__file__).parent


def _registrar_routes(app: web.Application) -> None:
    registrar.add_routes(app)
    domain_actions.add_routes(app)
    object_pages.add_routes(app)
    object_forms.add_routes(app)
    security_pages.add_routes(app)
    sso_settings.add_routes(app)
    transfer_pages.add_routes(app)
    bulk_pages.add_routes(app)
    billing_pages.add_routes(app)
    notification_pages.add_routes(app)
    lock_pages.add_routes(app)
    verification_pages.add_routes(app)
    api.add_routes(app)


def _admin_routes(app: web.Application) -> None:
    admin.add_routes(app)
    tld_pages.add_routes(app)
    registrar_admin.add_routes(app)
    csv_export.add_routes(app)
    user_pages.add_routes(app)
    admin_api.add_routes(app)
    nis2_pages.add_routes(app)
    abuse_pages.add_routes(app)


APPS = {"admin": (_admin_routes, "Registry admin"), "console": (_registrar_routes, "Registrar console")}


def build_app(kind: str, config: Config, core: Core) -> web.Application:
    add_routes, title = APPS[kind]
    app = web.Application(client_max_size=config.console.max_body_bytes,
                          middlewares=[headers_middleware(config.console.hsts), core_errors])
    app[CORE], app[auth.ISSUER] = core, config.console.issuer
    app[auth.TITLE] = f"{config.registry.operator_name}: {title}"
    app[billing_pages.OPERATOR] = config.registry.operator_name
    app[notification_pages.ALLOW_HTTP] = config.webhooks.allow_http
    public_url = (config.admin if kind == "admin" else config.console).public_url.rstrip("/")
    app[passkeys.RELYING_PARTY] = (config.console.rp_id, config.console.issuer, public_url)
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined)
    vendor = assets.assets_dir(Path(config.paths.var))
    env.globals["htmx"] = (vendor / assets.FILE).is_file()  # fetched by the build; plain forms without it
    if env.globals["htmx"]:
        app.router.add_static("/static/vendor", vendor, follow_symlinks=False)
    app.router.add_static("/static", HERE / "static", follow_symlinks=False)
    auth.add_routes(app)
    passkeys.add_routes(app)
    sso.setup(app, kind, config)
    add_routes(app)
    app[abuse_pages.RESPONSE_WINDOW] = timedelta(hours=config.abuse.response_hours)
    return app


@dataclass
class WebServer:
    runner: web.AppRunner
    port: int

    async def stop(self, grace: float) -> None:
        await self.runner.shutdown()
        await self.runner.cleanup()


async def start_web(kind: str, config: Config, core: Core, sock: socket.socket | None = None) -> WebServer:
    section = config.admin if kind == "admin" else config.console
    runner = web.AppRunner(build_app(kind, config, core), access_log=None, handle_signals=False)
    await runner.setup()
    sock = sock or socket.create_server((section.host, section.port), backlog=1024, reuse_port=False)
    await web.SockSite(runner, sock, backlog=1024).start()
    port = int(sock.getsockname()[1])
    _log.info("%s console listening on http://%s:%d/", "admin" if kind == "admin" else "registrar", section.host,
              port)
    return WebServer(runner, port)
