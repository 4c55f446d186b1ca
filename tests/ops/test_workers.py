"""`registry serve --workers 2` as a real process tree on the test database: EPP sessions
spread over both workers; SIGKILL of one worker leaves the other's sessions answering and
the supervisor starts a replacement; /metrics sums the counters of every worker (the dead
one's included); /healthz and /readyz answer, /readyz turns 503 with a migration pending
and when the database refuses connections;
SIGTERM drains and exits 0. The tests run in file order against one server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient, EppError
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import registrars, tlds
from tests.conftest import reset
from tests.ops.serving import Serving, eventually, free_ports, serve, write_config

WORKERS = 2
PASSWORDS = {"alpha": "Alpha-Pass1", "beta": "Beta-Pass1"}
POOL_MAX = 4


def worker_of(sv_trid: str | None) -> int:
    """The pid of the worker that answered: svTRIDs are RS-<pid hex>-<start hex>-<n>."""
    assert sv_trid is not None
    return int(sv_trid.split("-")[1], 16)


@dataclass
class Served(Serving):
    var: Path
    certs: DevCerts
    dsn: str
    answered: Counter[str] = field(default_factory=Counter)  # EPP commands answered 1000, every worker
    sessions: list[tuple[EppClient, int]] = field(default_factory=list)  # (client, worker pid)

    async def login(self, registrar: str) -> tuple[EppClient, int]:
        issued = self.certs.registrars[registrar]
        client = EppClient(timeout=10.0)
        await client.connect("127.0.0.1", self.ports["epp"],
                             client_context(self.certs.ca_cert, issued.cert, issued.key, check_hostname=False))
        response = await client.login(registrar, PASSWORDS[registrar])
        assert response.code == 1000, response.raw
        self.answered["login"] += 1
        self.sessions.append((client, worker_of(response.sv_trid)))
        return client, worker_of(response.sv_trid)

    async def check(self, client: EppClient) -> None:
        response = await client.domain_check("free.example")
        assert response.code == 1000, response.raw
        self.answered["domain:check"] += 1

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        _status, text = await self.get("/metrics")
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("workers-certs"), list(PASSWORDS))


@pytest.fixture(scope="module")
async def ops_dsn(test_dsn: str, session_core: Core, certs: DevCerts) -> str:
    """The test database, emptied, with TLD example and two registrars."""
    await reset(session_core)
    await tlds.add_tld(session_core, "example", roid_suffix="EXAMPLE", prices={"create": Decimal(10)})
    for rid, password in PASSWORDS.items():
        await registrars.add_registrar(session_core, registrars.NewRegistrar(rid, rid.title(), password))
        await registrars.add_certificate(session_core, rid, certs.fingerprints[rid])
    return test_dsn


@pytest.fixture(scope="module")
async def served(ops_dsn: str, certs: DevCerts, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    root = tmp_path_factory.mktemp("serve")
    ports, log = free_ports(), root / "serve.log"
    config = write_config(root, ops_dsn, certs, ports, {"database": {"pool_max": POOL_MAX}})
    serving = await serve(config, log, ports, WORKERS)
    served = Served(serving.process, ports, log, WORKERS, root / "var", certs, ops_dsn)
    try:
        yield served
    finally:
        for client, _pid in served.sessions:
            await client.close()
        served.kill()


async def test_the_supervisor_says_what_serves_where_in_json_log_lines(served: Served) -> None:
    def lines() -> list[dict[str, object]]:
        return [json.loads(line) for line in served.log.read_text().splitlines()]  # every line is JSON

    async def announced() -> bool:
        return any(str(line["msg"]).startswith(f"{WORKERS} worker(s): ") for line in lines())

    await eventually(announced, "the supervisor's serving lines", 5.0)
    serving = {str(line["msg"]): line for line in lines() if line["logger"] == "registry.workers"}
    epp = serving[f"serving EPP 127.0.0.1:{served.ports['epp']} (TLS)"]
    assert (epp["level"], epp["listener"]) == ("info", f"EPP 127.0.0.1:{served.ports['epp']} (TLS)")
    metrics = next(line for msg, line in serving.items() if msg.startswith("serving metrics "))
    assert metrics["url"] == f"http://127.0.0.1:{served.ports['metrics']}/metrics"
    workers = next(line for msg, line in serving.items() if msg.startswith(f"{WORKERS} worker(s): "))
    assert sorted(workers["pids"]) == sorted((await served.workers()).values())  # type: ignore[arg-type]


async def test_sessions_spread_over_both_workers(served: Served) -> None:
    workers = set((await served.workers()).values())
    for i in range(24):
        await served.login("alpha" if i % 2 == 0 else "beta")
        if i >= 3 and {pid for _client, pid in served.sessions} == workers:
            break
    assert {pid for _client, pid in served.sessions} == workers  # SO_REUSEPORT spreads connections
    for client, _pid in served.sessions:
        await served.check(client)


async def test_a_dead_worker_is_replaced_and_the_other_sessions_live_on(served: Served) -> None:
    victim = (await served.workers())["1"]
    os.kill(victim, signal.SIGKILL)
    lost = [client for client, pid in served.sessions if pid == victim]
    served.sessions = [(client, pid) for client, pid in served.sessions if pid != victim]
    for client, _pid in served.sessions:  # the other worker's sessions still answer
        await served.check(client)
    for client in lost:
        with pytest.raises(EppError):
            await client.domain_check("gone.example")
        await client.close()

    async def replaced() -> bool:
        return (await served.workers()).get("1") not in (None, victim)

    await eventually(replaced, "a replacement worker")
    client, _pid = await served.login("alpha")  # new connections are served
    await served.check(client)


async def test_metrics_add_up_over_workers(served: Served) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{served.ports['rdap']}/help") as resp:
        assert resp.status == 200
    _reader, writer = await asyncio.open_connection("127.0.0.1", served.ports["whois"])
    writer.write(b"help\r\n")
    await _reader.read()
    writer.close()

    async def sessions_sampled() -> bool:  # gauges are sampled once a second per worker
        samples = await served.metrics()
        return value(samples, "registry_open_sessions", protocol="epp") == len(served.sessions)

    await eventually(sessions_sampled, "the open sessions gauge", 5.0)
    samples = await served.metrics()
    for command, count in served.answered.items():  # the killed worker's counts are in the sums
        assert value(samples, "registry_requests_total", protocol="epp", command=command, code="1000") == count
        assert value(samples, "registry_request_duration_seconds_count", protocol="epp", command=command) == count
    assert value(samples, "registry_requests_total", protocol="rdap", command="help", code="200") == 1
    whois = [v for (name, labels), v in samples.items()
             if name == "registry_requests_total" and ("protocol", "whois") in labels]
    assert sum(whois) == 1
    assert value(samples, "registry_workers_running") == WORKERS
    assert value(samples, "registry_worker_restarts_total") == 1
    assert value(samples, "registry_db_pool_connections", pool="primary", state="max") == WORKERS * POOL_MAX
    assert ("registry_lifecycle_lag_seconds", ()) in samples  # worker 0 runs the lifecycle runner
    assert await served.get("/healthz") == (200, "ok\n")
    status, body = await served.get("/readyz")
    assert status == 200 and json.loads(body)["ready"] is True


async def test_readyz_says_503_with_pending_migrations_or_without_the_database(served: Served,
                                                                               server_dsn: str) -> None:
    async with _migration_forgotten(served.dsn) as forgotten:
        status, body = await served.get("/readyz")
        assert (status, json.loads(body)["reason"]) == (503, f"migrations pending: {forgotten}")
    async with _connections_refused(server_dsn, served.dsn):
        status, body = await served.get("/readyz")
        assert status == 503 and json.loads(body)["reason"].startswith("database unreachable")
        assert await served.get("/healthz") == (200, "ok\n")  # the process is still up
    assert (await served.get("/readyz"))[0] == 200


@contextlib.asynccontextmanager
async def _migration_forgotten(dsn: str) -> AsyncIterator[str]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("DELETE FROM schema_migration WHERE name = (SELECT max(name) FROM "
                                  "schema_migration) RETURNING name, sha256, applied_at")
        yield row["name"]
    finally:
        await conn.execute("INSERT INTO schema_migration (name, sha256, applied_at) VALUES ($1, $2, $3)", *row)
        await conn.close()


@contextlib.asynccontextmanager
async def _connections_refused(server_dsn: str, dsn: str) -> AsyncIterator[None]:
    """The database accepts no new connection (sessions already open stay)."""
    name = dsn.partition("?")[0].rsplit("/", 1)[1]
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_sigterm_drains_and_exits_cleanly(served: Served) -> None:
    pids = list((await served.workers()).values())
    served.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(served.process.wait, 20) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for client, _pid in served.sessions:  # idle sessions were closed by the drain
        with pytest.raises(EppError):
            await client.domain_check("after.example")
    assert not (served.var / "metrics" / str(served.process.pid)).exists()
    assert "worker 0" in served.log.read_text()
