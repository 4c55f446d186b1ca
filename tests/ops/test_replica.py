"""Read replicas with real processes: a primary and a streaming hot standby (two embedded
PostgreSQL clusters, `pg_basebackup -R`). EPP writes to the primary; RDAP and WHOIS,
given the read core `open_cores` builds on `database.replica_url`, read from the standby
and see the EPP create once it has replicated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal

import aiohttp
import asyncpg
import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.server import EppServer
from protocols.rdap.app import start_rdap
from protocols.serve.runtime import open_cores
from protocols.whois.server import start_whois
from registry_core.services import registrars
from tests.ops import pg_cluster
from tests.ops.pg_cluster import Cluster

REPLICATION_WAIT = 15.0  # seconds; streaming replication on one host takes milliseconds


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("ops-certs"), ["alpha"])


@pytest.fixture
def pair() -> Iterator[tuple[Cluster, Cluster]]:
    """A running primary and a running hot standby streaming from it."""
    with pg_cluster.cluster_root() as root:
        primary = pg_cluster.init_primary(root)
        primary.start()
        standby = pg_cluster.make_standby(primary, root)
        standby.start()
        yield primary, standby


async def rdap_get(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, dict]:
    async with session.get(f"http://127.0.0.1:{port}/{path}") as resp:
        return resp.status, await resp.json(content_type=None)


async def whois(port: int, query: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(query.encode() + b"\r\n")
    answer = await asyncio.wait_for(reader.read(), 5.0)
    writer.close()
    return answer.decode()


async def until_replicated(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    while True:
        status, body = await rdap_get(session, port, path)
        waited = time.monotonic() - started
        if status != 404 or waited > REPLICATION_WAIT:
            return status, body, waited
        await asyncio.sleep(0.05)


async def test_epp_create_on_primary_visible_through_rdap_and_whois_on_replica(
        pair: tuple[Cluster, Cluster], certs: DevCerts) -> None:
    primary, standby = pair
    url = await pg_cluster.create_database(primary)
    await pg_cluster.wait_replayed(primary, standby)  # the replica pool needs the database to exist there
    config = pg_cluster.registry_config(certs, url, standby.dsn("registry"))
    async with open_cores(config) as (core, read_core):
        assert read_core is not core
        async with read_core.db.pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_is_in_recovery()") is True
        async with core.db.pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_is_in_recovery()") is False
        await pg_cluster.seed_registry(core, certs)
        epp = EppServer(config, core)
        await epp.start()
        rdap = await start_rdap(config, read_core)
        whois_server = await start_whois(config, read_core)
        client = await pg_cluster.epp_session(certs, epp.port)
        try:
            async with aiohttp.ClientSession() as http:
                assert (await rdap_get(http, rdap.port, "domain/replicated.example"))[0] == 404
                created = await client.domain_create("replicated.example", period=1)
                assert created.code == 1000, created.raw
                status, body, waited = await until_replicated(http, rdap.port, "domain/replicated.example")
                assert status == 200, (status, body, waited)
                assert body["ldhName"] == "replicated.example"
                assert "replicated.example" in (await whois(whois_server.port, "replicated.example")).lower()

                # the replica keeps answering reads with the primary gone; writes then fail with 2400
                await asyncio.to_thread(primary.stop, "fast")
                assert (await rdap_get(http, rdap.port, "domain/replicated.example"))[0] == 200
                failed = await client.domain_create("later.example", period=1)
                assert failed.code == 2400, failed.raw
        finally:
            await client.close()
            await whois_server.stop(1.0)
            await rdap.stop(1.0)
            await epp.stop(1.0)


@pytest.fixture
def single() -> Iterator[Cluster]:
    with pg_cluster.cluster_root() as root:
        primary = pg_cluster.init_primary(root)
        primary.start()
        yield primary


async def test_read_core_refuses_writes(single: Cluster, certs: DevCerts) -> None:
    """The read path cannot write: a standby refuses, and so does the read pool by its
    session default (default_transaction_read_only), whatever server it points at."""
    url = await pg_cluster.create_database(single)
    config = pg_cluster.registry_config(certs, url, url)  # "replica" = the primary: the pool must still refuse
    async with open_cores(config) as (core, read_core):
        await pg_cluster.seed_registry(core, certs)
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await registrars.credit_registrar(read_core, "alpha", Decimal(1), "write on the read path", "ro-1")
        assert await registrars.ledger_sum(core, "alpha") == 1_000_000
