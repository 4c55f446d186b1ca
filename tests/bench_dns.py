"""DNS benchmark (part of `make bench`), two parts, each figure beside a ceiling or target
measured in the same run:

- Full zone render at BENCH_SCALE_DOMAINS domains (default 1,000,000, loaded by
  `load-test-data` as tests.bench_scale does; the database bench_scale leaves with
  BENCH_SCALE_KEEP=1 is reused when it holds that many domains, else it is loaded here):
  the zone file writer's render (what `registry dns publish TLD --zonefile` writes before
  kzonecheck and the reload) and the CZDS export (`registry dns export TLD --czds FILE`),
  both streaming from the cursor into a file, beside the bare ceiling: PostgreSQL's own
  `COPY (the same rows) TO STDOUT` into a file through asyncpg, in the same snapshot
  mode. Each is run BENCH_DNS_ROUNDS times (default 2), the best kept; ratio = ours over
  the ceiling. Target: render <= 10 s.
- EPP commit to answer at every secondary: tests.bench_dns_serve (its docstring says how).

Results print as a table and go to var/bench/dns.json. BENCH_DNS_PARTS=render,serve picks
the parts (default both)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from tests import bench_scale

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
ROUNDS = int(os.environ.get("BENCH_DNS_ROUNDS", "2"))
PARTS = tuple(os.environ.get("BENCH_DNS_PARTS", "render,serve").split(","))
RENDER_TARGET = 10.0  # seconds for the full render at 1,000,000 domains (issue 10)
NAMESERVERS = ("ns1.example.net.", "ns2.example.net.")  # the apex NS set of [dns] nameservers' default


# --- the database -------------------------------------------------------------------------------
async def loaded_domains(admin_dsn: str, dsn: str) -> int:
    """How many live domains the scale database holds (0: it does not exist)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", bench_scale.DATABASE)
    finally:
        await conn.close()
    if not exists:
        return 0
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM domain WHERE tld = $1 AND deleted_at IS NULL",
                                       bench_scale.TLD))
    finally:
        await conn.close()


async def scale_database(admin_dsn: str, key: str) -> tuple[str, dict[str, Any]]:
    """bench_scale's database with its domains: the one it left, or a fresh load."""
    head, _, tail = admin_dsn.partition("?")
    dsn = f"{head.rsplit('/', 1)[0]}/{bench_scale.DATABASE}?{tail}"
    if await loaded_domains(admin_dsn, dsn) == bench_scale.DOMAINS:
        print(f"rendering the {bench_scale.DOMAINS:,} domains tests.bench_scale loaded", flush=True)
        return dsn, {"domains": bench_scale.DOMAINS, "shared": True}
    print(f"loading {bench_scale.DOMAINS:,} domains (BENCH_SCALE_DOMAINS) with registry load-test-data ...",
          flush=True)
    dsn = await bench_scale.prepare_database(admin_dsn)
    return dsn, {**await bench_scale.load_domains(dsn, key), "shared": False}


# --- the render ---------------------------------------------------------------------------------
def file_figures(path: Path, seconds: float) -> dict[str, float]:
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return {"seconds": seconds, "bytes": path.stat().st_size, "lines": lines}


