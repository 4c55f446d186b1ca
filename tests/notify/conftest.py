"""Fixtures of the dispatcher tests: the real peers (an SMTP relay with STARTTLS and AUTH,
an HTTPS webhook receiver; tests/notify/peers.py), dispatchers over the test database with
the product's e-mail and webhook channels pointed at them, and a quick way to queue many
deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.notify.dispatcher import Dispatcher, DispatcherSettings
from registry_core.context import Core
from registry_core.db.tx import Tx
from registry_core.model import notification as note
from registry_core.services import notifications, notify_prefs
from tests.notify.peers import Peers, started_peers
from tests.notify.receiver import Receiver


@pytest.fixture(scope="session")
def notify_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("notify-certs"), [])


@pytest.fixture
async def peers(notify_certs: DevCerts, tmp_path: Any) -> AsyncIterator[Peers]:
    async with started_peers(notify_certs, tmp_path) as started:
        yield started


@pytest.fixture
def receiver(peers: Peers) -> Receiver:
    return peers.receiver


@contextlib.asynccontextmanager
async def running(core: Core, peers: Peers, **settings: Any) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(core, peers.channels(),
                            DispatcherSettings(**{"poll_interval": 0.5, **settings}))
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop(5.0)


async def eventually(check: Callable[[], Awaitable[bool]], bound: float = 120.0) -> None:
    """Wait until `check()` holds; `bound` only keeps a broken test from hanging."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not await check():
        assert loop.time() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


async def hook_for(core: Core, receiver: Receiver, registrar: str = "alpha", path: str = "hook") -> int:
    endpoint, secret = await notify_prefs.add_webhook(core, f"registrar:{registrar}", receiver.url(path),
                                                      allow_http=True)
    receiver.secrets.append(secret)
    return endpoint


async def queue_events(core: Core, count: int, registrar: str = "alpha", tag: str = "t") -> None:
    """`count` events for the registrar (each one delivery per endpoint), 1,000 per transaction."""
    for start in range(0, count, 1000):
        events = [note.Event("domain.dns.published", f"registrar:{registrar}", {"domain": f"d{i}.example", "n": i},
                             "domain", f"d{i}.example", key=f"test/{tag}/{i}")
                  for i in range(start, min(count, start + 1000))]

        async def run(tx: Tx, events: list[note.Event] = events) -> None:
            await notifications.emit_many(tx, "test", events)
        await core.db.transaction(run)


async def statuses(core: Core) -> dict[str, int]:
    status = await notifications.outbox_status(core)
    return {k: v for k, v in status.counts.items() if k.startswith("webhook/")}


async def mailed_code(core: Core, peers: Peers, request_id: int, to: str | None = None) -> str:
    """The code of registry lock request `request_id`, out of the mail the relay received
    (addressed to `to`, when given), the dispatcher running until it has arrived."""
    def bodies() -> list[str]:
        return [m.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
                for m in peers.mails() if to is None or m["To"] == to]

    async def arrived() -> bool:
        return any(f"request: {request_id}\n" in body for body in bodies())
    async with running(core, peers):
        await eventually(arrived, bound=30)
    body = next(t for t in bodies() if f"request: {request_id}\n" in t)
    found = re.search(r"^code: (\d{8})$", body, re.MULTILINE)
    assert found, body
    return found.group(1)
