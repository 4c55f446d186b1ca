"""Limits that hold for the whole node and across nodes, with real `registry serve`
process trees on the test database and a real redis-server on a loopback port:
- two workers with a cap of 4 sessions per registrar give exactly 4 sessions, not 8; a closed
  session frees its place, and so do the sessions of a worker killed by SIGKILL;
- two suites on one Redis share one per-IP WHOIS rate and one RDAP rate;
- with Redis stopped the suites answer on their node's own limits, /readyz says so (and stays
  ready), and they share Redis again once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient, EppError
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars, tlds
from tests.conftest import reset
from tests.ops.redis_server import RedisServer, needs_redis
from tests.ops.serving import Serving, eventually, free_ports, serve, write_config

PASSWORD = "Alpha-Pass1"
SESSION_CAP = 4
WHOIS_BURST, RDAP_BURST = 5, 3


@dataclass
class Suite(Serving):
    """One `registry serve --workers 2`: a node."""

    async def whois(self, query: str = "help") -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ports["whois"])
        writer.write(query.encode() + b"\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer.decode()

    async def rdap(self) -> int:
        status, _body = await self.get("/help", "rdap")
        return status


def overrides(redis_url: str) -> dict[str, dict[str, object]]:
    return {"database": {"pool_max": 3},
            "epp": {"max_sessions_per_registrar": SESSION_CAP},
            "whois": {"rate_per_second": 0.001, "burst": WHOIS_BURST},
            "rdap": {"rate_per_second": 0.001, "burst": RDAP_BURST},
            "redis": {"url": redis_url, "command_timeout": 3.0, "lease_ttl": 6, "retry_max": 1}}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("shared-limits-certs"), ["alpha"])


@pytest.fixture(scope="module")
async def ops_dsn(test_dsn: str, session_core: Core, certs: DevCerts) -> str:
    await reset(session_core)
    await tlds.add_tld(session_core, "example", roid_suffix="EXAMPLE", prices={"create": Decimal(10)})
    await registrars.add_registrar(session_core, registrars.NewRegistrar("alpha", "Alpha", PASSWORD))
    await registrars.add_certificate(session_core, "alpha", certs.fingerprints["alpha"])
    return test_dsn


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def serving(root: Path, dsn: str, certs: DevCerts, redis_url: str = "") -> AsyncIterator[Suite]:
    ports, log = free_ports(), root / "serve.log"
    started = await serve(write_config(root, dsn, certs, ports, overrides(redis_url)), log, ports, 2)
    suite = Suite(started.process, ports, log, 2)
    try:
        yield suite
    finally:
        suite.stop()


@dataclass
class Attempt:
    code: int
    pid: int
    client: EppClient


async def log_in(suite: Suite, certs: DevCerts) -> Attempt:
    issued = certs.registrars["alpha"]
    client = EppClient(timeout=10.0)
    await client.connect("127.0.0.1", suite.ports["epp"],
                         client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False))
    response = await client.login("alpha", PASSWORD)
    assert response.sv_trid is not None
    attempt = Attempt(response.code, int(response.sv_trid.split("-")[1], 16), client)  # RS-<pid hex>-...
    if attempt.code != 1000:
        await client.close()
    return attempt


async def test_two_workers_with_a_cap_of_4_sessions_give_exactly_4(
        ops_dsn: str, certs: DevCerts, tmp_path: Path) -> None:
    async with serving(tmp_path, ops_dsn, certs) as suite:
        workers = set((await suite.workers()).values())
        attempts = [await log_in(suite, certs) for _ in range(8)]
        while {a.pid for a in attempts} != workers and len(attempts) < 32:  # until both workers were asked
            attempts.append(await log_in(suite, certs))
        assert {a.pid for a in attempts} == workers
        held = [a for a in attempts if a.code == 1000]
        assert len(held) == SESSION_CAP
        assert {a.code for a in attempts if a.code != 1000} == {2502}
        assert (await suite.readyz())[1]["limits"] == "node"

        await held.pop().client.close()  # one place comes free

        async def one_more() -> bool:
            attempt = await log_in(suite, certs)
            if attempt.code == 1000:
                held.append(attempt)
            return attempt.code == 1000

        await eventually(one_more, "the freed place")
        assert (await log_in(suite, certs)).code == 2502

        victim = max(workers, key=lambda pid: sum(a.pid == pid for a in held))
        lost = [a for a in held if a.pid == victim]
        os.kill(victim, signal.SIGKILL)  # its sessions end without a release: the supervisor clears its slot

        async def replaced() -> bool:
            return victim not in (await suite.workers()).values() and len(await suite.workers()) == 2

        await eventually(replaced, "a replacement worker")
        again = [await log_in(suite, certs) for _ in range(len(lost) + 2)]
        assert [a.code for a in again] == [1000] * len(lost) + [2502, 2502]
        for attempt in held + again:
            with contextlib.suppress(EppError):
                await attempt.client.close()


@pytest.fixture(scope="module")
async def two_nodes(ops_dsn: str, certs: DevCerts, redis: RedisServer,
                    tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Suite, Suite]]:
    async with serving(tmp_path_factory.mktemp("node-a"), ops_dsn, certs, redis.url) as a, \
            serving(tmp_path_factory.mktemp("node-b"), ops_dsn, certs, redis.url) as b:
        yield a, b


@needs_redis
async def test_two_suites_on_one_redis_share_one_per_ip_rate(two_nodes: tuple[Suite, Suite]) -> None:
    a, b = two_nodes
    for suite in (a, b):
        status, body = await suite.readyz()
        assert (status, body["ready"], body["limits"]) == (200, True, "redis")
    answers = [await (a if i % 2 == 0 else b).whois() for i in range(WHOIS_BURST + 4)]
    refused = ["query rate exceeded" in answer for answer in answers]
    assert refused == [False] * WHOIS_BURST + [True] * 4, answers
    statuses = [await (b if i % 2 == 0 else a).rdap() for i in range(RDAP_BURST + 3)]
    assert statuses == [200] * RDAP_BURST + [429] * 3


async def said(suite: Suite, words: str) -> bool:
    """Whether the suite's log (written by a background thread) has `words` in a limits line."""
    return any(words in line for line in suite.log.read_text().splitlines() if "registry.limits" in line)


@needs_redis
async def test_without_redis_the_nodes_limit_on_their_own_and_share_again_when_it_returns(
        two_nodes: tuple[Suite, Suite], redis: RedisServer) -> None:
    a, b = two_nodes
    assert "query rate exceeded" in await a.whois()  # still the shared budget, spent above
    redis.stop()
    try:
        answers = [await a.whois() for _ in range(2)]  # the node's own buckets: a fresh budget
        assert not any("query rate exceeded" in answer for answer in answers), answers
        status, body = await a.readyz()
        assert status == 200 and body["ready"] is True
        assert "redis unreachable" in str(body["limits"]) and str(body["limits"]).startswith("node"), body
        await eventually(lambda: said(a, "unreachable"), "the log line about Redis")
    finally:
        redis.start()  # empty: it kept nothing

    async def shared_again() -> bool:
        return (await a.readyz())[1]["limits"] == "redis"

    await eventually(shared_again, "Redis in use again")
    await eventually(lambda: said(a, "answers again"), "the log line about Redis's return")
    spent = [await (b if i % 2 == 0 else a).whois() for i in range(WHOIS_BURST + 1)]
    assert ["query rate exceeded" in answer for answer in spent] == [False] * WHOIS_BURST + [True]
