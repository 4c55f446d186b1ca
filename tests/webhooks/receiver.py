"""A webhook receiver for the tests and the benchmark: aiohttp over TLS (a dev CA's
certificate for localhost/127.0.0.1) on a loopback port. It answers what the test queued
(200 when nothing is queued) and keeps every request's headers and body. Checking the
signatures is the test's job, with the standardwebhooks package."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    tls_context: ssl.SSLContext | None
    keep: bool = True
    answers: list[int] = field(default_factory=list)  # statuses to answer, first first
    requests: list[Request] = field(default_factory=list)
    count: int = 0
    port: int = 0
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/moved", self._moved)
        app.router.add_post("/slow", self._slow)
        app.router.add_post("/chatty", self._chatty)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.tls_context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self, grace: float = 1.0) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def url(self, path: str = "/hook", host: str = "localhost") -> str:
        scheme = "https" if self.tls_context is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.count += 1
        if self.keep:
            self.requests.append(Request(request.path, dict(request.headers), body))
        status = self.answers.pop(0) if self.answers else 200
        return web.Response(status=status, text="ok" if status < 300 else "not now")

    async def _moved(self, request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": "/hook"})

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def _chatty(self, request: web.Request) -> web.Response:
        return web.Response(status=400, body=b"x" * (1 << 20))
