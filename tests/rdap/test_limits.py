"""Per-IP limits: the token bucket and connection cap on their own (a settable clock),
then over real HTTP: 429 with Retry-After, the connection cap, and the allowlist."""

from __future__ import annotations

import asyncio

from protocols.net.limits import IpLimits, LimitPolicy, ProcessStore, client_key
from tests.rdap.conftest import running_rdap
from tests.rdap.rfc9083 import check_error


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(rate: float = 1.0, burst: int = 2, cap: int = 2, allow: tuple[str, ...] = ()) -> tuple[IpLimits, Clock]:
    clock = Clock()
    return IpLimits(LimitPolicy(rate, burst, cap, allow), clock=clock), clock


async def test_bucket_allows_a_burst_then_refills_at_the_rate():
    lim, clock = limits(rate=2.0, burst=3)
    assert [await lim.take("192.0.2.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await lim.take("192.0.2.1") == 0.5
    assert await lim.take("192.0.2.2") == 0.0  # another client has its own bucket
    clock.now += 0.5
    assert await lim.take("192.0.2.1") == 0.0
    clock.now += 100
    assert [await lim.take("192.0.2.1") for _ in range(4)][-1] > 0  # refilled to the burst, not beyond


async def test_connection_cap_counts_and_releases():
    lim, _ = limits(cap=2)
    assert await lim.connect("192.0.2.1") and await lim.connect("192.0.2.1")
    assert not await lim.connect("192.0.2.1")
    lim.disconnect("192.0.2.1")
    assert await lim.connect("192.0.2.1")


async def test_ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    lim, _ = limits(cap=1)
    assert await lim.connect("2001:db8:1:2::1") and not await lim.connect("2001:db8:1:2::99")


async def test_allowlisted_networks_bypass_both_limits():
    lim, _ = limits(rate=1.0, burst=1, cap=1, allow=("10.0.0.0/8", "2001:db8::/32"))
    assert all([await lim.take("10.1.2.3") == 0.0 for _ in range(10)])
    assert all([await lim.connect("2001:db8::5") for _ in range(10)])
    assert await lim.take("192.0.2.1") == 0.0 and await lim.take("192.0.2.1") > 0


async def test_zero_switches_a_limit_off():
    lim, _ = limits(rate=0.0, cap=0)
    assert all([await lim.take("192.0.2.1") == 0.0 and await lim.connect("192.0.2.1") for _ in range(100)])


async def test_idle_clients_are_forgotten_when_too_many_are_tracked():
    clock = Clock()
    store = ProcessStore(clock=clock, max_tracked=10)
    lim = IpLimits(LimitPolicy(10.0, 1, 0), store=store)
    for i in range(10):
        await lim.take(f"192.0.2.{i}")
    clock.now += 60
    await lim.take("198.51.100.1")
    assert len(store.buckets) == 1


async def test_excess_requests_get_429_with_retry_after(core):
    async with running_rdap(core, rate_per_second=0.5, burst=3) as rdap:
        statuses = [(await rdap.get("help")).status for _ in range(3)]
        refused = await rdap.get("domain/x.example")
    assert statuses == [200, 200, 200]
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert check_error(refused.json, 429) == []


async def test_allowlisted_client_is_not_limited(core):
    async with running_rdap(core, rate_per_second=0.5, burst=1, allowlist=("127.0.0.0/8",)) as rdap:
        assert {(await rdap.get("help")).status for _ in range(5)} == {200}


async def read_all(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def test_connections_over_the_cap_get_429_and_are_closed(core):
    async with running_rdap(core, max_connections_per_ip=2) as rdap:
        held = [await asyncio.open_connection("127.0.0.1", rdap.server.port) for _ in range(2)]
        await asyncio.sleep(0.05)
        refused = await read_all(rdap.server.port, b"GET /help HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 429 ") and b"Retry-After: 1" in refused
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.05)
        answered = await read_all(rdap.server.port, b"GET /help HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answered.startswith(b"HTTP/1.1 200 ")
