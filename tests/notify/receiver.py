"""A real webhook receiver on a loopback port (aiohttp, HTTPS when given a TLS context,
as the webhook channel demands): verifies each request's
Standard Webhooks signature with the standardwebhooks package against the secrets it was
given, records (webhook-id, arrival time, attempt body), can answer 500 to the first N
attempts of every message, and can take its time (to observe concurrency)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Arrival:
    webhook_id: str
    at: float
    body: dict[str, Any]
    path: str


@dataclass
class Receiver:
    tls_context: ssl.SSLContext | None = None
    secrets: list[str] = field(default_factory=list)  # empty: signatures are not checked
    fail_first: int = 0  # answer 500 to this many attempts of each message
    delay: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)  # the 2xx answered ones
    attempts: Counter[str] = field(default_factory=Counter)
    attempt_times: dict[str, list[float]] = field(default_factory=dict)
    refused: int = 0
    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    port: int = 0
    runner: web.AppRunner | None = None
    got: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.tls_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def url(self, path: str = "hook") -> str:
        scheme = "http" if self.tls_context is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def ids(self) -> Counter[str]:
        return Counter(a.webhook_id for a in self.arrivals)

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.text()
        headers = dict(request.headers)
        body: dict[str, Any] = {}
        for secret in self.secrets:
            try:
                body = Webhook(secret).verify(raw, headers)
                break
            except WebhookVerificationError:
                continue
        else:
            if self.secrets:
                self.refused += 1
                return web.Response(status=400, text="bad signature")
        webhook_id = request.headers["webhook-id"]
        path = request.match_info["path"]
        self.attempts[webhook_id] += 1
        self.attempt_times.setdefault(webhook_id, []).append(time.monotonic())
        self.active[path] += 1
        self.peak[path] = max(self.peak[path], self.active[path])
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.attempts[webhook_id] <= self.fail_first:
                return web.Response(status=500, text="try later")
            self.arrivals.append(Arrival(webhook_id, time.monotonic(), body, path))
            self.got.set()
            return web.Response(status=204)
        finally:
            self.active[path] -= 1
