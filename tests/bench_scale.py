"""Scale benchmark (part of `make bench`): load BENCH_SCALE_DOMAINS domains (default
1,000,000) with the `load-test-data` service (COPY) into a database of its own on the
embedded PostgreSQL, report how long the load took, then measure at that size:

- EPP domain:info and domain:check of loaded names (the sponsor asks: full info with the
  authInfo decrypted), and the RDAP domain lookup, each beside the ceiling of the bare
  single indexed query through asyncpg (`SELECT ... WHERE name = $1`);
- the RDAP prefix search `domains?name=abc*` (random three-letter prefixes: about
  N / 26**3 matches each, all rendered), beside the bare `SELECT ... WHERE name LIKE 'abc%'
  ... ORDER BY name LIMIT n` (n = the search limit + 1, as our search reads).

Ceilings run in this process, on the same database in the same run; ratios are our p50
over the ceiling's p50. Our EPP and RDAP servers run in one child process on uvloop,
logging JSON lines as in production (to /dev/null), RDAP with the load generator's
address allowlisted so the per-IP limits stay out of the figures. Results print as a
table and go to var/bench/scale.json. BENCH_SECONDS sets the time per cell (default 4).
BENCH_SCALE_KEEP=1 keeps the loaded database after the run (its key, picked names and load
figures in var/bench/scale-kept.json) and measures a kept one of the same size instead of
loading again: for iterating on the servers (the load figures are then those of that load).
Without it the database is dropped at the end; `make bench` keeps it for tests.bench_dns,
which renders its zone next and then drops it.
Internal mode: `serve` (the child)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.bench_support import drive, fresh_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
DATABASE = "registry_bench_scale"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
DOMAINS = int(os.environ.get("BENCH_SCALE_DOMAINS", "1000000"))
KEEP = os.environ.get("BENCH_SCALE_KEEP", "") not in ("", "0")
KEPT = OUT / "scale-kept.json"
LEVELS = (1, 8)
TLD = "test"
REGISTRAR, PASSWORD = "lt-r001", "Scale-Pass1"  # a loaded registrar, given a password and a certificate
SEARCH_LIMIT = 100
PREFIXES = 100  # distinct prefixes searched (their bare statements all stay prepared)
BARE_LOOKUP = "SELECT name, roid, expires_at FROM domain WHERE name = $1 AND deleted_at IS NULL"
BARE_PREFIX = ("SELECT name, roid, expires_at FROM domain WHERE name LIKE '{prefix}%' AND deleted_at IS NULL "
               "ORDER BY name LIMIT {limit}")
EPP = 'xmlns="urn:ietf:params:xml:ns:epp-1.0"'
XD = 'xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"'



def epp_xml(verb: str, name: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><command><{verb}><domain:{verb} {XD}>'
            f'<domain:name>{name}</domain:name></domain:{verb}></{verb}><clTRID>SCALE-1</clTRID></command></epp>'
            ).encode()


# --- set-up ---------------------------------------------------------------------------------
async def prepare_database(admin_dsn: str) -> str:
    return await fresh_database(admin_dsn, DATABASE)


async def drop_database(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await conn.close()


def show_progress(done: int, seconds: float) -> None:
    if done % 200_000 == 0 or done == DOMAINS:
        print(f"  loaded {done:>10,} domains in {seconds:6.1f} s", flush=True)


async def load_domains(dsn: str, key: str) -> dict[str, Any]:
    """Load the domains with `load-test-data` (also what tests.bench_dns renders); the load's summary."""
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.services.bulk import LoadSpec, load_test_data

    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    try:
        report = await load_test_data(core, LoadSpec(domains=DOMAINS, tld=TLD), show_progress)
        size = await pool.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await pool.close()
    return {"domains": report.domains, "seconds": round(report.seconds, 1),
            "per_second": round(report.domains / report.seconds), "ds_records": report.ds_records,
            "phases": {k: round(v, 1) for k, v in report.phases.items()}, "database_bytes": size}


