"""A burst of EPP logins must not stall the public services of the same worker.

`registry serve --workers 1` runs as a real process on the test database. 50 registrar
connections are opened over TLS first; then all 50 log in at once (each login costs one
scrypt, about 60 ms of CPU), while a probe process (tests/ops/latency_probe.py) queries
WHOIS and RDAP of that worker back to back.
Every latency measured while the burst runs must have a p99 under 50 ms, and every
login must succeed. Password hashing runs on the core's own thread, so the event loop
keeps answering; on the loop it would hold every query for the whole burst."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars, tlds
from tests.conftest import ROOT, reset
from tests.core.helpers import make_domain
from tests.ops.serving import Serving, free_ports, serve, write_config

LOGINS = 50
P99_LIMIT_MS = 50.0
PASSWORD = "Alpha-Pass1"
DOMAIN = "probe.example"
START_SECONDS = 30.0


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


@dataclass
class Latencies:
    """One service's queries from the probe process: (started, milliseconds, error)."""

    name: str
    samples: list[tuple[float, float, str | None]]

    def between(self, start: float, end: float) -> list[float]:
        """The latencies of queries that were in flight at some time in [start, end]."""
        return [ms for at, ms, _error in self.samples if at <= end and at + ms / 1000 >= start]

    def errors(self) -> list[str]:
        return [error for _at, _ms, error in self.samples if error is not None]


def start_probe(serving: Serving) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.ops.latency_probe", str(serving.ports["whois"]),
                             str(serving.ports["rdap"]), DOMAIN], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)


def stop_probe(process: subprocess.Popen[bytes]) -> list[Latencies]:
    out, _err = process.communicate(timeout=30)
    assert process.returncode == 0
    return [Latencies(name, [tuple(s) for s in samples]) for name, samples in json.loads(out).items()]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("burst-certs"), ["alpha"])


@pytest.fixture(scope="module")
async def burst_dsn(test_dsn: str, session_core: Core, certs: DevCerts) -> str:
    """The test database, emptied: TLD example (no contacts), registrar alpha with its
    certificate pinned and money, and one domain for the probes to look up."""
    await reset(session_core)
    await tlds.add_tld(session_core, "example", roid_suffix="EXAMPLE", prices={"create": Decimal(10)},
                       contact_policy="none")
    await registrars.add_registrar(session_core, registrars.NewRegistrar("alpha", "Alpha", PASSWORD))
    await registrars.add_certificate(session_core, "alpha", certs.fingerprints["alpha"])
    await registrars.credit_registrar(session_core, "alpha", Decimal(100), "opening", "seed-burst")
    await make_domain(session_core, DOMAIN)
    return test_dsn


@pytest.fixture(scope="module")
async def serving(burst_dsn: str, certs: DevCerts, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Serving]:
    root = tmp_path_factory.mktemp("burst")
    ports, log = free_ports(), root / "serve.log"
    config = write_config(root, burst_dsn, certs, ports, {
        "database": {"pool_max": 8},
        "epp": {"max_sessions_per_registrar": LOGINS + 10},
        "whois": {"allowlist": ["127.0.0.1/32"]},
        "rdap": {"allowlist": ["127.0.0.1/32"]}})
    serving = await serve(config, log, ports, 1, START_SECONDS)
    try:
        yield serving
    finally:
        serving.kill()


async def _connected(certs: DevCerts, port: int) -> EppClient:
    issued = certs.registrars["alpha"]
    client = EppClient(timeout=30.0)
    await client.connect("127.0.0.1", port, client_context(certs.ca_cert, issued.cert, issued.key,
                                                           check_hostname=False))
    return client


async def test_a_login_burst_leaves_whois_and_rdap_fast(serving: Serving, certs: DevCerts) -> None:
    clients = await asyncio.gather(*(_connected(certs, serving.ports["epp"]) for _ in range(LOGINS)))
    probe = start_probe(serving)
    try:
        await asyncio.sleep(0.5)  # the probes are running before the burst begins
        start = time.monotonic()
        answers = await asyncio.gather(*(client.login("alpha", PASSWORD) for client in clients))
        end = time.monotonic()
        await asyncio.sleep(0.1)
    finally:
        services = await asyncio.to_thread(stop_probe, probe)
        for client in clients:
            await client.close()

    assert [a.code for a in answers] == [1000] * LOGINS, [a.raw for a in answers if a.code != 1000][:1]
    print(f"\n{LOGINS} logins in {(end - start) * 1000:.0f} ms; p99 in ms (queries): "
          + ", ".join(f"{s.name} {p99(s.between(start, end)):.1f} ({len(s.between(start, end))})" for s in services))
    for service in services:
        assert service.errors() == [], service.errors()[:3]
        during = service.between(start, end)
        assert during and p99(during) < P99_LIMIT_MS, f"{service.name} p99 {p99(during):.1f} ms during the burst"
        assert len(during) >= 10, f"{service.name}: too few queries during the burst to measure"
