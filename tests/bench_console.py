"""`make bench`, consoles part: the registrar console at 1,000,000 domains (the database
tests.bench_scale loads, or keeps with BENCH_SCALE_KEEP=1): the dashboard, the first page
of the domain list and a name-prefix search, as p50/p95 over 8 signed-in clients, each
beside the bare SQL of that page through asyncpg (the ceiling); and the CSV export of the
registrar's domains: its time, its size and the server process's peak memory.

The console runs in a child process (as `registry serve` would run it); the clients and
the ceiling run here. Results are printed and written to var/bench/console.json."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests import bench_scale
from tests.bench_support import drive, free_port

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
CLIENTS = 8
LOGIN, PASSWORD, SECRET = "bench-owner", "Bench-Owner1", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

CEILINGS = {  # the page's own statements, bare
    "dashboard": ("""SELECT (SELECT domains + on_hold FROM registrar_domain_count WHERE registrar_id = $1),
                            (SELECT sum(domains) FROM registrar_domain_delta WHERE registrar_id = $1),
                            (SELECT count(*) FROM domain WHERE sponsor_id = $1 AND deleted_at IS NULL
                                AND expires_at < now() + interval '30 days'),
                            (SELECT count(*) FROM poll_message WHERE registrar_id = $1 AND acked_at IS NULL)""", ()),
    "domain list": ("""SELECT name, statuses, expires_at, created_at FROM domain
                       WHERE sponsor_id = $1 AND deleted_at IS NULL AND name ~>~ '' ORDER BY name USING ~<~ LIMIT 51""",
                    ()),
    "prefix search": ("""SELECT name, statuses, expires_at, created_at FROM domain
                         WHERE sponsor_id = $1 AND deleted_at IS NULL AND name ~>=~ $2 AND name ~<~ $3
                         ORDER BY name USING ~<~ LIMIT 51""", ("PREFIX",)),
}


# --- the console (child process) ----------------------------------------------------------------
async def serve(dsn: str, key: str) -> None:
    from protocols.config import config_from_mapping
    from protocols.serve.heap import settle_heap
    from protocols.web.server import start_web
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.errors import ObjectExists
    from registry_core.services import accounts

    pool = await open_pool(dsn, max_size=16)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    for n in range(CLIENTS):  # one user per client: each TOTP code counts once per user
        with contextlib.suppress(ObjectExists):
            await accounts.add_user(core, accounts.NewUser(f"{LOGIN}-{n}", "bench@example.net", "owner",
                                                           bench_scale.REGISTRAR, password=PASSWORD))
        await accounts.set_totp_secret(core, f"{LOGIN}-{n}", SECRET)
    config = config_from_mapping({"console": {"enabled": True, "port": free_port()}})
    server = await start_web("console", config, core)
    settle_heap()
    print("ready", server.port, flush=True)
    await asyncio.Event().wait()


def start_console(dsn: str, key: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.bench_console", "serve", dsn, key], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready"):
            return proc, int(line.split()[1])
    raise RuntimeError("the console did not start")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the clients -------------------------------------------------------------------------------
async def signed_in(base: str, n: int) -> aiohttp.ClientSession:
    import pyotp

    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
    page = await (await http.get(base + "/login")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    await http.post(base + "/login", data={"csrf": csrf.group(1), "login": f"{LOGIN}-{n}", "password": PASSWORD})
    page = await (await http.get(base + "/mfa")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    await http.post(base + "/mfa", data={"csrf": csrf.group(1), "code": pyotp.TOTP(SECRET).now()})
    return http


async def page_cell(sessions: list[aiohttp.ClientSession], base: str, path_of: Any) -> dict[str, float]:
    async def one(index: int, i: int) -> bool:
        async with sessions[index].get(base + path_of(i)) as resp:
            assert resp.status == 200, resp.status
            await resp.read()
        return True
    return await drive(CLIENTS, one, SECONDS)


async def bare_cell(pool: asyncpg.Pool, sql: str, args_of: Any) -> dict[str, float]:
    async def one(_index: int, i: int) -> bool:
        async with pool.acquire() as conn:
            await conn.fetch(sql, bench_scale.REGISTRAR, *args_of(i))
        return True
    return await drive(CLIENTS, one, SECONDS)


async def measure(dsn: str, base: str, prefixes: list[str], console_pid: int) -> dict[str, Any]:
    sessions = [await signed_in(base, n) for n in range(CLIENTS)]
    pool = await asyncpg.create_pool(dsn, min_size=CLIENTS, max_size=CLIENTS)
    assert pool is not None
    paths = {"dashboard": lambda i: "/", "domain list": lambda i: "/domains",
             "prefix search": lambda i: f"/domains?prefix={prefixes[i % len(prefixes)]}"}
    args = {"dashboard": lambda i: (), "domain list": lambda i: (),
            "prefix search": lambda i: (prefixes[i % len(prefixes)], prefixes[i % len(prefixes)] + "\x7f")}
    results: dict[str, Any] = {}
    try:
        for name, path_of in paths.items():
            results[name] = {"ours": await page_cell(sessions, base, path_of),
                             "ceiling": await bare_cell(pool, CEILINGS[name][0], args[name])}
        t0 = time.perf_counter()
        async with sessions[0].get(base + "/domains.csv") as resp:
            size = len(await resp.read())
        results["csv export"] = {"seconds": time.perf_counter() - t0, "mib": size / 2**20,
                                 "server_peak_rss_mib": peak_rss_mib(console_pid)}
    finally:
        for http in sessions:
            await http.close()
        await pool.close()
    return results


def print_table(results: dict[str, Any], domains: int) -> None:
    print(f"\nRegistrar console at {domains:,} domains ({CLIENTS} signed-in clients, {SECONDS:g} s per cell; "
          "ceiling: the page's bare SQL through asyncpg)")
    print(f"{'page':16} {'/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'ceiling/s':>10} {'c p95':>7} {'target':>10}")
    targets = {"dashboard": 100, "domain list": 100, "prefix search": 50}
    for name, target in targets.items():
        ours, ceil = results[name]["ours"], results[name]["ceiling"]
        verdict = "ok" if ours["p95_ms"] <= target else "MISSED"
        print(f"{name:16} {ours['per_second']:7.0f} {ours['p50_ms']:7.1f} {ours['p95_ms']:7.1f} "
              f"{ceil['per_second']:10.0f} {ceil['p95_ms']:7.1f} {verdict:>6} <= {target}")
    csv = results["csv export"]
    print(f"CSV export of the registrar's domains: {csv['seconds']:.1f} s, {csv['mib']:.1f} MiB, "
          f"console peak RSS {csv['server_peak_rss_mib']:.0f} MiB")


async def main() -> int:
    from protocols.cli.certs import init_dev_certs
    from registry_core.db.embedded import embedded_dsn, start_embedded

    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    admin = embedded_dsn(server, "postgres")
    certs = init_dev_certs(OUT / "certs-scale", [bench_scale.REGISTRAR])
    state = await bench_scale.load_or_reuse(admin, certs)
    from registry_core import bootstrap

    await bootstrap.migrate_database(state["dsn"])  # a kept database may predate the newest migrations
    proc, port = start_console(state["dsn"], state["key"])
    try:
        results = await measure(state["dsn"], f"http://127.0.0.1:{port}", state["prefixes"], proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        if not bench_scale.KEEP:
            await bench_scale.drop_database(admin)
            bench_scale.KEPT.unlink(missing_ok=True)
    print_table(results, state["load"]["domains"])
    (OUT / "console.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    import uvloop

    if sys.argv[1:2] == ["serve"]:
        uvloop.run(serve(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(uvloop.run(main()))
