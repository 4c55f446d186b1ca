"""What the create-time risk checks cost (part of `make bench`): `domain:create` through the
core service, p50/p95 with the TLD's checks off and on (velocity, look-alikes against
10,000 protected names, entropy, a 10,000-name threat feed), sequential and at 8 at once,
alternating the two cells twice so drift on a shared machine hits both (the best p50 and
p95 of the two rounds are shown). The issue's bound:
the checks add at most 2 ms to the p95. Results print and go to var/bench/risk.json."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.bench_support import drive, fresh_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))


async def setup(dsn: str) -> Any:
    from registry_core.clock import SystemClock
    from registry_core.context import Core, CoreSettings
    from registry_core.crypto import AuthInfoCipher
    from registry_core.db.pool import open_pool
    from registry_core.db.tx import Database
    from registry_core.services import abuse, registrars, risk, tlds

    core = Core(Database(await open_pool(dsn), SystemClock()), CoreSettings(AuthInfoCipher.new_key_text()))
    for tld in ("off", "on"):
        await tlds.add_tld(core, tld, prices={"create": Decimal(1)})
    await registrars.add_registrar(core, registrars.NewRegistrar("bench", "Bench", "Bench-Pass1",
                                                                 credit_limit=Decimal(10**9)))
    # a window of one second: the velocity count reads about as many index entries as the
    # registrar creates per second (here ~100), without tripping (the limit is out of reach)
    await risk.set_policy(core, "on", velocity_limit=10**6, velocity_window=timedelta(seconds=1),
                          entropy_threshold=3.4, verdict="flag")
    await risk.protect_names(core, [f"brand{i}" for i in range(10_000)])
    await abuse.import_feed(core, "bench", "bench.txt", "\n".join(f"ns{i}.bad.test" for i in range(10_000)), "list")
    return core


async def cell(core: Any, tld: str, concurrency: int, tag: str) -> dict[str, float]:
    from registry_core.model.actor import Actor
    from registry_core.model.domain import DomainCreate
    from registry_core.services import domains

    async def one(worker: int, i: int) -> bool:
        await domains.create_domain(core, Actor("bench", f"B-{tag}-{worker}-{i}", None),
                                    DomainCreate(f"n{tag}{worker}x{i}.{tld}", 1, None, (), (), "Bench-Auth1"))
        return True
    return await drive(concurrency, one, SECONDS)


async def main() -> int:
    from registry_core.db.embedded import embedded_dsn, start_embedded

    server = start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await fresh_database(embedded_dsn(server, "postgres"), "registry_bench_risk")
    core = await setup(dsn)
    results: dict[str, Any] = {}
    for concurrency in (1, 8):
        runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
        for round_ in range(2):
            for tld in ("off", "on"):
                runs[tld].append(await cell(core, tld, concurrency, f"{tld}{concurrency}r{round_}"))
        p95 = {tld: min(r["p95_ms"] for r in rs) for tld, rs in runs.items()}
        results[str(concurrency)] = {"checks_off": runs["off"], "checks_on": runs["on"],
                                     "added_p95_ms": round(p95["on"] - p95["off"], 2)}
    await core.db.close()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "risk.json").write_text(json.dumps(results, indent=2))
    print(f"\ndomain:create with and without the risk checks ({SECONDS:g} s per cell, best p95 of two rounds)")
    print(f"{'at once':>7} {'off p50':>8} {'off p95':>8} {'on p50':>8} {'on p95':>8} {'added p95 ms':>13}")
    for level, row in results.items():
        best = {k: {m: min(r[m] for r in row[k]) for m in ("p50_ms", "p95_ms")} for k in ("checks_off", "checks_on")}
        print(f"{level:>7} {best['checks_off']['p50_ms']:8.2f} {best['checks_off']['p95_ms']:8.2f} "
              f"{best['checks_on']['p50_ms']:8.2f} {best['checks_on']['p95_ms']:8.2f} {row['added_p95_ms']:13.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
