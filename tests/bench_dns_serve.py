"""The second part of the DNS benchmark (tests.bench_dns runs it): from an EPP
domain:create with two name servers to the delegation being answered by every
secondary.

The suite runs as `registry serve` (BENCH_DNS_WORKERS workers, default 1) with [dns]
enabled: Knot as the hidden primary, NOTIFYing an NSD and a BIND secondary
(tests/dns/servers.py, here with refresh timers of an hour, so only NOTIFY makes them
transfer), on a fresh database of its own
(tests.bench's seed: the TLD example, 20,000 undelegated domains). A probe is a create
over EPP; its clock starts when the response arrives, and both secondaries are then
asked over UDP (dnspython) until each refers the name to its name servers. Two cells:

- idle: BENCH_DNS_PROBES (default 20) single creates, each after the previous one was
  answered everywhere and a short pause; target p95 <= 5 s;
- loaded: the same probes, one every PROBE_GAP seconds, while a background load of
  BENCH_DNS_RATE (default 200) creates/s, each with name servers, is offered for
  BENCH_DNS_LOAD_SECONDS (default 40) by BENCH_DNS_SESSIONS EPP sessions and then stops;
  target p95 <= 60 s. The achieved create rate is printed beside the offered one.

Knot, NSD, BIND and serve are stopped at the end whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rdatatype

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.dns.tsig import ensure_key
from protocols.epp.client import EppClient, EppError
from registry_core.crypto import AuthInfoCipher
from registry_core.db.embedded import embedded_dsn, start_embedded
from tests import bench
from tests.bench_support import free_port, fresh_database
from tests.dns.servers import BindSecondary, NsdSecondary
from tests.dns.servers import free_port as free_dns_port

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
WORK = OUT / "dns-serve"
PROBES = int(os.environ.get("BENCH_DNS_PROBES", "20"))
RATE = float(os.environ.get("BENCH_DNS_RATE", "200"))
LOAD_SECONDS = float(os.environ.get("BENCH_DNS_LOAD_SECONDS", "40"))
SESSIONS = int(os.environ.get("BENCH_DNS_SESSIONS", "32"))
WORKERS = int(os.environ.get("BENCH_DNS_WORKERS", "1"))  # registry serve --workers
PROBE_GAP = 2.0  # seconds between probes under load
IDLE_PAUSE = 0.5  # seconds between idle probes
GIVE_UP = 180.0  # seconds after which a probe counts as never answered
TARGETS = {"idle": 5.0, "loaded": 60.0}  # p95 seconds (issue 10)
NAMESERVERS = ("ns1.hoster.net", "ns2.hoster.net")
TRANSFER_KEY = "registry-transfer."
EPP = 'xmlns="urn:ietf:params:xml:ns:epp-1.0"'
XD = 'xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"'


def create_xml(name: str) -> bytes:
    ns = "".join(f"<domain:hostObj>{h}</domain:hostObj>" for h in NAMESERVERS)
    return (f'<?xml version="1.0" encoding="UTF-8"?><epp {EPP}><command><create><domain:create {XD}>'
            f'<domain:name>{name}</domain:name><domain:period unit="y">1</domain:period>'
            f'<domain:ns>{ns}</domain:ns><domain:authInfo><domain:pw>Bench-Auth1</domain:pw></domain:authInfo>'
            f'</domain:create></create><clTRID>DNSBENCH</clTRID></command></epp>').encode()


# --- the secondaries ----------------------------------------------------------------------------
async def delegated(port: int, name: str) -> bool:
    """Whether the server on 127.0.0.1:port refers `name` to name servers (UDP)."""
    query = dns.message.make_query(name, dns.rdatatype.NS)
    try:
        reply = await dns.asyncquery.udp(query, "127.0.0.1", port=port, timeout=1.0)
    except (dns.exception.Timeout, OSError):
        return False
    owner = dns.name.from_text(name)
    return any(r.name == owner and r.rdtype == dns.rdatatype.NS for r in reply.authority + reply.answer)


async def answered_at(port: int, name: str, started: float) -> float:
    """Seconds from `started` until the server refers `name` (inf after GIVE_UP); polled
    every 50 ms for the first seconds, then every 250 ms."""
    while (waited := time.perf_counter() - started) < GIVE_UP:
        if await delegated(port, name):
            return time.perf_counter() - started
        await asyncio.sleep(0.05 if waited < 5 else 0.25)
    return float("inf")


@dataclass
class Suite:
    """serve (with its Knot) and the two secondaries."""

    root: Path
    nsd: NsdSecondary
    bind: BindSecondary
    epp_port: int
    knot_port: int
    serve: Any = None

    async def stop(self) -> None:
        for secondary in (self.bind, self.nsd):
            await secondary.stop()
        if self.serve is not None:  # serve stops its Knot before it exits
            self.serve.terminate()
            try:
                await asyncio.to_thread(self.serve.wait, 30)
            except subprocess.TimeoutExpired:
                self.serve.kill()
                await asyncio.to_thread(self.serve.wait, 10)


def write_config(suite: Suite, dsn: str, key: str, certs: DevCerts) -> Path:
    """As tests.bench writes it, with [dns] on: Knot on its port, NOTIFYing both secondaries."""
    secondaries = ", ".join(f'"127.0.0.1@{s.port}"' for s in (suite.nsd, suite.bind))
    path = suite.root / "registry.toml"
    path.write_text(
        f'[database]\nurl = "{dsn}"\npool_max = {bench.POOL_MAX}\n[registry]\nauth_info_key = "{key}"\n'
        f'[epp]\nport = {suite.epp_port}\ncert = "{certs.server.cert}"\nkey = "{certs.server.key}"\n'
        f'ca = "{certs.ca_cert}"\nmax_sessions_per_registrar = {SESSIONS + 8}\n[whois]\nenabled = false\n'
        '[rdap]\nenabled = false\n[metrics]\nenabled = false\n'
        f'[dns]\nenabled = true\nport = {suite.knot_port}\nsecondaries = [{secondaries}]\n'
        f'transfer_key_file = "{suite.root / "transfer.tsig"}"\n[paths]\nvar = "{suite.root / "var"}"\n')
    return path


async def start_suite(dsn: str, key: str, certs: DevCerts) -> Suite:
    """serve first (Knot must answer before a secondary asks it), then NSD and BIND."""
    import shutil

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    knot_port = free_dns_port()
    transfer = ensure_key(WORK / "transfer.tsig", TRANSFER_KEY)
    nsd = NsdSecondary(WORK / "nsd", knot_port, transfer, ("example.",))
    bind = BindSecondary(WORK / "bind", knot_port, transfer, "catalog.invalid.")
    for secondary in (nsd, bind):
        secondary.refresh = 3600  # only NOTIFY makes them transfer within the bench
    suite = Suite(WORK, nsd, bind, free_port(), knot_port)
    config = write_config(suite, dsn, key, certs)
    try:
        suite.serve = await asyncio.to_thread(
            bench.start_process, [bench.sys.executable, "-m", "protocols.cli", "--config", str(config), "serve",
                                  "--workers", str(WORKERS)], "EPP listening", WORKERS)
        await nsd.start()
        await bind.start("example.")
    except BaseException:
        await suite.stop()
        raise
    return suite


# --- EPP ----------------------------------------------------------------------------------------
async def create(client: EppClient, name: str) -> bool:
    return b'code="1000"' in await client.send_raw(create_xml(name))


@dataclass
class Probe:
    name: str
    nsd: float = float("inf")
    bind: float = float("inf")

    @property
    def seconds(self) -> float:
        return max(self.nsd, self.bind)


async def probe(suite: Suite, client: EppClient, name: str) -> Probe:
    """Create `name`, then wait until both secondaries refer it."""
    assert await create(client, name), name
    started = time.perf_counter()
    nsd, bind = await asyncio.gather(answered_at(suite.nsd.port, name, started),
                                     answered_at(suite.bind.port, name, started))
    return Probe(name, nsd, bind)


@dataclass
class Load:
    """Creates offered at RATE per second for LOAD_SECONDS, each on the next free session;
    one still waiting for a session when the time is up is dropped (not sent), so the load
    stops on time even when the server cannot keep up."""

    clients: list[EppClient]
    done: list[float] = field(default_factory=list)  # completion times
    errors: int = 0
    dropped: int = 0

    async def one(self, free: asyncio.Queue[EppClient], name: str, deadline: float) -> None:
        client = await free.get()
        try:
            if time.perf_counter() >= deadline:
                self.dropped += 1
                return
            ok = await create(client, name)
        except EppError:
            ok = False
        finally:
            free.put_nowait(client)
        self.errors += not ok
        self.done.append(time.perf_counter())

    async def run(self) -> dict[str, float]:
        free: asyncio.Queue[EppClient] = asyncio.Queue()
        for client in self.clients:
            free.put_nowait(client)
        started = time.perf_counter()
        deadline = started + LOAD_SECONDS
        tasks, i = [], 0
        while (due := started + i / RATE) < deadline:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(self.one(free, f"load{i}.example", deadline)))
            i += 1
        await asyncio.gather(*tasks)
        elapsed = max(self.done) - started
        return {"offered_per_second": RATE, "offered": i, "created": len(self.done) - self.errors,
                "per_second": len(self.done) / elapsed, "seconds": elapsed, "errors": self.errors,
                "dropped": self.dropped}


def percentiles(probes: list[Probe]) -> dict[str, Any]:
    times = sorted(p.seconds for p in probes)
    p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
    return {"count": len(times), "p50_s": statistics.median(times), "p95_s": p95, "max_s": times[-1],
            "nsd_p50_s": statistics.median(p.nsd for p in probes),
            "bind_p50_s": statistics.median(p.bind for p in probes),
            "unanswered": sum(p.seconds == float("inf") for p in probes)}


async def idle_cell(suite: Suite, client: EppClient) -> dict[str, Any]:
    probes = []
    for i in range(PROBES):
        probes.append(await probe(suite, client, f"idle{i}.example"))
        await asyncio.sleep(IDLE_PAUSE)
    return percentiles(probes)


async def loaded_cell(suite: Suite, client: EppClient, clients: list[EppClient]) -> dict[str, Any]:
    load = Load(clients)
    running = asyncio.create_task(load.run())
    watchers = []
    for i in range(int(LOAD_SECONDS / PROBE_GAP)):
        watchers.append(asyncio.create_task(probe(suite, client, f"busy{i}.example")))
        await asyncio.sleep(PROBE_GAP)
    achieved = await running
    return {**percentiles(list(await asyncio.gather(*watchers))), "load": achieved}


# --- the run ------------------------------------------------------------------------------------
async def seed_hosts(certs: DevCerts, port: int) -> EppClient:
    """The name servers every create uses, created over EPP; the session the probes use."""
    (client,) = await bench.sessions(certs, port, 1, login=True)
    for host in NAMESERVERS:
        assert (await client.host_create(host)).code == 1000, host
    return client


def missing_programs() -> list[str]:
    from protocols.dns.primary import find_program

    return [name for name in ("knotd", "knotc", "keymgr", "nsd", "named") if find_program(name) is None]


async def run() -> dict[str, Any]:
    missing = missing_programs()
    if missing:
        return {"skipped": f"{', '.join(missing)} not found (`make dns-deps` installs knot, nsd, bind9)"}
    server = start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await fresh_database(embedded_dsn(server, "postgres"), "registry_bench_dns")
    key = AuthInfoCipher.new_key_text()
    certs = init_dev_certs(OUT / "certs-dns", ["demo", "rival"])
    await bench.seed(dsn, key, certs)
    print("starting registry serve with Knot, NSD and BIND ...", flush=True)
    suite = await start_suite(dsn, key, certs)
    try:
        prober = await seed_hosts(certs, suite.epp_port)
        results: dict[str, Any] = {"idle": await idle_cell(suite, prober)}
        print(f"  idle p50 {results['idle']['p50_s']:.2f} s; loading ...", flush=True)
        clients = await bench.sessions(certs, suite.epp_port, SESSIONS, login=True)
        results["loaded"] = await loaded_cell(suite, prober, clients)
        for client in [prober, *clients]:
            with contextlib.suppress(EppError):
                await client.close()
    finally:
        await suite.stop()
    return results


def print_table(results: dict[str, Any]) -> None:
    if "skipped" in results:
        print(f"\nEPP create -> answered by the secondaries: skipped, {results['skipped']}")
        return
    load = results["loaded"]["load"]
    print(f"\nEPP create -> answered by NSD and BIND (registry serve --workers {WORKERS}, Knot primary; "
          f"{os.cpu_count()} CPUs)")
    print(f"background load: creates offered at {load['offered_per_second']:g}/s for {LOAD_SECONDS:g} s "
          f"({load['offered']}); achieved {load['per_second']:.0f}/s: {load['created']} created in "
          f"{load['seconds']:.1f} s, {load['errors']} errors, {load['dropped']} not sent (no free session in time)")
    print(f"{'cell':<8} {'probes':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'NSD p50':>8} {'BIND p50':>9} "
          f"{'target p95':>11}")
    for cell, target in TARGETS.items():
        row = results[cell]
        verdict = "ok" if row["p95_s"] <= target else "MISSED"
        print(f"{cell:<8} {row['count']:6} {row['p50_s']:7.2f} {row['p95_s']:7.2f} {row['max_s']:7.2f} "
              f"{row['nsd_p50_s']:8.2f} {row['bind_p50_s']:9.2f} {verdict:>6} <= {target:g}"
              + (f"  unanswered={row['unanswered']}" if row["unanswered"] else ""))