async def timed(run: Any, path: Path) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    await run(path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {**file_figures(path, seconds), "cpu_seconds": cpu, "load_average": os.getloadavg()[0]}


async def copy_ceiling(pool: asyncpg.Pool, path: Path) -> None:
    """The rows the render reads (the zone's hosts, then its domains), as PostgreSQL writes
    them itself (COPY, text), in one snapshot as the render reads them."""
    from registry_core.db.repo.dns_zone import ZONE_DOMAINS, ZONE_HOSTS
    from registry_core.model.zone import NOT_DELEGATED_STATUSES

    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        with path.open("wb") as out:
            await conn.copy_from_query(ZONE_HOSTS, bench_scale.TLD, list(NOT_DELEGATED_STATUSES), output=out)
            await conn.copy_from_query(ZONE_DOMAINS, bench_scale.TLD, output=out)


async def measure_render(dsn: str, key: str) -> dict[str, Any]:
    from protocols.cli.dns import export_czds
    from protocols.dns.zonefile import ZoneFileWriter
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database

    directory = OUT / "dns-render"
    directory.mkdir(parents=True, exist_ok=True)
    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))

    async def no_serial(tld: str) -> int | None:
        return None

    async def no_reload(tld: str) -> None:
        return None
    writer = ZoneFileWriter(core, lambda tld: directory / f"{tld}.zone", no_reload, no_serial,
                            apex_nameservers=NAMESERVERS)

    async def render(path: Path) -> None:
        await writer.render(bench_scale.TLD, path, 2026120301)

    async def czds(path: Path) -> None:
        with path.open("w", encoding="ascii", buffering=1 << 20) as out:
            await export_czds(core, bench_scale.TLD, out, NAMESERVERS)

    async def ceiling(path: Path) -> None:
        await copy_ceiling(pool, path)
    cells: dict[str, list[dict[str, float]]] = {"copy_ceiling": [], "zonefile_render": [], "czds_export": []}
    try:
        await ceiling(directory / "warm.copy")  # reads the tables into the cache once
        for _ in range(ROUNDS):
            for name, run, file in (("copy_ceiling", ceiling, "zone.copy"), ("zonefile_render", render, "test.zone"),
                                    ("czds_export", czds, "test.czds")):
                cells[name].append(await timed(run, directory / file))
                print(f"  {name:<16} {cells[name][-1]['seconds']:6.2f} s", flush=True)
    finally:
        await pool.close()
        for path in directory.iterdir():
            path.unlink()
    return {name: min(runs, key=lambda r: r["seconds"]) for name, runs in cells.items()}


def print_render(report: dict[str, Any]) -> None:
    results, ceil = report["render"], report["render"]["copy_ceiling"]
    print(f"\nFull zone render, {report['load']['domains']:,} domains ({os.cpu_count()} CPUs; best of {ROUNDS}); "
          "ceiling: COPY (the same rows) TO STDOUT into a file; ratio = ours / ceiling; CPU s: this process's "
          "(PostgreSQL's not counted); load: the machine's 1-minute load average after the run")
    print(f"{'what':<22} {'seconds':>8} {'CPU s':>6} {'load':>5} {'lines':>10} {'MiB':>6} {'ratio':>6}  target")
    for name, label in (("copy_ceiling", "COPY ceiling (rows)"), ("zonefile_render", "zone file render"),
                        ("czds_export", "CZDS export")):
        row = results[name]
        target = "" if name == "copy_ceiling" else (
            f"{'ok' if row['seconds'] <= RENDER_TARGET else 'MISSED'} <= {RENDER_TARGET:g} s")
        print(f"{label:<22} {row['seconds']:8.2f} {row['cpu_seconds']:6.2f} {row['load_average']:5.1f} "
              f"{row['lines']:10,} {row['bytes'] / 2**20:6.1f} {row['seconds'] / ceil['seconds']:6.2f}  {target}")


# --- the run ------------------------------------------------------------------------------------
async def render_part(report: dict[str, Any]) -> None:
    from registry_core.crypto import AuthInfoCipher
    from registry_core.db.embedded import embedded_dsn, start_embedded

    server = start_embedded(ROOT / "var" / "bench-pgdata")
    admin = embedded_dsn(server, "postgres")
    key = AuthInfoCipher.new_key_text()
    try:
        dsn, report["load"] = await scale_database(admin, key)
        report["render"] = await measure_render(dsn, key)
    finally:
        if not bench_scale.KEEP:  # `make bench` kept it for us; done with it now
            await bench_scale.drop_database(admin)
            bench_scale.KEPT.unlink(missing_ok=True)
    print_render(report)


async def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"cpus": os.cpu_count()}
    if "render" in PARTS:
        await render_part(report)
    if "serve" in PARTS:
        from tests import bench_dns_serve

        report["serve"] = await bench_dns_serve.run()
        bench_dns_serve.print_table(report["serve"])
    (OUT / "dns.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
