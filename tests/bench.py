"""`make bench`: EPP throughput and latency against the embedded PostgreSQL, each figure
beside a ceiling measured in the same run on the same machine:

- check: our server vs a bare asyncio TLS server with the same framing doing one lxml
  parse, one indexed lookup and one lxml render per frame (tests/bench_bare.py);
- create: our server vs the same create transaction issued straight through asyncpg.

Servers run as separate processes; the load generator runs here. Results are printed as a
table and written to var/bench/epp-workers<N>.json. BENCH_SECONDS sets the time per cell, BENCH_WORKERS
the number of server processes (default 1)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.epp.client import EppClient
from protocols.net.tls import client_context
from registry_core.clock import SystemClock
from registry_core.context import Core, CoreSettings
from registry_core.crypto import AuthInfoCipher
from registry_core.db.embedded import embedded_dsn, start_embedded
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database
from registry_core.model.audit import LANES
from registry_core.services import registrars, tlds
from tests.bench_support import drive, free_port, fresh_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))  # EPP server processes (registry serve --workers)
LEVELS = tuple(int(n) for n in os.environ.get("BENCH_LEVELS", "1,8,32,128").split(","))
POOL_MAX = 20  # database connections per server process, for ours and for the create ceiling
SEED_DOMAINS = 20_000
EPP = 'xmlns="urn:ietf:params:xml:ns:epp-1.0"'
XD = 'xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"'


def check_xml(name: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><command><check><domain:check {XD}>'
            f'<domain:name>{name}</domain:name></domain:check></check><clTRID>BENCH-1</clTRID></command></epp>'
            ).encode()


def info_xml(name: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><command><info><domain:info {XD}>'
            f'<domain:name>{name}</domain:name></domain:info></info><clTRID>BENCH-2</clTRID></command></epp>'
            ).encode()


def create_xml(name: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><command><create><domain:create {XD}>'
            f'<domain:name>{name}</domain:name><domain:period unit="y">1</domain:period>'
            f'<domain:authInfo><domain:pw>Bench-Auth1</domain:pw></domain:authInfo></domain:create></create>'
            f'<clTRID>BENCH-3</clTRID></command></epp>').encode()


# --- set-up ---------------------------------------------------------------------------------
async def setup(database: str) -> tuple[Any, str, str, DevCerts]:
    """What the EPP-speaking benchmarks start from: the benchmarks' embedded cluster (its
    handle, to hold while the run needs it), a fresh migrated `database` on it (its DSN), a
    new authInfo key, and development certificates for registrars demo and rival."""
    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await fresh_database(embedded_dsn(server, "postgres"), database)
    return server, dsn, AuthInfoCipher.new_key_text(), init_dev_certs(OUT / "certs", ["demo", "rival"])


async def seed(dsn: str, key: str, certs: DevCerts) -> None:
    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key))
    await tlds.add_tld(core, "example", roid_suffix="EXAMPLE",
                       prices={"create": Decimal(8), "renew": Decimal(8), "transfer": Decimal(8)})
    for rid, password in (("demo", "demo-Pass1"), ("rival", "rival-Pass1")):
        await registrars.add_registrar(core, registrars.NewRegistrar(rid, rid, password,
                                                                     credit_limit=Decimal(10**9)))
        await registrars.add_certificate(core, rid, certs.fingerprints[rid])
    async with pool.acquire() as conn:  # domains for info and for realistic index sizes
        await conn.execute(
            """INSERT INTO domain (roid, name, tld, sponsor_id, creator_id, created_at, expires_at)
               SELECT 'DS' || i || '-EXAMPLE', 'seed' || i || '.example', 'example', 'demo', 'demo',
                      now(), now() + interval '1 year' FROM generate_series(1, $1) AS i""", SEED_DOMAINS)
        await conn.execute("ANALYZE")
    await pool.close()


def write_config(dsn: str, key: str, certs: DevCerts, port: int) -> Path:
    path = OUT / "registry.toml"
    path.write_text(
        f'[database]\nurl = "{dsn}"\npool_max = {POOL_MAX}\n[registry]\nauth_info_key = "{key}"\n'
        f'[epp]\nport = {port}\ncert = "{certs.server.cert}"\nkey = "{certs.server.key}"\n'
        f'ca = "{certs.ca_cert}"\nmax_sessions_per_registrar = 256\n[whois]\nenabled = false\n[rdap]\nenabled = false\n'
        '[metrics]\nenabled = false\n')
    return path


def start_process(args: list[str], ready: str, times: int = 1) -> subprocess.Popen:
    """Start a server and wait until `ready` has appeared `times` times on its stdout; the
    rest of its output (the per-command log lines) is drained by a thread, as a log
    collector would."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        seen += ready in line
        if seen == times:
            threading.Thread(target=lambda: [None for _ in proc.stdout or ()], daemon=True).start()
            return proc
    raise RuntimeError(f"{args[0]} did not start")


