"""Outbox throughput and latency (`python -m tests.bench_notify`; part of `make bench`).

On the embedded PostgreSQL with a webhook receiver on loopback (tests/notify/receiver.py)
and the loopback webhook channel (tests/notify/loopback_channel.py, the stand-in until the
protocols/webhooks sender is merged; swap it in through BENCH_NOTIFY_CHANNEL=module:factory):

- ceiling: the channel sending N deliveries straight to the receiver, 64 at a time, no outbox;
- outbox: N queued deliveries drained by 1 and by 2 `registry notify run` processes
  (messages/s from the first arrival to the last), as a ratio to the ceiling;
- latency: p50/p95 from commit to arrival of single events committed one by one, idle and
  while domain creates are driven at up to 200/s (service calls in this process, 8 callers:
  each commits its own domain.created event and delivery; the rate reached is reported).

Figures go to var/bench/notify.json. Not a test."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from registry_core.clock import SystemClock
from registry_core.context import Core, CoreSettings
from registry_core.crypto import AuthInfoCipher
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database, Tx
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.domain import DomainCreate
from registry_core.services import domains, notifications, notify_prefs, registrars, tlds
from tests.bench_support import fresh_database
from tests.notify.loopback_channel import LoopbackWebhookChannel
from tests.notify.receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
COUNT = int(os.environ.get("BENCH_NOTIFY_COUNT", "5000"))
PROBES = 200
CHANNEL = os.environ.get("BENCH_NOTIFY_CHANNEL", "tests.notify.loopback_channel:build_channel")


async def ceiling(receiver: Receiver, url: str, secret: str) -> float:
    channel = LoopbackWebhookChannel()
    await channel.start()
    gate = asyncio.Semaphore(64)
    target = note.WebhookTarget("1", url, (secret,))

    async def one(i: int) -> None:
        async with gate:
            await channel.deliver(note.Delivery(f"msg_ceiling_{i}", "domain.created", datetime.now(UTC),
                                                "registrar:alpha", {"domain": f"c{i}.example"}, 1), target)
    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(COUNT)))
    elapsed = time.perf_counter() - started
    await channel.stop(1.0)
    return COUNT / elapsed


async def queue(core: Core, count: int, tag: str) -> None:
    for start in range(0, count, 1000):
        events = [note.Event("domain.dns.published", "registrar:alpha", {"domain": f"{tag}{i}.example"},
                             key=f"bench/{tag}/{i}") for i in range(start, min(count, start + 1000))]

        async def run(tx: Tx, events: list[note.Event] = events) -> None:
            await notifications.emit_many(tx, "bench", events)
        await core.db.transaction(run)


def dispatchers(config: Path, count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "notify", "run"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(count)]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)


async def until(receiver: Receiver, count: int) -> None:
    while len(receiver.arrivals) < count:
        receiver.got.clear()
        if len(receiver.arrivals) < count:
            await receiver.got.wait()


async def throughput(core: Core, receiver: Receiver, config: Path, workers: int) -> float:
    receiver.arrivals.clear()
    await queue(core, COUNT, f"w{workers}-")
    procs = dispatchers(config, workers)
    try:
        await until(receiver, COUNT)
    finally:
        stop(procs)
    times = [a.at for a in receiver.arrivals]
    return (len(times) - 1) / (max(times) - min(times))


async def latencies(core: Core, receiver: Receiver, tag: str) -> list[float]:
    """Commit one event every 10 ms; seconds from each commit to its arrival."""
    receiver.arrivals.clear()
    committed: dict[str, float] = {}
    for i in range(PROBES):
        await queue_one(core, f"{tag}{i}")
        committed[f"{tag}{i}.example"] = time.monotonic()
        await asyncio.sleep(0.01)
    await until(receiver, PROBES)
    arrived = {a.body["data"]["domain"]: a.at for a in receiver.arrivals if "domain" in a.body.get("data", {})}
    return [arrived[name] - at for name, at in committed.items() if name in arrived]


async def queue_one(core: Core, name: str) -> None:
    async def run(tx: Tx) -> None:
        await notifications.emit(tx, "probe", note.Event("domain.dns.published", "registrar:alpha",
                                                         {"domain": f"{name}.example"}, key=f"probe/{name}"))
    await core.db.transaction(run)


async def creates_at(core: Core, rate: float, stop_flag: asyncio.Event, loops: int = 8) -> float:
    """Domain creates at `rate` per second (spread over `loops` concurrent callers) until
    `stop_flag`; returns the rate reached."""
    done, started = 0, time.perf_counter()

    async def caller(lane: int) -> None:
        nonlocal done
        sent = 0
        while not stop_flag.is_set():
            await asyncio.sleep(max(0.0, started + (sent * loops + lane) / rate - time.perf_counter()))
            name = f"load{lane}-{sent}.example"
            await domains.create_domain(core, Actor("alpha", f"bench-{name}"),
                                        DomainCreate(name, 1, None, (), (), "Bench-Auth1"))
            sent += 1
            done += 1
    await asyncio.gather(*(caller(lane) for lane in range(loops)))
    return done / (time.perf_counter() - started)


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


async def main() -> int:
    from registry_core.db.embedded import embedded_dsn, start_embedded

    OUT.mkdir(parents=True, exist_ok=True)
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await fresh_database(embedded_dsn(server, "postgres"), "registry_bench_notify")
    key = AuthInfoCipher.new_key_text()
    pool = await open_pool(dsn, min_size=2, max_size=20)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "BENCH"))
    receiver = Receiver()
    await receiver.start()
    try:
        await tlds.add_tld(core, "example", prices={"create": Decimal(1)})
        await registrars.add_registrar(core, registrars.NewRegistrar("alpha", "Alpha", "Alpha-Pass1"))
        await registrars.credit_registrar(core, "alpha", Decimal(10**7), "bench", "bench-credit")
        _endpoint, secret = await notify_prefs.add_webhook(core, "registrar:alpha", receiver.url(), allow_http=True)
        receiver.secrets.append(secret)
        report = await measure(core, receiver, secret, write_config(dsn, key))
    finally:
        await receiver.stop()
        await core.close()
    print(json.dumps(report, indent=2))
    (OUT / "notify.json").write_text(json.dumps(report, indent=2))
    return 0


def write_config(dsn: str, key: str) -> Path:
    path = OUT / "notify.toml"
    path.write_text(f'[database]\nurl = "{dsn}"\npool_min = 1\npool_max = 4\n[registry]\nauth_info_key = "{key}"\n'
                    f'[notify]\nchannels = ["webhook={CHANNEL}"]\nbatch = 200\nper_target = 64\n')
    return path


async def measure(core: Core, receiver: Receiver, secret: str, config: Path) -> dict[str, object]:
    top = await ceiling(receiver, receiver.url(), secret)
    one = await throughput(core, receiver, config, 1)
    two = await throughput(core, receiver, config, 2)
    procs = dispatchers(config, 1)
    try:
        await asyncio.sleep(3)  # the dispatcher is up and LISTENing
        idle = await latencies(core, receiver, "idle")
        flag = asyncio.Event()
        load = asyncio.create_task(creates_at(core, 200.0, flag))
        busy = await latencies(core, receiver, "busy")
        flag.set()
        reached = await load
    finally:
        stop(procs)
    return {"messages": COUNT, "cpus": os.cpu_count(), "ceiling_per_s": round(top),
            "outbox_1_worker_per_s": round(one), "outbox_2_workers_per_s": round(two),
            "ratio_1_worker": round(one / top, 3), "ratio_2_workers": round(two / top, 3),
            "idle_p50_ms": round(statistics.median(idle) * 1000, 1), "idle_p95_ms": round(p(idle, 0.95), 1),
            "under_creates_p50_ms": round(statistics.median(busy) * 1000, 1),
            "under_creates_p95_ms": round(p(busy, 0.95), 1), "creates_per_s_reached": round(reached)}


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