async def load(dsn: str, key: str, fingerprint: str) -> tuple[dict[str, Any], list[str], list[str]]:
    """Load the domains; open one registrar's account; pick names it sponsors and prefixes."""
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.services import registrars

    summary = await load_domains(dsn, key)
    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    await registrars.update_registrar(core, REGISTRAR, password=PASSWORD)
    await registrars.add_certificate(core, REGISTRAR, fingerprint)
    async with pool.acquire() as conn:
        names = [r["name"] for r in await conn.fetch(
            "SELECT name FROM domain WHERE sponsor_id = $1 ORDER BY random() LIMIT 20000", REGISTRAR)]
    await pool.close()
    rng = random.Random(1)
    prefixes = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=3)) for _ in range(PREFIXES)]
    return summary, names, prefixes


def start_server(dsn: str, key: str, certs_dir: Path) -> tuple[subprocess.Popen[str], int, int]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.bench_scale", "serve", dsn, key, str(certs_dir)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready"):
            _, epp_port, rdap_port = line.split()
            return proc, int(epp_port), int(rdap_port)
    raise RuntimeError("the server process did not start")


# --- the server (child process) -----------------------------------------------------------------
async def serve(dsn: str, key: str, certs_dir: str) -> None:
    """Our EPP and RDAP servers on one loop, logging as `registry serve` does."""
    import logging

    from protocols.config import Config, DatabaseConfig, EppConfig, RdapConfig, RegistryConfig
    from protocols.epp.server import EppServer
    from protocols.rdap.app import start_rdap
    from protocols.serve.heap import settle_heap
    from protocols.serve.logs import setup_logging
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database

    setup_logging(False, True, level=logging.INFO, stream=sys.stderr)
    certs = Path(certs_dir)
    config = Config(database=DatabaseConfig(url=dsn, pool_max=20),
                    registry=RegistryConfig(auth_info_key=key, roid_suffix="LT"),
                    epp=EppConfig(port=0, cert=str(certs / "server.pem"), key=str(certs / "server.key"),
                                  ca=str(certs / "ca.pem"), max_sessions_per_registrar=64),
                    rdap=RdapConfig(port=0, base_url="", allowlist=("127.0.0.0/8",), search_limit=SEARCH_LIMIT))
    pool = await open_pool(dsn, max_size=20)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    epp = EppServer(config, core)
    await epp.start()
    rdap = await start_rdap(config, core)
    settle_heap()  # as serve_process does once its listeners run
    print("ready", epp.port, rdap.port, flush=True)
    await asyncio.Event().wait()