# --- load -----------------------------------------------------------------------------------
async def sessions(certs: DevCerts, port: int, count: int, login: bool) -> list[EppClient]:
    issued = certs.registrars["demo"]
    ctx = client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False)
    clients = []
    for _ in range(count):
        client = EppClient(timeout=30)
        await client.connect("127.0.0.1", port, ctx)
        if login:
            assert (await client.login("demo", "demo-Pass1")).code == 1000
        clients.append(client)
    return clients


async def drive_sessions(clients: list[EppClient], make: Callable[[int, int], bytes],
                         expect: bytes) -> dict[str, float]:
    async def one(session: int, i: int) -> bool:
        return expect in await clients[session].send_raw(make(session, i))
    return await drive(len(clients), one, SECONDS)


async def db_create_ceiling(dsn: str, concurrency: int) -> dict[str, float]:
    """The create transaction our core runs (TLD policy comes from its cache), as plain SQL
    through asyncpg: reserved check, price lookup, id, domain row, grace period, DNS change,
    history row on its hash chain, then balance and ledger (the row lock is taken last, as
    the core does)."""
    size = min(concurrency, POOL_MAX)
    pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
    assert pool is not None
    async def one(name: str) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetch("SELECT name, reason FROM reserved_name WHERE name = ANY($1)", [name])
            await conn.fetchrow(
                """SELECT (SELECT coalesce(jsonb_object_agg(p.action, p.amount::text), '{}')
                           FROM registrar_price_group g JOIN price_group_price p ON p.group_name = g.group_name
                           WHERE g.registrar_id = 'demo' AND p.tld = 'example') AS groups, n.*
                   FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM premium_name WHERE name = $1) AS n ON true""",
                name)
            did = await conn.fetchval("SELECT nextval('domain_id_seq')")
            await conn.execute(
                """INSERT INTO domain (id, roid, name, tld, sponsor_id, creator_id, created_at, expires_at,
                   auth_info, statuses) VALUES ($1, $2, $3, 'example', 'demo', 'demo', now(),
                   now() + interval '1 year', $4, '{}')""", did, f"D{did:X}-EXAMPLE", name, b"x" * 40)
            await conn.execute(
                """INSERT INTO grace_period (domain_id, kind, registrar_id, starts_at, ends_at, amount, currency,
                   period_years, sv_trid) VALUES ($1, 'addPeriod', 'demo', now(), now() + interval '5 days', 8,
                   'USD', 1, 'CEIL')""", did)
            await conn.execute(
                """INSERT INTO dns_change (tld, owner, changed_at) VALUES ('example', $1, now())
                   ON CONFLICT (tld, owner) DO UPDATE SET seq = nextval('dns_change_seq')""", name)
            lane = await conn.fetchrow(f"SELECT lane, seq, hash FROM history_head WHERE lane = "
                                       f"pg_current_xact_id()::text::bigint % {LANES} FOR UPDATE")
            digest = hashlib.sha256(bytes(lane["hash"]) + name.encode()).digest()  # what a chained row costs
            await conn.execute(
                """WITH moved AS (UPDATE history_head SET seq = $3, hash = $5 WHERE lane = $4)
                   INSERT INTO history (object_type, object_id, object_name, action, registrar_id, sv_trid, at,
                   after, lane, seq, prev_hash, row_hash) VALUES ('domain', $1, $2, 'create', 'demo', 'CEIL', now(),
                   '{}', $4, $3, $6, $5)""", did, name, lane["seq"] + 1, lane["lane"], digest, bytes(lane["hash"]))
            balance = await conn.fetchval(
                "UPDATE registrar SET balance = balance - 8 WHERE id = 'demo' RETURNING balance")
            await conn.execute(
                """INSERT INTO ledger (registrar_id, at, amount, currency, balance_after, action, object_type,
                   object_id, object_name, period_years, sv_trid) VALUES ('demo', now(), -8, 'USD', $1, 'create',
                   'domain', $2, $3, 1, 'CEIL')""", balance, did, name)

    async def attempt(index: int, i: int) -> bool:
        await one(f"ceil-{concurrency}-{index}-{i}.example")
        return True
    try:
        return await drive(concurrency, attempt, SECONDS)
    finally:
        await pool.close()


