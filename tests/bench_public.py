"""Public-service benchmark (part of `make bench`): RDAP domain lookups and WHOIS domain
queries per second, with p50/p99 latency, at 1, 8 and 32 concurrent clients. Each figure
stands beside a ceiling measured in the same run on the same machine and database:

- RDAP: our server vs a bare aiohttp handler that does one indexed lookup and returns a
  body of the same size and shape as ours: the answer our server gave for one seeded
  domain, read once at start-up, with the looked-up row's name and handle put in, encoded
  per request with orjson as ours is (no routing, limits, profile, redaction or rendering of
  related rows: what it measures is our overhead, not the size of the answer);
- WHOIS: our server vs a bare asyncio line server that reads a line, does one indexed
  lookup, writes one line and closes.

Servers run as separate processes on uvloop (ours exactly as the suite starts them, with
the load generator's address allowlisted so the per-IP limits stay out of the figures);
the load generator runs here. 20,000 seeded domains each have two name servers, three
contacts and a DS record. Results print as a table and go to var/bench/public.json.
BENCH_SECONDS sets the time per cell. Internal modes: `serve` and `bare` (see below)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.bench_support import drive, free_port, fresh_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
LEVELS = (1, 8, 32)
DOMAINS = 20_000
BARE_SQL = "SELECT name, roid, expires_at FROM domain WHERE name = $1 AND deleted_at IS NULL"



def domain(i: int) -> str:
    return f"pub{(i * 7919) % DOMAINS + 1}.example"


# --- set-up ---------------------------------------------------------------------------------
async def prepare_database(admin_dsn: str) -> str:
    return await fresh_database(admin_dsn, "registry_bench_public")


SEED_SQL = [
    """INSERT INTO contact (roid, handle, sponsor_id, creator_id, created_at, email, voice, postal_int)
       SELECT 'C' || i || '-BENCH', 'bench-c' || i, 'demo', 'demo', now(), 'person' || i || '@example.net',
              '+1.5555550100', '{"name": "Bench Person", "org": "Bench Org", "street": ["1 Main St"],
              "city": "Springfield", "sp": "IL", "pc": "62701", "cc": "US"}'::jsonb
       FROM generate_series(1, 3) i""",
    """INSERT INTO host (roid, name, sponsor_id, creator_id, created_at)
       VALUES ('H1-BENCH', 'ns1.bench-dns.net', 'demo', 'demo', now()),
              ('H2-BENCH', 'ns2.bench-dns.net', 'demo', 'demo', now())""",
    """INSERT INTO domain (roid, name, tld, registrant_id, sponsor_id, creator_id, created_at, expires_at)
       SELECT 'DP' || i || '-EXAMPLE', 'pub' || i || '.example', 'example',
              (SELECT id FROM contact WHERE handle = 'bench-c1'), 'demo', 'demo', now(), now() + interval '1 year'
       FROM generate_series(1, $1) i""",
    "INSERT INTO domain_host SELECT d.id, h.id FROM domain d CROSS JOIN host h",
    """INSERT INTO domain_contact SELECT d.id, c.id, r.role FROM domain d
       CROSS JOIN (VALUES ('admin', 'bench-c2'), ('tech', 'bench-c3')) r(role, handle)
       JOIN contact c ON c.handle = r.handle""",
    """INSERT INTO ds_record (domain_id, key_tag, alg, digest_type, digest)
       SELECT id, 12345, 13, 2, repeat('AB', 32) FROM domain""",
    "ANALYZE",
]


async def seed(dsn: str, key: str) -> None:
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.services import registrars, tlds

    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key))
    await tlds.add_tld(core, "example", roid_suffix="EXAMPLE", prices={"create": Decimal(8)})
    await registrars.add_registrar(core, registrars.NewRegistrar(
        "demo", "Demo Registrar LLC", "demo-Pass1", iana_id=9991, url="https://demo-registrar.test",
        whois_server="whois.demo-registrar.test", abuse_email="abuse@demo-registrar.test",
        abuse_phone="+1.5555550100"))
    async with pool.acquire() as conn:
        for sql in SEED_SQL:
            await (conn.execute(sql, DOMAINS) if "$1" in sql else conn.execute(sql))
    await pool.close()


def start_process(args: list[str]) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.bench_public", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready"):
            return proc, [int(p) for p in line.split()[1:]]
    raise RuntimeError(f"{args[0]} process did not start")


# --- the servers (child processes) ------------------------------------------------------------
async def serve_ours(dsn: str, key: str, rdap_port: int, whois_port: int) -> None:
    """Our RDAP and WHOIS servers on one loop, as the suite runs them."""
    from protocols.config import Config, DatabaseConfig, RdapConfig, RegistryConfig, WhoisConfig
    from protocols.rdap.app import start_rdap
    from protocols.serve.heap import settle_heap
    from protocols.serve.runtime import open_core
    from protocols.whois.server import start_whois

    trusted = ("127.0.0.0/8",)
    config = Config(database=DatabaseConfig(url=dsn, pool_max=20), registry=RegistryConfig(auth_info_key=key),
                    rdap=RdapConfig(port=rdap_port, base_url=f"http://127.0.0.1:{rdap_port}/", allowlist=trusted),
                    whois=WhoisConfig(port=whois_port, allowlist=trusted))
    async with open_core(config) as core:
        rdap = await start_rdap(config, core)
        whois = await start_whois(config, core)
        settle_heap()  # as serve_process does once its listeners run
        print("ready", rdap.port, whois.port, flush=True)
        await asyncio.Event().wait()


def bare_body(template: dict[str, Any], row: Any) -> bytes:
    """Our answer's shape and size, with this row's name and handle, through the encoder our
    server uses (orjson): the fastest a minimal server could write it."""
    import orjson

    return orjson.dumps({**template, "ldhName": row["name"], "handle": row["roid"]})


async def serve_bare(dsn: str, http_port: int, line_port: int, template: dict[str, Any]) -> None:
    """The ceilings: one indexed lookup per request and an answer of our size, nothing else."""
    from aiohttp import web

    from protocols.serve.heap import settle_heap

    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=20)
    assert pool is not None

    async def http(request: web.BaseRequest) -> web.Response:
        row = await pool.fetchrow(BARE_SQL, request.path.rsplit("/", 1)[-1])
        body = bare_body(template, row) if row else json.dumps({"errorCode": 404}).encode()
        return web.Response(body=body, status=200 if row else 404, content_type="application/rdap+json")

    async def line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = (await reader.readline()).decode().strip()
        row = await pool.fetchrow(BARE_SQL, name)
        writer.write(f"Domain Name: {row['name']}\r\n".encode() if row else b"No match\r\n")
        await writer.drain()
        writer.close()

    runner = web.ServerRunner(web.Server(http, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", http_port, backlog=1024).start()
    await asyncio.start_server(line, "127.0.0.1", line_port, backlog=1024)
    settle_heap()  # the ceilings get what our servers get
    print("ready", http_port, line_port, flush=True)
    await asyncio.Event().wait()


# --- load -------------------------------------------------------------------------------------
async def http_cell(port: int, concurrency: int, seconds: float = SECONDS) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(worker: int, i: int) -> bool:
            url = f"http://127.0.0.1:{port}/domain/{domain(worker * 100_003 + i)}"
            async with session.get(url, headers={"Accept": "application/rdap+json"}) as resp:
                body = await resp.read()
                return resp.status == 200 and b'"ldhName"' in body
        return await drive(concurrency, one, seconds)


async def whois_cell(port: int, concurrency: int, seconds: float = SECONDS) -> dict[str, float]:
    async def one(worker: int, i: int) -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(domain(worker * 100_003 + i).encode() + b"\r\n")
        data = await reader.read()
        writer.close()
        return data.startswith(b"Domain Name:")
    return await drive(concurrency, one, seconds)


async def answer_template(port: int) -> bytes:
    """Our server's answer for one seeded domain: the shape and size the bare ceiling returns."""
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/domain/{domain(0)}", headers={"Accept": "application/rdap+json"}) as resp:
        assert resp.status == 200
        return await resp.read()