# --- load -------------------------------------------------------------------------------------
class Load:
    """The clients: EPP sessions of the registrar, an HTTP session, a bare asyncpg pool."""

    def __init__(self, names: list[str], prefixes: list[str]) -> None:
        self.names, self.prefixes = names, prefixes

    def name(self, worker: int, i: int) -> str:
        return self.names[(worker * 7919 + i) % len(self.names)]

    def prefix(self, worker: int, i: int) -> str:
        return self.prefixes[(worker * 31 + i) % len(self.prefixes)]

    async def epp_cell(self, clients: list[Any], verb: str, seconds: float = SECONDS) -> dict[str, float]:
        async def one(worker: int, i: int) -> bool:
            return b'code="1000"' in await clients[worker].send_raw(epp_xml(verb, self.name(worker, i)))
        return await drive(len(clients), one, seconds)

    async def rdap_cell(self, session: aiohttp.ClientSession, base: str, concurrency: int, search: bool,
                        seconds: float = SECONDS) -> dict[str, float]:
        async def one(worker: int, i: int) -> bool:
            path = f"domains?name={self.prefix(worker, i)}*" if search else f"domain/{self.name(worker, i)}"
            async with session.get(base + path) as resp:
                body = await resp.read()
            return resp.status == 200 and (b'"domainSearchResults"' in body if search else b'"ldhName"' in body)
        return await drive(concurrency, one, seconds)

    async def prepare_bare(self, pool: asyncpg.Pool) -> None:
        """Every pooled connection prepares every prefix statement once (our server's search
        is one prepared statement; the bare one has the prefix in its text)."""
        async def prepare(conn: Any) -> None:
            for prefix in self.prefixes:
                await conn.fetch(BARE_PREFIX.format(prefix=prefix, limit=SEARCH_LIMIT + 1))
        conns = [await pool.acquire() for _ in range(max(LEVELS))]
        await asyncio.gather(*(prepare(c) for c in conns))
        for conn in conns:
            await pool.release(conn)

    async def bare_cell(self, pool: asyncpg.Pool, concurrency: int, search: bool,
                        seconds: float = SECONDS) -> dict[str, float]:
        async def one(worker: int, i: int) -> bool:
            if search:
                sql = BARE_PREFIX.format(prefix=self.prefix(worker, i), limit=SEARCH_LIMIT + 1)
                return isinstance(await pool.fetch(sql), list)
            return await pool.fetchrow(BARE_LOOKUP, self.name(worker, i)) is not None
        return await drive(concurrency, one, seconds)


async def epp_sessions(certs: Any, port: int, count: int) -> list[Any]:
    from protocols.epp.client import EppClient
    from protocols.net.tls import client_context

    issued = certs.registrars[REGISTRAR]
    ctx = client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False)
    clients = []
    for _ in range(count):
        client = EppClient(timeout=30)
        await client.connect("127.0.0.1", port, ctx)
        assert (await client.login(REGISTRAR, PASSWORD)).code == 1000
        clients.append(client)
    return clients


