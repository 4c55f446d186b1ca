"""The Redis limit store on a real redis-server: the Lua token bucket reserves ahead like the
local ones and is shared by two stores (two nodes); leases hold a cap across stores; a node
that vanishes without giving its leases back loses them after lease_ttl, while a live node's
heartbeat keeps its own (and puts them back into a Redis that restarted empty); while Redis
is down the fallback counts, and nothing is refused because of Redis; an RDAP connection over
a cap held in Redis is answered 429 and closed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from protocols.config import RedisConfig
from protocols.net.limit_redis import RedisStore
from protocols.net.limits import ProcessStore
from protocols.rdap.app import start_rdap
from registry_core.context import Core
from tests.ops.redis_server import RedisServer, needs_redis
from tests.rdap.data import public_config

pytestmark = needs_redis
LEASE_TTL = 3.0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    config = RedisConfig(url=redis_server.url, key_prefix="t:", lease_ttl=LEASE_TTL, retry_max=0.5,
                         connect_timeout=5.0, command_timeout=5.0)  # a loaded machine is no outage
    pair = (RedisStore(config, ProcessStore()), RedisStore(config, ProcessStore()))
    for store in pair:
        await store.start()
    try:
        yield pair
    finally:
        for store in pair:
            await store.stop(1.0)


async def members(server: RedisServer, key: str) -> int:
    client = aioredis.Redis.from_url(server.url)
    try:
        return int(await client.zcard(key))
    finally:
        await client.aclose()


async def test_one_bucket_for_both_nodes_reserving_ahead(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    assert a.describe() == b.describe() == "redis"
    assert await a.reserve("epp:commands:alpha", 1.0, 2.0, 5.0) == (True, 0.0)
    assert await b.reserve("epp:commands:alpha", 1.0, 2.0, 5.0) == (True, 0.0)
    admitted, wait = await a.reserve("epp:commands:alpha", 1.0, 2.0, 5.0)
    assert admitted and wait == pytest.approx(1.0, abs=0.2)  # (the slack: time passing refills)
    admitted, wait = await b.reserve("epp:commands:alpha", 1.0, 2.0, 5.0)  # queued behind a's
    assert admitted and wait == pytest.approx(2.0, abs=0.2)
    admitted, wait = await a.reserve("epp:commands:alpha", 1.0, 2.0, 0.0)  # refused: nothing taken
    assert not admitted and wait == pytest.approx(3.0, abs=0.2)
    admitted, wait = await b.reserve("epp:commands:alpha", 1.0, 2.0, 2.5)
    assert not admitted and wait == pytest.approx(3.0, abs=0.2)
    assert await b.reserve("epp:commands:beta", 1.0, 2.0, 0.0) == (True, 0.0)


async def test_leases_hold_one_cap_across_nodes(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    held = [await a.acquire("epp:sessions:alpha", 3), await b.acquire("epp:sessions:alpha", 3),
            await a.acquire("epp:sessions:alpha", 3)]
    assert all(held) and await b.acquire("epp:sessions:alpha", 3) is None
    held[1].release()  # type: ignore[union-attr]
    deadline = time.monotonic() + 5
    while (lease := await b.acquire("epp:sessions:alpha", 3)) is None:  # the release travels in the background
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert lease is not None


async def test_a_vanished_nodes_leases_expire_and_a_live_ones_survive_a_redis_restart(
        stores: tuple[RedisStore, RedisStore], redis_server: RedisServer) -> None:
    a, b = stores
    assert await a.acquire("whois:conn:192.0.2.1", 2) and await b.acquire("whois:conn:192.0.2.1", 2)
    for task in list(a._tasks):  # node a dies: no heartbeat, no release
        task.cancel()
    await asyncio.sleep(LEASE_TTL + 1.0)
    assert await b.acquire("whois:conn:192.0.2.1", 2) is not None  # a's place expired
    assert await b.acquire("whois:conn:192.0.2.1", 2) is None  # b's first one lives on: its heartbeat
    redis_server.stop()
    redis_server.start()  # empty
    assert await members(redis_server, "t:whois:conn:192.0.2.1") == 0
    deadline = time.monotonic() + 2 * LEASE_TTL
    while await members(redis_server, "t:whois:conn:192.0.2.1") != 2:  # b's next beats put both back
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)


async def test_with_redis_down_the_fallback_counts_and_nothing_is_refused_for_it(
        stores: tuple[RedisStore, RedisStore], redis_server: RedisServer) -> None:
    a, _b = stores
    redis_server.stop()
    assert await a.reserve("rdap:rate:192.0.2.7", 0.001, 1.0, 0.0) == (True, 0.0)
    assert a.describe().startswith("process (redis unreachable: ")
    assert a.immediate  # the fallback answers at once
    assert (await a.reserve("rdap:rate:192.0.2.7", 0.001, 1.0, 0.0))[0] is False  # still limited, locally
    assert await a.acquire("rdap:conn:192.0.2.7", 1) is not None
    redis_server.start()
    deadline = time.monotonic() + 10
    while a.describe() != "redis":
        assert time.monotonic() < deadline, a.describe()
        await asyncio.sleep(0.1)
    assert await a.reserve("rdap:rate:192.0.2.7", 0.001, 1.0, 0.0) == (True, 0.0)  # Redis's own, fresh


def test_lease_ttl_below_three_seconds_is_refused() -> None:
    from protocols.config import ConfigError, config_from_mapping

    with pytest.raises(ConfigError, match="redis.lease_ttl"):
        config_from_mapping({"redis": {"url": "redis://127.0.0.1:1/0", "lease_ttl": 2}})
    assert dataclasses.asdict(config_from_mapping({}))["redis"]["url"] == ""


async def read_all(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def test_rdap_connections_over_a_cap_held_in_redis_get_429_and_are_closed(
        core: Core, stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores  # two nodes' RDAP servers, one cap of 1 connection per address between them
    first = await start_rdap(public_config(rdap={"max_connections_per_ip": 1}), core, limits=a)
    second = await start_rdap(public_config(rdap={"max_connections_per_ip": 1}), core, limits=b)
    try:
        _reader, held = await asyncio.open_connection("127.0.0.1", first.port)
        await asyncio.sleep(0.2)  # its place is taken (in Redis)
        refused = await read_all(second.port, b"GET /help HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 429 ") and b"Retry-After: 1" in refused, refused[:200]
        held.close()
        deadline = time.monotonic() + 5
        while not (answered := await read_all(second.port, b"GET /help HTTP/1.1\r\nHost: x\r\n"
                                              b"Connection: close\r\n\r\n")).startswith(b"HTTP/1.1 200 "):
            assert time.monotonic() < deadline, answered[:200]
            await asyncio.sleep(0.05)
    finally:
        await first.stop(1.0)
        await second.stop(1.0)