async def body_sizes(ours: int, bare: int) -> dict[str, int]:
    async with aiohttp.ClientSession() as session:
        sizes = {}
        for key, port in (("ours", ours), ("bare", bare)):
            async with session.get(f"http://127.0.0.1:{port}/domain/{domain(1)}") as resp:
                sizes[key] = len(await resp.read())
        return sizes


async def measure(ours: list[int], bare: list[int]) -> dict[str, Any]:
    for port in ours[:1] + bare[:1]:  # warm connection pools, caches and query plans
        await http_cell(port, 8, 1.0)
    for port in ours[1:] + bare[1:]:
        await whois_cell(port, 8, 1.0)
    results: dict[str, Any] = {}
    for level in LEVELS:
        results[str(level)] = {
            "rdap": await http_cell(ours[0], level), "rdap_bare_ceiling": await http_cell(bare[0], level),
            "whois": await whois_cell(ours[1], level), "whois_bare_ceiling": await whois_cell(bare[1], level)}
    return results


def print_table(results: dict[str, Any]) -> None:
    sizes = results.pop("body_bytes", None)
    print(f"\nRDAP/WHOIS benchmark ({SECONDS:g} s per cell, {os.cpu_count()} CPUs; ratios are to ceilings "
          "from this run)")
    if sizes:
        print(f"RDAP domain body: ours {sizes['ours']} bytes, ceiling {sizes['bare']} bytes")
    print(f"{'clients':>7} {'query':<14} {'q/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ceiling/s':>10} {'c p50':>7} "
          f"{'c p99':>7} {'ratio':>6}")
    for level, cell in results.items():
        for op, label in (("rdap", "RDAP domain"), ("whois", "WHOIS domain")):
            row, ceil = cell[op], cell[f"{op}_bare_ceiling"]
            print(f"{level:>7} {label:<14} {row['per_second']:8.0f} {row['p50_ms']:7.2f} {row['p99_ms']:7.2f} "
                  f"{ceil['per_second']:10.0f} {ceil['p50_ms']:7.2f} {ceil['p99_ms']:7.2f} "
                  f"{row['per_second'] / ceil['per_second']:6.2f}"
                  + (f"  errors={row['errors']}" if row["errors"] else ""))


async def main() -> int:
    from registry_core.crypto import AuthInfoCipher
    from registry_core.db.embedded import embedded_dsn, start_embedded

    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await prepare_database(embedded_dsn(server, "postgres"))
    key = AuthInfoCipher.new_key_text()
    await seed(dsn, key)
    ours, our_ports = start_process(["serve", dsn, key, str(free_port()), str(free_port())])
    procs = [ours]
    try:
        template = OUT / "rdap-domain-template.json"
        template.write_bytes(await answer_template(our_ports[0]))
        bare, bare_ports = start_process(["bare", dsn, str(free_port()), str(free_port()), str(template)])
        procs.append(bare)
        results = await measure(our_ports, bare_ports)
        results["body_bytes"] = await body_sizes(our_ports[0], bare_ports[0])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    (OUT / "public.json").write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


if __name__ == "__main__":
    import uvloop

    if sys.argv[1:2] == ["serve"]:
        uvloop.run(serve_ours(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    elif sys.argv[1:2] == ["bare"]:
        shape = json.loads(Path(sys.argv[5]).read_text())
        uvloop.run(serve_bare(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), shape))
    else:
        sys.exit(asyncio.run(main()))
