"""The publisher against a primary that does not answer (a real TCP port nobody listens
on): a batch is retried, then waits in the change log (an outage parks nothing);
leadership of a TLD is held by one session at a time."""

from __future__ import annotations

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


async def test_an_unreachable_primary_keeps_every_change_waiting(core):
    await make_host(core, "ns.external.net")
    for name in ("a.example", "b.example", "c.example"):
        await make_domain(core, name, ns=("ns.external.net",))
    writer = Rfc2136Writer("127.0.0.1", closed_port(), KEY, timeout=2.0)
    assert not await writer.serves("example")
    publisher = Publisher(core, writer, FAST)
    assert await publisher.publish_pending("example") == 0  # retried, then it waits: an outage parks nothing
    status = await dns_publication.zone_status(core, "example")
    assert status["parked"] == [] and status["pending"] == 3 and status["serial"] == 0
    assert "ConnectionRefused" in status["last_error"]


async def test_one_session_leads_a_tld(core):
    async with core.db.pool.acquire() as first, core.db.pool.acquire() as second:
        assert await dns_publication.try_lead(first, "example")
        assert not await dns_publication.try_lead(second, "example")
        assert await dns_publication.try_lead(second, "strict")
        first.terminate()
        second.terminate()
    async with core.db.pool.acquire() as third:  # the sessions ended, and their locks with them
        assert await dns_publication.try_lead(third, "example")
        third.terminate()