# --- the run --------------------------------------------------------------------------------
async def measure(certs: DevCerts, port: int, bare_port: int, dsn: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    ops: dict[str, tuple[Callable[[int, int], bytes], bytes]] = {
        "check": (lambda s, i: check_xml(f"free-{s}-{i}.example"), b'code="1000"'),
        "info": (lambda s, i: info_xml(f"seed{(s * 7919 + i) % SEED_DOMAINS + 1}.example"), b'code="1000"'),
    }
    for level in LEVELS:
        ops[f"create@{level}"] = (lambda s, i, lv=level: create_xml(f"new-{lv}-{s}-{i}.example"), b'code="1000"')
    for level in LEVELS:
        ours = await sessions(certs, port, level, login=True)
        bare = await sessions(certs, bare_port, level, login=False)
        cell: dict[str, Any] = {}
        cell["check"] = await drive_sessions(ours, ops["check"][0], ops["check"][1])
        cell["check_bare_ceiling"] = await drive_sessions(bare, ops["check"][0], b'code="1000"')
        cell["info"] = await drive_sessions(ours, ops["info"][0], ops["info"][1])
        cell["create"] = await drive_sessions(ours, *ops[f"create@{level}"])
        cell["create_db_ceiling"] = await db_create_ceiling(dsn, level)
        for client in ours + bare:
            await client.close()
        results[str(level)] = cell
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"\nEPP benchmark ({SECONDS:g} s per cell, {WORKERS} server worker(s), {os.cpu_count()} cores; "
          "ratios are to ceilings from this run)")
    print(f"{'sessions':>8} {'command':<13} {'cmd/s':>8} {'p50 ms':>7} {'p99 ms':>7}   "
          f"{'ceiling':<9} {'/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}")
    for level, cell in results.items():
        for op, ceiling in (("check", "check_bare_ceiling"), ("info", "check_bare_ceiling"),
                            ("create", "create_db_ceiling")):
            row, ceil = cell[op], cell[ceiling]
            label = "bare" if ceiling.startswith("check") else "db"
            print(f"{level:>8} {'domain:' + op:<13} {row['per_second']:8.0f} {row['p50_ms']:7.2f} "
                  f"{row['p99_ms']:7.2f}   {label:<9} {ceil['per_second']:7.0f} {ceil['p50_ms']:7.2f} "
                  f"{ceil['p99_ms']:7.2f} {row['per_second'] / ceil['per_second']:6.2f}"
                  + (f"  errors={row['errors']}" if row["errors"] else ""))


async def main() -> int:
    _server, dsn, key, certs = await setup("registry_bench")
    await seed(dsn, key, certs)
    port, bare_port = free_port(), free_port()
    ours = start_process([sys.executable, "-m", "protocols.cli", "--config", str(write_config(dsn, key, certs, port)),
                          "serve", "--workers", str(WORKERS)], "EPP listening", WORKERS)
    bare = start_process([sys.executable, "-m", "tests.bench_bare", str(bare_port), dsn, str(certs.server.cert),
                          str(certs.server.key), str(certs.ca_cert)], "ready")
    try:
        results = await measure(certs, port, bare_port, dsn)
    finally:
        for proc in (ours, bare):
            proc.terminate()
            proc.wait(10)
    print_table(results)
    (OUT / f"epp-workers{WORKERS}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
