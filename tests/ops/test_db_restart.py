"""Database faults with real processes: EPP, RDAP and WHOIS servers run on a dedicated
PostgreSQL cluster under load while the cluster restarts (`pg_ctl restart -m fast`, which
disconnects every session). Commands in flight may fail, but only with 2400 (EPP), 503
with Retry-After (RDAP) or one "temporarily unavailable" line (WHOIS); nothing hangs; the
servers recover by themselves; and no command is half-written in the database."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient
from protocols.epp.server import EppServer
from protocols.rdap.app import start_rdap
from protocols.serve.runtime import open_cores
from protocols.whois.server import start_whois
from registry_core.context import Core
from registry_core.services import registrars
from tests.ops import pg_cluster
from tests.ops.pg_cluster import Cluster

EPP_SESSIONS = 4
RDAP_CLIENTS = 4
COMMAND_LIMIT = 10.0  # seconds: any single answer slower than this counts as a hang
UNAVAILABLE_LINE = "% service temporarily unavailable; try again later"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("ops-certs"), ["alpha"])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with pg_cluster.cluster_root() as root:
        db = pg_cluster.init_primary(root, "restart", port=5435)
        db.start()
        yield db


@dataclass
class Tally:
    epp: Counter[int] = field(default_factory=Counter)
    rdap: Counter[int] = field(default_factory=Counter)
    whois: Counter[str] = field(default_factory=Counter)
    acknowledged: list[str] = field(default_factory=list)  # names whose create answered 1000
    odd: list[str] = field(default_factory=list)  # anything the contract does not allow


async def epp_load(client: EppClient, prefix: str, stop: asyncio.Event, tally: Tally) -> None:
    i = 0
    while not stop.is_set():
        name = f"{prefix}-{i}.example"
        i += 1
        async with asyncio.timeout(COMMAND_LIMIT):
            response = await client.domain_create(name, period=1)
        tally.epp[response.code] += 1
        if response.code == 1000:
            tally.acknowledged.append(name)
        elif response.code != 2400:
            tally.odd.append(f"EPP {name}: {response.code} {response.message}")


async def rdap_load(http: aiohttp.ClientSession, port: int, stop: asyncio.Event, tally: Tally) -> None:
    while not stop.is_set():
        async with asyncio.timeout(COMMAND_LIMIT), http.get(f"http://127.0.0.1:{port}/domain/seed.example") as resp:
            body = await resp.json(content_type=None)
        tally.rdap[resp.status] += 1
        if resp.status == 503:
            if body.get("errorCode") != 503 or "rdapConformance" not in body or not resp.headers.get("Retry-After"):
                tally.odd.append(f"RDAP 503 without an RDAP error body or Retry-After: {body} {resp.headers}")
        elif resp.status != 200:
            tally.odd.append(f"RDAP {resp.status}: {body}")


async def whois_query(port: int, query: str) -> str:
    async with asyncio.timeout(COMMAND_LIMIT):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(query.encode() + b"\r\n")
        answer = (await reader.read()).decode()
        writer.close()
    return answer


async def whois_load(port: int, stop: asyncio.Event, tally: Tally) -> None:
    while not stop.is_set():
        answer = await whois_query(port, "seed.example")
        if "seed.example" in answer.lower():
            tally.whois["answered"] += 1
        elif answer.strip() == UNAVAILABLE_LINE:
            tally.whois["unavailable"] += 1
        else:
            tally.whois["other"] += 1
            tally.odd.append(f"WHOIS: {answer[:200]!r}")


async def started_at(core: Core) -> object:
    async with core.db.pool.acquire() as conn:
        return await conn.fetchval("SELECT pg_postmaster_start_time()")


async def assert_whole_commands(core: Core, acknowledged: list[str]) -> None:
    """Every domain has exactly one create in history and one in the ledger, from the same
    command; every acknowledged create is there; the ledger adds up to the balance."""
    async with core.db.pool.acquire() as conn:
        rows = await conn.fetch("""
            SELECT d.name,
                   (SELECT array_agg(h.sv_trid) FROM history h
                     WHERE h.object_type = 'domain' AND h.object_id = d.id AND h.action = 'create') AS history,
                   (SELECT array_agg(l.sv_trid) FROM ledger l
                     WHERE l.object_type = 'domain' AND l.object_id = d.id AND l.action = 'create') AS ledger
              FROM domain d""")
        orphans = await conn.fetchval("""
            SELECT (SELECT count(*) FROM history h WHERE h.object_type = 'domain'
                       AND NOT EXISTS (SELECT 1 FROM domain d WHERE d.id = h.object_id))
                 + (SELECT count(*) FROM ledger l WHERE l.object_type = 'domain'
                       AND NOT EXISTS (SELECT 1 FROM domain d WHERE d.id = l.object_id))""")
    broken = [dict(r) for r in rows if not (r["history"] and r["ledger"] and len(r["history"]) == 1
                                            and r["history"] == r["ledger"])]
    assert broken == []
    assert orphans == 0
    assert set(acknowledged) <= {r["name"] for r in rows}
    registrar = await registrars.get_registrar(core, "alpha")
    assert await registrars.ledger_sum(core, "alpha") == registrar.balance


async def test_servers_ride_out_a_postgresql_restart(cluster: Cluster, certs: DevCerts) -> None:
    config = pg_cluster.registry_config(certs, await pg_cluster.create_database(cluster), pool_max=10)
    async with open_cores(config) as (core, read_core):
        await pg_cluster.seed_registry(core, certs)
        epp = EppServer(config, core)
        await epp.start()
        rdap = await start_rdap(config, read_core)
        whois = await start_whois(config, read_core)
        sessions = [await pg_cluster.epp_session(certs, epp.port) for _ in range(EPP_SESSIONS)]
        tally = Tally()
        try:
            assert (await sessions[0].domain_create("seed.example", period=1)).code == 1000
            tally.acknowledged.append("seed.example")
            before = await started_at(core)
            stop = asyncio.Event()
            async with aiohttp.ClientSession() as http:
                load = [asyncio.create_task(epp_load(client, f"load{n}", stop, tally))
                        for n, client in enumerate(sessions)]
                load += [asyncio.create_task(rdap_load(http, rdap.port, stop, tally)) for _ in range(RDAP_CLIENTS)]
                load.append(asyncio.create_task(whois_load(whois.port, stop, tally)))
                await asyncio.sleep(0.7)
                restart_began = time.monotonic()
                await asyncio.to_thread(cluster.restart, "fast")
                restart_seconds = time.monotonic() - restart_began
                await asyncio.sleep(1.0)
                stop.set()
                await asyncio.gather(*load)  # a task that hung or raised fails the test here

                print(f"\nrestart took {restart_seconds:.2f} s; EPP {dict(tally.epp)}; RDAP {dict(tally.rdap)}; "
                      f"WHOIS {dict(tally.whois)}")
                assert tally.odd == []
                assert await started_at(core) != before  # the server really restarted under us

                # recovered, without restarting our servers: the same EPP sessions, fresh RDAP/WHOIS queries
                for n, client in enumerate(sessions):
                    response = await client.domain_create(f"after{n}.example", period=1)
                    assert response.code == 1000, response.raw
                    tally.acknowledged.append(f"after{n}.example")
                    async with http.get(f"http://127.0.0.1:{rdap.port}/domain/after{n}.example") as resp:
                        assert resp.status == 200
                assert "after0.example" in (await whois_query(whois.port, "after0.example")).lower()
            await assert_whole_commands(core, tally.acknowledged)
        finally:
            for client in sessions:
                await client.close()
            await whois.stop(1.0)
            await rdap.stop(1.0)
            await epp.stop(1.0)
