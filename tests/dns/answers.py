"""What the publisher tests ask the DNS servers, and how they wait for an answer: the
publisher's writer for a test primary, NS sets of referrals, glue, and a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import dns.asyncquery
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from protocols.dns.publisher import PublisherSettings
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from tests.dns.conftest import Servers
from tests.dns.servers import wait_for_serial

DEADLINE = 10.0  # seconds: commit to answer, NOTIFY and IXFR included (loopback takes far less)
FAST = PublisherSettings(poll_interval=0.5, batch_wait=0.01, attempts=2, backoff=0.05)


def writer(servers: Servers) -> Rfc2136Writer:
    key = servers.settings.update_key
    return Rfc2136Writer("127.0.0.1", servers.settings.port, TsigCredentials(key.name, key.secret, key.algorithm))


async def ask(port: int, name: str, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
    return await dns.asyncquery.tcp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=3.0)


async def ns_set(port: int, name: str) -> set[str] | None:
    """The NS targets the server refers to for `name` (None: NXDOMAIN)."""
    reply = await ask(port, name, dns.rdatatype.NS)
    if reply.rcode() == dns.rcode.NXDOMAIN:
        return None
    owner = dns.name.from_text(name)
    found = [r for r in reply.authority + reply.answer if r.name == owner and r.rdtype == dns.rdatatype.NS]
    return {rd.target.to_text() for r in found for rd in r}


async def addresses(port: int, name: str) -> set[str]:
    """The glue a referral to `name`'s parent carries for it (additional section)."""
    reply = await ask(port, name, dns.rdatatype.A)
    owner = dns.name.from_text(name)
    return {rd.address for r in reply.additional + reply.answer if r.name == owner for rd in r}


async def until(check: Callable[[], Awaitable[Any]], expected: Any, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"after {seconds} s still {last!r}, wanted {expected!r}")


async def everywhere(servers: Servers, check: Callable[[int], Awaitable[Any]], expected: Any) -> None:
    """Knot answers `expected` within the deadline, then NSD and BIND at Knot's serial."""
    await until(lambda: check(servers.settings.port), expected)
    serial = await servers.knot.zone_serial("example.")
    assert serial is not None
    for secondary in (servers.nsd, servers.bind):
        await wait_for_serial(secondary.port, "example.", serial, DEADLINE)
        assert await check(secondary.port) == expected, f"{secondary.name} disagrees"
