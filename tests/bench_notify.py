"""Outbox throughput and latency (`python -m tests.bench_notify`; part of `make bench`).

On the embedded PostgreSQL, with the real peers on loopback (tests/notify/peers.py: an SMTP
relay with STARTTLS and AUTH, an HTTPS webhook receiver verifying with standardwebhooks)
and the real channels in `registry notify run` processes (EmailChannel with DKIM,
WebhookChannel through its SSRF guard, 127.0.0.0/8 allowlisted):

- ceilings, same run: aiosmtplib handing a ready-made (signed) message straight to the sink
  over the same STARTTLS+AUTH and as many connections as the channel keeps; aiohttp POSTing
  a ready-signed body straight to the receiver, as many connections as the channel keeps;
- outbox: N events queued (each one e-mail and one webhook delivery) drained by 1 and by 2
  `registry notify run` processes; deliveries/s from the first arrival to the last, e-mails
  as a ratio to the SMTP ceiling, webhooks to the HTTP one;
- latency: p50/p95 from commit to arrival of single events committed every 50 ms, idle and
  while domain creates are sent at 200/s over EPP (TLS, 8 sessions, to a `registry serve`
  process; each create also queues its domain.created webhook); the rate reached is reported.

BENCH_NOTIFY_COUNT sets N (default 2000); BENCH_NOTIFY_DKIM=0 sends the mails unsigned (the
ceiling's message too), to see what DKIM signing costs. Figures go to var/bench/notify.json. Not a test."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib
from standardwebhooks import Webhook

from protocols.cli.certs import DevCerts
from protocols.epp.client import EppClient
from protocols.mail.channel import EmailChannel
from registry_core.clock import SystemClock
from registry_core.context import Core, CoreSettings
from registry_core.db.pool import open_pool
from registry_core.db.tx import Database, Tx
from registry_core.model import notification as note
from registry_core.services import notifications, notify_prefs, registrars
from tests import bench
from tests.bench_notify_ceiling import rate, send_through
from tests.bench_support import free_port
from tests.mail.sink import PASSWORD, USER
from tests.notify.peers import Peers, started_peers

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
COUNT = int(os.environ.get("BENCH_NOTIFY_COUNT", "2000"))
DKIM = os.environ.get("BENCH_NOTIFY_DKIM", "1") != "0"
PROBES, PROBE_GAP = 200, 0.05  # one probe event every 50 ms: 20 e-mails and 20 webhooks per second
CREATE_RATE, SESSIONS = 200.0, 8
ADDRESS = "ops@demo-registrar.test"
PROBE = re.compile(rb"((?:idle|busy)\d+)\.example")


# --- ceilings ---------------------------------------------------------------------------------
async def smtp_ceiling(peers: Peers, raw: bytes, count: int) -> float:
    """aiosmtplib straight to the sink: STARTTLS, AUTH, the channel's number of connections."""
    config = peers.mail_config()
    context = ssl.create_default_context(cafile=config.ca_file)
    clients = [aiosmtplib.SMTP(hostname=config.relay_host, port=config.relay_port, start_tls=True,
                               tls_context=context, username=USER, password=PASSWORD)
               for _ in range(config.max_connections)]
    return await send_through(clients, "nic@nic.example", "ceiling{}@demo-registrar.test", raw, count)


async def http_ceiling(peers: Peers, secret: str, count: int) -> float:
    """aiohttp straight to the receiver: one body signed once, the channel's connection count."""
    body = b'{"data":{"domain":"ceiling.example"},"timestamp":"2026-12-03T00:00:00Z","type":"domain.created"}'
    headers = {"webhook-id": "msg_ceiling", "webhook-timestamp": str(int(time.time())),
               "webhook-signature": Webhook(secret).sign("msg_ceiling", datetime.now(UTC), body.decode()),
               "Content-Type": "application/json"}
    connections = peers.webhooks_config().max_connections_per_host
    context = ssl.create_default_context(cafile=str(peers.certs.ca_cert))
    url = peers.receiver.url()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections, ssl=context)) as session:
        async def one(i: int) -> None:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
        figure = await rate(count, connections, one)
    assert peers.receiver.refused == 0
    peers.receiver.arrivals.clear()
    return figure


async def ready_mail(peers: Peers) -> bytes:
    channel = EmailChannel(peers.mail_config())
    await channel.start()
    try:
        delivery = note.Delivery("msg_ceiling", "domain.dns.published", datetime.now(UTC), "registrar:demo",
                                 {"domain": "ceiling.example"})
        raw, _, _ = await channel.message_bytes(delivery, ADDRESS)
    finally:
        await channel.stop(1.0)
    return raw


# --- the outbox -------------------------------------------------------------------------------
async def queue(core: Core, count: int, tag: str) -> None:
    for start in range(0, count, 1000):
        events = [note.Event("domain.dns.published", "registrar:demo", {"domain": f"{tag}{i}.example"},
                             key=f"bench/{tag}/{i}") for i in range(start, min(count, start + 1000))]

        async def run(tx: Tx, events: list[note.Event] = events) -> None:
            await notifications.emit_many(tx, "bench", events)
        await core.db.transaction(run)


