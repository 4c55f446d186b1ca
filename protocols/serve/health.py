"""The operators' listener (plain HTTP, default 127.0.0.1:9464): Prometheus metrics at
`metrics.path`, `/healthz` (the process is up: always 200) and `/readyz` (200 when the
database answers, its migrations are current and at least one worker serves; else 503
with the reason; its detail also names the limit store in effect: "node", "redis", or
"node (redis unreachable: ...)", which leaves the node ready). Load balancers and
orchestrators probe it; keep it off public networks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from protocols.config import ConfigError, MetricsConfig
from protocols.serve.listeners import bind_listener
from registry_core.bootstrap import pending_migrations
from registry_core.errors import DatabaseUnavailable

_log = logging.getLogger("registry.health")
Readiness = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


async def database_problem(dsn: str, within: float) -> str | None:
    """None when the database answers within `within` seconds and every migration is
    applied; otherwise what is wrong, in a few words."""
    try:
        async with asyncio.timeout(within):
            pending = await pending_migrations(dsn)
    except TimeoutError:
        return f"database did not answer within {within:g} s"
    except DatabaseUnavailable as exc:
        return f"database unreachable: {exc.detail}"
    if pending:
        return f"migrations pending: {', '.join(pending)}"
    return None


class OpsListener:
    def __init__(self, config: MetricsConfig, render: Callable[[], bytes], readiness: Readiness) -> None:
        self.config = config
        self._render = render
        self._readiness = readiness
        self._runner: web.AppRunner | None = None
        self.port = 0

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.config.path, self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        try:
            sock = bind_listener(self.config.host, self.config.port)
        except OSError as exc:
            raise ConfigError(f"metrics: cannot listen on {self.config.host}:{self.config.port}: "
                              f"{exc.strerror or exc}") from exc
        await web.SockSite(self._runner, sock).start()
        self.port = int(sock.getsockname()[1])
        _log.info("metrics and health on http://%s:%d", self.config.host, self.port)

    async def stop(self, grace: float) -> None:
        if self._runner is not None:
            await self._runner.shutdown()
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self._render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, detail = await self._readiness()
        body = json.dumps({"ready": ready, **detail}, separators=(",", ":"))
        return web.Response(status=200 if ready else 503, text=body + "\n", content_type="application/json")
