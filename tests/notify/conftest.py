"""Fixtures of the dispatcher tests: a loopback webhook receiver, dispatchers over the
test database with the loopback channel, and a quick way to queue many deliveries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from protocols.notify.dispatcher import Dispatcher, DispatcherSettings
from registry_core.context import Core
from registry_core.db.tx import Tx
from registry_core.model import notification as note
from registry_core.services import notifications, notify_prefs
from tests.notify.loopback_channel import LoopbackWebhookChannel
from tests.notify.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@contextlib.asynccontextmanager
async def running(core: Core, **settings: Any) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(core, {"webhook": LoopbackWebhookChannel()},
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
