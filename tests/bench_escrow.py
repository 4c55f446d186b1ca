"""Escrow benchmark (part of `make bench`): load BENCH_ESCROW_DOMAINS domains (default
1,000,000) with `load-test-data` into a database of its own on the embedded PostgreSQL,
then time one FULL deposit of the TLD the way `registry rde deposit` makes it (streamed
XML, the check, tar into gpg, the detached signature, the signature verified), in a child
process whose peak RSS is reported. The ceiling, in the same run: `COPY` of the same
domain rows (with their name servers) piped through gpg alone, with the same flags. Then
`rde check` on the deposit's XML with each engine (xmlschema lazy; lxml streaming) beside
lxml's XMLSchema validation of the whole tree of the same file (which builds it). Real gpg
with keys made for the run. Results print and go to var/bench/escrow.json. Internal mode:
`deposit DSN KEY GNUPGHOME OUT` (the child).

`ceiling` is COPY of domain rows only (no contacts, hosts, DS or XML): a floor for the
database-to-gpg path, not an equal workload."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from tests.bench_support import fresh_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
DATABASE = "registry_bench_escrow"
DOMAINS = int(os.environ.get("BENCH_ESCROW_DOMAINS", "1000000"))
# xmlschema (pure Python) and lxml's whole-tree validation (about 4 GB of tree at 1M domains)
# run on deposits up to this many domains; at 1M, the lxml streaming check alone.
SLOW_CHECKS_UP_TO = int(os.environ.get("BENCH_ESCROW_SLOW_CHECKS_UP_TO", "200000"))
TLD = "test"
AGENT, SIGNER = "agent@escrow.bench", "rde@registry.bench"
CEILING_ROWS = f"""SELECT d.name, d.roid, d.statuses, d.sponsor_id, d.created_at, d.expires_at,
                            (SELECT array_agg(h.name) FROM domain_host dh JOIN host h ON h.id = dh.host_id
                             WHERE dh.domain_id = d.id) FROM domain d
                      WHERE d.tld = '{TLD}' AND d.deleted_at IS NULL"""


def gpg_keys(home: Path) -> None:
    for uid in (f"Agent <{AGENT}>", f"Registry <{SIGNER}>"):
        subprocess.run(["gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--quick-gen-key", uid,
                        "future-default", "default", "never"], check=True, capture_output=True)


async def load(dsn: str, key: str) -> float:
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.services.bulk import LoadSpec, load_test_data

    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    report = await load_test_data(core, LoadSpec(domains=DOMAINS, tld=TLD))
    async with pool.acquire() as conn:  # escrow needs every registrar's address
        await conn.execute("UPDATE registrar SET city = 'Springfield', cc = 'US', email = id || '@bench.test'")
    await pool.close()
    return report.seconds


async def ceiling(dsn: str, home: Path, out: Path) -> float:
    """The same rows out of PostgreSQL by COPY, straight through gpg (same flags)."""
    from protocols.escrow.ryde import PINNED

    started = time.perf_counter()
    gpg = await asyncio.create_subprocess_exec(
        "gpg", "--homedir", str(home), "--batch", "--yes", "--trust-model", "always", *PINNED, "--encrypt",
        "--recipient", AGENT, "--output", str(out), stdin=asyncio.subprocess.PIPE)
    assert gpg.stdin is not None
    stdin = gpg.stdin
    conn = await asyncpg.connect(dsn)

    async def sink(chunk: bytes) -> None:
        stdin.write(chunk)
        await stdin.drain()
    try:
        await conn.copy_from_query(CEILING_ROWS, output=sink)
    finally:
        await conn.close()
    stdin.close()
    await gpg.wait()
    return time.perf_counter() - started


def run_deposit(dsn: str, key: str, home: Path, out: Path) -> dict[str, Any]:
    """Our deposit in a child process: its phases and its peak RSS."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.bench_escrow", "deposit", dsn, key, str(home), str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stdout is not None
    result: dict[str, Any] = json.loads(proc.stdout.read())
    proc.stdout.close()
    assert os.waitstatus_to_exitcode(status) == 0
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


async def deposit(dsn: str, key: str, home: str, out: str) -> None:
    """The child: one FULL deposit as `registry rde deposit` makes it, timed."""
    from datetime import UTC, datetime

    from protocols.escrow import deposits
    from protocols.escrow.ryde import GpgKeys
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database

    pool = await open_pool(dsn)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "LT"))
    settings = deposits.EscrowSettings(Path(out), GpgKeys(Path(home), AGENT, SIGNER), keep_plain=True)
    started = time.perf_counter()
    made = await deposits.make_deposit_at(core, settings, TLD, datetime.now(UTC), "full")
    seconds = time.perf_counter() - started
    await pool.close()
    sizes = {p.suffix: p.stat().st_size for p in made.files}
    print(json.dumps({"seconds": round(seconds, 1), "counts": made.counts, "bytes": sizes,
                      "xml": str(made.files[2])}))


def checks(xml: Path) -> dict[str, float]:
    from lxml import etree

    from protocols.escrow.check import check_xml, lxml_schema, schema

    schema()  # compiled once, as in the CLI, outside the figures
    lxml_schema()
    figures: dict[str, float] = {}
    for engine in ("lxml", "xmlschema") if DOMAINS <= SLOW_CHECKS_UP_TO else ("lxml",):
        started = time.perf_counter()
        report = check_xml(xml, engine=engine)
        figures[f"rde_check_{engine}_seconds"] = round(time.perf_counter() - started, 1)
        assert report.ok, report.problems[:5]
    if DOMAINS > SLOW_CHECKS_UP_TO:
        return figures
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    lxml_schema = etree.XMLSchema(etree.parse(str(ROOT / "schemas" / "rde" / "bundle.xsd")))
    assert lxml_schema.validate(etree.parse(str(xml)))
    lxml_seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**figures, "lxml_whole_tree_validate_seconds": round(lxml_seconds, 1),
            "lxml_peak_rss_growth_mb": round((rss_after - rss_before) / 1024, 1)}


async def drop_database(admin: str) -> None:
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await conn.close()


def main() -> int:
    from registry_core.crypto import AuthInfoCipher
    from registry_core.db.embedded import embedded_dsn, start_embedded

    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    admin = embedded_dsn(server, "postgres")
    dsn = asyncio.run(fresh_database(admin, DATABASE))
    key = AuthInfoCipher.new_key_text()
    home = Path(tempfile.mkdtemp(prefix="rdebench"))
    work = OUT / "escrow"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        gpg_keys(home)
        print(f"loading {DOMAINS:,} domains (BENCH_ESCROW_DOMAINS) ...", flush=True)
        load_seconds = asyncio.run(load(dsn, key))
        ours = run_deposit(dsn, key, home, work)
        ceiling_seconds = asyncio.run(ceiling(dsn, home, work / "ceiling.gpg"))
        report = {"domains": DOMAINS, "load_seconds": round(load_seconds, 1), "deposit": ours,
                  "ceiling_copy_gpg_seconds": round(ceiling_seconds, 1),
                  "ratio": round(ours["seconds"] / ceiling_seconds, 2), **checks(Path(ours["xml"]))}
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
        asyncio.run(drop_database(admin))
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    (OUT / "escrow.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["deposit"]:
        asyncio.run(deposit(*sys.argv[2:6]))
    else:
        sys.exit(main())