async def measure(load: Load, certs: Any, dsn: str, epp_port: int, rdap_port: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{rdap_port}/"
    pool = await asyncpg.create_pool(dsn, min_size=max(LEVELS), max_size=max(LEVELS), statement_cache_size=1024)
    assert pool is not None
    results: dict[str, Any] = {}
    connector = aiohttp.TCPConnector(limit=max(LEVELS))
    async with aiohttp.ClientSession(connector=connector, headers={"Accept": "application/rdap+json"}) as session:
        warm = await epp_sessions(certs, epp_port, 8)
        for verb in ("info", "check"):  # warm caches, pools and plans
            await load.epp_cell(warm, verb, 1.0)
        for search in (False, True):
            await load.rdap_cell(session, base, 8, search, 1.0)
            await load.bare_cell(pool, 8, search, 1.0)
        await load.prepare_bare(pool)
        for client in warm:
            await client.close()
        for level in LEVELS:
            clients = await epp_sessions(certs, epp_port, level)
            results[str(level)] = {
                "epp_info": await load.epp_cell(clients, "info"), "epp_check": await load.epp_cell(clients, "check"),
                "rdap_lookup": await load.rdap_cell(session, base, level, False),
                "lookup_ceiling": await load.bare_cell(pool, level, False),
                "rdap_prefix_search": await load.rdap_cell(session, base, level, True),
                "prefix_ceiling": await load.bare_cell(pool, level, True)}
            for client in clients:
                await client.close()
    await pool.close()
    return results


ROWS = (("epp_info", "EPP domain:info", "lookup_ceiling"), ("epp_check", "EPP domain:check", "lookup_ceiling"),
        ("rdap_lookup", "RDAP domain", "lookup_ceiling"), ("rdap_prefix_search", "RDAP domains?name=abc*",
                                                           "prefix_ceiling"))


def print_table(report: dict[str, Any]) -> None:
    loaded = report["load"]
    print(f"\nScale benchmark: {loaded['domains']:,} domains loaded in {loaded['seconds']:.1f} s "
          f"({loaded['per_second']:,}/s, database {loaded['database_bytes'] / 2**20:,.0f} MiB); "
          f"{SECONDS:g} s per cell, {os.cpu_count()} CPUs")
    print("ceilings: the bare indexed query through asyncpg (name = $1; LIKE 'abc%' ORDER BY name LIMIT "
          f"{SEARCH_LIMIT + 1}); ratio = our p50 / ceiling p50")
    print(f"{'clients':>7} {'query':<23} {'q/s':>7} {'p50 ms':>7} {'p99 ms':>7}   {'ceil q/s':>8} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'ratio':>6}")
    for level, cell in report["results"].items():
        for key, label, ceiling in ROWS:
            row, ceil = cell[key], cell[ceiling]
            print(f"{level:>7} {label:<23} {row['per_second']:7.0f} {row['p50_ms']:7.2f} {row['p99_ms']:7.2f}   "
                  f"{ceil['per_second']:8.0f} {ceil['p50_ms']:7.2f} {ceil['p99_ms']:7.2f} "
                  f"{row['p50_ms'] / ceil['p50_ms']:6.1f}" + (f"  errors={row['errors']}" if row["errors"] else ""))


async def kept_database(admin_dsn: str, fingerprint: str) -> dict[str, Any] | None:
    """What a kept database of this size was loaded with (BENCH_SCALE_KEEP), if it is there
    and was loaded for these certificates."""
    if not KEEP or not KEPT.exists():
        return None
    kept: dict[str, Any] = json.loads(KEPT.read_text())
    conn = await asyncpg.connect(admin_dsn)
    try:
        present = await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", DATABASE)
    finally:
        await conn.close()
    if not present or kept["load"]["domains"] != DOMAINS or kept["fingerprint"] != fingerprint:
        return None
    return kept


async def load_or_reuse(admin_dsn: str, certs: Any) -> dict[str, Any]:
    from registry_core.crypto import AuthInfoCipher

    fingerprint = certs.fingerprints[REGISTRAR]
    kept = await kept_database(admin_dsn, fingerprint)
    if kept is not None:
        print(f"measuring the kept database of {DOMAINS:,} domains ({KEPT.name}) ...", flush=True)
        head, _, tail = admin_dsn.partition("?")  # the server's socket may have moved since
        return {**kept, "dsn": f"{head.rsplit('/', 1)[0]}/{DATABASE}?{tail}"}
    dsn = await prepare_database(admin_dsn)
    key = AuthInfoCipher.new_key_text()
    print(f"loading {DOMAINS:,} domains (BENCH_SCALE_DOMAINS) with registry load-test-data ...", flush=True)
    loaded, names, prefixes = await load(dsn, key, fingerprint)
    state = {"dsn": dsn, "key": key, "fingerprint": fingerprint, "load": loaded, "names": names,
             "prefixes": prefixes}
    if KEEP:
        KEPT.write_text(json.dumps(state))
    return state


async def main() -> int:
    from protocols.cli.certs import init_dev_certs
    from registry_core.db.embedded import embedded_dsn, start_embedded

    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    admin = embedded_dsn(server, "postgres")
    certs = init_dev_certs(OUT / "certs-scale", [REGISTRAR])
    state = await load_or_reuse(admin, certs)
    dsn, key, loaded = state["dsn"], state["key"], state["load"]
    proc, epp_port, rdap_port = start_server(dsn, key, certs.directory)
    try:
        results = await measure(Load(state["names"], state["prefixes"]), certs, dsn, epp_port, rdap_port)
    finally:
        proc.terminate()
        proc.wait(10)
        if not KEEP:
            await drop_database(admin)
    report = {"load": loaded, "seconds_per_cell": SECONDS, "cpus": os.cpu_count(), "results": results}
    print_table(report)
    (OUT / "scale.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    import uvloop

    if sys.argv[1:2] == ["serve"]:
        uvloop.run(serve(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        sys.exit(asyncio.run(main()))
