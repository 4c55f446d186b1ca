"""The publisher against a primary that does not answer (a real TCP port nobody listens
on): each batch is retried, split down to single owners and parked with the error, the
rest of the queue keeps flowing; leadership of a TLD is held by one session at a time."""

from __future__ import annotations

import asyncio
import base64
import socket

from protocols.dns.publisher import Publisher, PublisherSettings
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from registry_core.services import dns_publication
from tests.core.helpers import make_domain, make_host

KEY = TsigCredentials("registry-publisher.", base64.b64encode(b"k" * 32).decode())
FAST = PublisherSettings(attempts=2, backoff=0.01)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: connections are refused


async def test_an_unreachable_primary_parks_each_owner_with_the_error(core):
    await make_host(core, "ns.external.net")
    for name in ("a.example", "b.example", "c.example"):
        await make_domain(core, name, ns=("ns.external.net",))
    publisher = Publisher(core, Rfc2136Writer("127.0.0.1", closed_port(), KEY, timeout=2.0), FAST)
    assert await publisher.publish_pending("example") == 0
    status = await dns_publication.zone_status(core, "example")
    assert [p["owner"] for p in status["parked"]] == ["a.example", "b.example", "c.example"]
    assert status["pending"] == 0 and "ConnectionRefused" in status["last_error"]
    assert status["serial"] == 0  # nothing was published


async def test_one_session_leads_a_tld_and_a_stopped_publisher_lets_go(core):
    async with core.db.pool.acquire() as first, core.db.pool.acquire() as second:
        assert await dns_publication.try_lead(first, "example")
        assert not await dns_publication.try_lead(second, "example")
        assert await dns_publication.try_lead(second, "strict")
        first.terminate()
        second.terminate()
    publisher = Publisher(core, Rfc2136Writer("127.0.0.1", closed_port(), KEY), FAST)
    await publisher.start()
    try:
        async with core.db.pool.acquire() as other:
            await asyncio.sleep(0.5)
            assert publisher.led == {"example", "strict", "thin"}
            assert not await dns_publication.try_lead(other, "example")
            await publisher.stop(5.0)
            assert await dns_publication.try_lead(other, "example")  # its session is gone with its locks
            other.terminate()
    finally:
        await publisher.stop(5.0)
