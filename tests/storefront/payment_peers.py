"""What the payment tests run against: localstripe (PyPI `localstripe`, a stateful Stripe emulator
that sends signed webhooks) as a real process on a loopback port, and the shop side: an aiohttp app
on a loopback port mounting the payments' webhook sub-app under /payments, as the shop's web app
does, plus a /record route that keeps what a gateway sent (to replay it), and the calls the
shop's callback received."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib.util
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from tests.ops.serving import free_port

# localstripe's own runner listens on every interface; ours serves the same app on loopback only
RUN_LOCALSTRIPE = ("import sys\nfrom aiohttp import web\nfrom localstripe.server import app\n"
                   "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n")


def localstripe_missing() -> str | None:
    if importlib.util.find_spec("localstripe") is None:
        return "localstripe is not installed (pip install -e '.[test]' installs it)"
    return None


@dataclass
class LocalStripe:
    log: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.port = free_port()
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(sys.executable, "-c", RUN_LOCALSTRIPE, str(self.port),
                                                                stdout=out, stderr=out)
        for _ in range(200):  # it imports aiohttp and its resources, then listens
            if self.process.returncode is not None:
                raise RuntimeError(f"localstripe exited: {self.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                await writer.wait_closed()
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("localstripe did not listen")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def webhook(self, name: str, url: str, secret: str) -> None:
        """Register a webhook endpoint and its signing secret (localstripe's /_config/webhooks)."""
        async with aiohttp.ClientSession() as session, session.post(
                f"{self.url}/_config/webhooks/{name}", data={"url": url, "secret": secret}) as response:
            assert response.status == 200, await response.text()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class PaidCalls:
    """The shop's callback: records each call (what `mark_paid` would receive)."""

    calls: list[tuple[str, str, str, Decimal, str]] = field(default_factory=list)

    async def __call__(self, order_ref: str, gateway: str, reference: str, amount: Decimal, currency: str) -> None:
        self.calls.append((order_ref, gateway, reference, amount, currency))


@dataclass
class ShopSide:
    pool: asyncpg.Pool
    payments: web.Application  # the webhook sub-application, mounted under /payments
    port: int = 0
    runner: web.AppRunner | None = None
    recorded: list[Delivery] = field(default_factory=list)
    record_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    answers: list[tuple[str, int]] = field(default_factory=list)  # the webhooks' statuses, once answered
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._answers])
        app.router.add_post("/record", self._record)
        app.add_subapp("/payments", self.payments)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _answers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Notes each webhook's answer: the settling transaction has committed by then."""
        response = await handler(request)
        if request.path.startswith("/payments/"):
            self.answers.append((request.path, response.status))
            self.answered.set()
        return response

    async def _record(self, request: web.Request) -> web.Response:
        self.recorded.append(Delivery(dict(request.headers), await request.read()))
        self.record_arrived.set()
        return web.Response()

    async def post(self, path: str, body: bytes | AsyncIterator[bytes],
                   headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        """POST to the shop; the answer's JSON ({} when it is none: a 413 is text)."""
        async with aiohttp.ClientSession() as session, session.post(self.url(path), data=body,
                                                                    headers=headers) as response:
            text = await response.text()
        return response.status, json.loads(text) if response.content_type == "application/json" else {}


def stripe_signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header as Stripe (and localstripe) compute it: HMAC-SHA256 of "t.body"."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"%d." % stamp + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@dataclass
class HeaderRecorder:
    """A pass-through in front of localstripe that notes each request's Idempotency-Key
    (localstripe itself accepts the header and ignores it)."""

    target: str
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, key
    port: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path, request.headers.get("Idempotency-Key")))
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        async with aiohttp.ClientSession() as session, session.request(
                request.method, self.target + request.path_qs, data=await request.read(), headers=headers) as answer:
            return web.Response(status=answer.status, body=await answer.read(), content_type=answer.content_type)