def dispatchers(config: Path, count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "notify", "run"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(count)]


def stop(procs: list[subprocess.Popen[Any]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)


def clear(peers: Peers) -> None:
    peers.sink.received.clear()
    peers.sink.times.clear()
    peers.receiver.arrivals.clear()


async def until(check: Callable[[], bool], bound: float = 600.0) -> None:
    deadline = time.monotonic() + bound
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("deliveries did not arrive in time")
        await asyncio.sleep(0.02)


def per_second(times: list[float]) -> float:
    return (len(times) - 1) / (max(times) - min(times))


async def throughput(core: Core, peers: Peers, config: Path, workers: int) -> dict[str, float]:
    clear(peers)
    await queue(core, COUNT, f"w{workers}-")
    procs = dispatchers(config, workers)
    try:
        await until(lambda: len(peers.sink.times) >= COUNT and len(peers.receiver.arrivals) >= COUNT)
    finally:
        stop(procs)
    mails, hooks = list(peers.sink.times), [a.at for a in peers.receiver.arrivals]
    assert peers.receiver.refused == 0
    return {"all": per_second(mails + hooks), "email": per_second(mails), "webhook": per_second(hooks)}


async def queue_one(core: Core, name: str) -> None:
    async def run(tx: Tx) -> None:
        await notifications.emit(tx, "probe", note.Event("domain.dns.published", "registrar:demo",
                                                         {"domain": f"{name}.example"}, key=f"probe/{name}"))
    await core.db.transaction(run)


async def latencies(core: Core, peers: Peers, tag: str) -> dict[str, list[float]]:
    """Commit one event every PROBE_GAP; seconds from each commit to its e-mail's and its
    webhook's arrival."""
    clear(peers)
    committed: dict[str, float] = {}
    for i in range(PROBES):
        await queue_one(core, f"{tag}{i}")
        committed[f"{tag}{i}"] = time.monotonic()
        await asyncio.sleep(PROBE_GAP)
    await until(lambda: len(peers.sink.received) >= PROBES and len(_probe_hooks(peers)) >= PROBES)
    mails = {}
    for got, at in zip(peers.sink.received, peers.sink.times, strict=True):
        found = PROBE.search(got.content)
        if found:
            mails[found.group(1).decode()] = at
    hooks = _probe_hooks(peers)
    return {"email": [mails[n] - at for n, at in committed.items()],
            "webhook": [hooks[n] - at for n, at in committed.items()]}


def _probe_hooks(peers: Peers) -> dict[str, float]:
    return {a.body["data"]["domain"].removesuffix(".example"): a.at for a in peers.receiver.arrivals
            if a.body.get("type") == "domain.dns.published"}


# --- EPP load ---------------------------------------------------------------------------------
async def creates_at(certs: DevCerts, port: int, stop_flag: asyncio.Event) -> dict[str, float]:
    """<domain:create> over EPP at CREATE_RATE per second, spread over SESSIONS sessions,
    until `stop_flag`; the rate reached and the errors."""
    clients = await bench.sessions(certs, port, SESSIONS, login=True)
    done = errors = 0
    started = time.perf_counter()

    async def session(lane: int, client: EppClient) -> None:
        nonlocal done, errors
        sent = 0
        while not stop_flag.is_set():
            await asyncio.sleep(max(0.0, started + (sent * SESSIONS + lane) / CREATE_RATE - time.perf_counter()))
            answer = await client.send_raw(bench.create_xml(f"load{lane}-{sent}.example"))
            sent += 1
            done += 1
            errors += b'code="1000"' not in answer
    try:
        await asyncio.gather(*(session(lane, c) for lane, c in enumerate(clients)))
    finally:
        for client in clients:
            await client.close()
    return {"creates_per_s": done / (time.perf_counter() - started), "errors": errors}


def serve_config(dsn: str, key: str, certs: DevCerts, port: int) -> Path:
    """tests/bench.py's serve config, without a dispatcher (the `notify run` process delivers)."""
    text = bench.write_config(dsn, key, certs, port).read_text()
    path = OUT / "notify-serve.toml"
    path.write_text(text + "[notify]\nenabled = false\n")
    return path


async def under_load(core: Core, peers: Peers, certs: DevCerts, serve: Path, port: int) -> dict[str, Any]:
    server = bench.start_process([sys.executable, "-m", "protocols.cli", "--config", str(serve), "serve"],
                                 "EPP listening")
    try:
        flag = asyncio.Event()
        load = asyncio.create_task(creates_at(certs, port, flag))
        await asyncio.sleep(2.0)  # the create rate settles
        busy = await latencies(core, peers, "busy")
        flag.set()
        reached = await load
    finally:
        server.terminate()
        server.wait(30)
    return {"latency": busy, **reached}


# --- the run ----------------------------------------------------------------------------------
def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def latency_figures(samples: dict[str, list[float]]) -> dict[str, float]:
    both = samples["email"] + samples["webhook"]
    figures = {f"{kind}_p95_ms": round(p(values, 0.95), 1) for kind, values in samples.items()}
    return {"p50_ms": round(statistics.median(both) * 1000, 1), "p95_ms": round(p(both, 0.95), 1), **figures}


async def measure(core: Core, peers: Peers, secret: str, config: Path, certs: DevCerts,
                  serve: tuple[Path, int]) -> dict[str, Any]:
    smtp = await smtp_ceiling(peers, await ready_mail(peers), COUNT)
    http = await http_ceiling(peers, secret, COUNT)
    one = await throughput(core, peers, config, 1)
    two = await throughput(core, peers, config, 2)
    procs = dispatchers(config, 1)
    try:
        await asyncio.sleep(3)  # the dispatcher is up and LISTENing
        idle = await latencies(core, peers, "idle")
        busy = await under_load(core, peers, certs, *serve)
    finally:
        stop(procs)
    return {"events": COUNT, "dkim": DKIM, "cpus": os.cpu_count(), "smtp_ceiling_per_s": round(smtp),
            "http_ceiling_per_s": round(http),
            "outbox_1_worker": {k: round(v) for k, v in one.items()},
            "outbox_2_workers": {k: round(v) for k, v in two.items()},
            "idle": latency_figures(idle), "under_creates": latency_figures(busy["latency"]),
            "creates_per_s_reached": round(busy["creates_per_s"]), "create_errors": busy["errors"]}


def print_table(r: dict[str, Any]) -> None:
    smtp, http = r["smtp_ceiling_per_s"], r["http_ceiling_per_s"]
    print(f"\nNotification outbox ({r['events']} events = {r['events']} e-mails + {r['events']} webhooks, "
          f"DKIM {'on' if r['dkim'] else 'off'}, {r['cpus']} cores; ratios to ceilings from this run)")
    print(f"{'':34} {'per s':>8} {'ratio':>6}")
    print(f"{'ceiling: aiosmtplib -> SMTP sink':34} {smtp:8} {1:6.2f}")
    print(f"{'ceiling: aiohttp -> HTTPS receiver':34} {http:8} {1:6.2f}")
    for label, key in (("1 dispatcher", "outbox_1_worker"), ("2 dispatchers", "outbox_2_workers")):
        row = r[key]
        print(f"{'outbox, ' + label + ': e-mails':34} {row['email']:8} {row['email'] / smtp:6.2f}")
        print(f"{'outbox, ' + label + ': webhooks':34} {row['webhook']:8} {row['webhook'] / http:6.2f}")
        print(f"{'outbox, ' + label + ': all deliveries':34} {row['all']:8}")
    print(f"\n{'commit -> delivery (ms)':34} {'p50':>8} {'p95':>7} {'email p95':>10} {'webhook p95':>12}")
    for label, key in (("idle", "idle"), (f"under {r['creates_per_s_reached']} EPP creates/s", "under_creates")):
        row = r[key]
        print(f"{label:34} {row['p50_ms']:8} {row['p95_ms']:7} {row['email_p95_ms']:10} {row['webhook_p95_ms']:12}")
    print(f"(target p95 <= 1000 ms idle; creates asked {CREATE_RATE:.0f}/s over {SESSIONS} EPP sessions, "
          f"reached {r['creates_per_s_reached']}/s, {r['create_errors']} errors)")


async def prepare(dsn: str, key: str, certs: DevCerts, peers: Peers) -> tuple[Core, str]:
    await bench.seed(dsn, key, certs)
    pool = await open_pool(dsn, min_size=2, max_size=10)
    core = Core(Database(pool, SystemClock()), CoreSettings(key, "BENCH"))
    await registrars.update_registrar(core, "demo", email=ADDRESS)
    await notify_prefs.set_pref(core, note.NotifyPref("registrar:demo", "domain.dns.published", (ADDRESS,), None))
    _endpoint, secret = await notify_prefs.add_webhook(core, "registrar:demo", peers.receiver.url())
    peers.receiver.secrets.append(secret)
    return core, secret


async def main() -> int:
    _server, dsn, key, certs = await bench.setup("registry_bench_notify")
    work = OUT / "notify-peers"
    work.mkdir(exist_ok=True)
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's deprecation notice on each AUTH
    async with started_peers(certs, work) as peers:
        peers.sign = DKIM
        core, secret = await prepare(dsn, key, certs, peers)
        config = OUT / "notify.toml"
        config.write_text(peers.toml() + f'[database]\nurl = "{dsn}"\npool_min = 1\npool_max = 4\n'
                          f'[registry]\nauth_info_key = "{key}"\n[notify]\nbatch = 200\nper_target = 64\n')
        port = free_port()
        try:
            report = await measure(core, peers, secret, config, certs, (serve_config(dsn, key, certs, port), port))
        finally:
            await core.close()
    print_table(report)
    (OUT / "notify.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
