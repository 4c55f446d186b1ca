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
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient, EppError
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars, tlds
from tests.conftest import ROOT, TEST_KEY, reset
from tests.ops.redis_server import RedisServer, free_port, needs_redis

PASSWORD = "Alpha-Pass1"
SESSION_CAP = 4
WHOIS_BURST, RDAP_BURST = 5, 3


@dataclass
class Suite:
    """One `registry serve --workers 2`: a node."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log: Path

    async def readyz(self) -> tuple[int, dict[str, object]]:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{self.ports['metrics']}/readyz") as resp:
            return resp.status, json.loads(await resp.text())

    async def workers(self) -> dict[str, int]:
        _status, body = await self.readyz()
        return {k: int(v) for k, v in body["workers"].items()}  # type: ignore[attr-defined]

    async def whois(self, query: str = "help") -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ports["whois"])
        writer.write(query.encode() + b"\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer.decode()

    async def rdap(self) -> int:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{self.ports['rdap']}/help") as resp:
            return resp.status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def write_config(root: Path, dsn: str, certs: DevCerts, ports: dict[str, int], redis_url: str) -> Path:
    q = json.dumps
    path = root / "registry.toml"
    path.write_text(f"""
[database]
url = {q(dsn)}
pool_min = 1
pool_max = 3
[registry]
auth_info_key = {q(TEST_KEY)}
lifecycle_interval_seconds = 3600
[epp]
port = {ports["epp"]}
cert = {q(str(certs.server.cert))}
key = {q(str(certs.server.key))}
ca = {q(str(certs.ca_cert))}
shutdown_grace = 2
max_sessions_per_registrar = {SESSION_CAP}
[whois]
port = {ports["whois"]}
rate_per_second = 0.001
burst = {WHOIS_BURST}
[rdap]
port = {ports["rdap"]}
base_url = "http://127.0.0.1:{ports["rdap"]}/"
rate_per_second = 0.001
burst = {RDAP_BURST}
[metrics]
port = {ports["metrics"]}
[workers]
restart_delay_max = 1
stop_timeout = 10
[redis]
url = {q(redis_url)}
command_timeout = 3.0
lease_ttl = 6
retry_max = 1
[paths]
var = {q(str(root / "var"))}
""")
    return path


async def eventually(probe: Callable[[], Awaitable[bool]], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


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


def start_serving(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "serve",
                                 "--workers", "2"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


@contextlib.asynccontextmanager
async def serving(root: Path, dsn: str, certs: DevCerts, redis_url: str = "") -> AsyncIterator[Suite]:
    ports = {name: free_port() for name in ("epp", "whois", "rdap", "metrics")}
    log = root / "serve.log"
    config = write_config(root, dsn, certs, ports, redis_url)
    process = start_serving(config, log)
    suite = Suite(process, ports, log)

    async def both_ready() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            return len(await suite.workers()) == 2
        except (aiohttp.ClientError, ValueError, KeyError):
            return False

    try:
        await eventually(both_ready, "both workers", 40)
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
