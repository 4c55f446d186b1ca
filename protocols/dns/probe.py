"""The propagation probe: after each batch the publisher commits, the SOA serial the primary
then serves for the zone is awaited on every secondary ([dns] secondaries; without any, on
the primary itself, and the results say so). The time from each published change's commit
to the moment the last server served that serial goes into a histogram and the database
(`registry dns status` prints percentiles and each server's last serial and lag).

The publisher only hands a publication over (`published`, never blocking): a bounded
number are probed at once, more are counted as unmeasured. Per TLD one watcher asks every
server at a time (UDP, TCP when truncated), first quickly, then every [dns] probe_interval,
for all the publications it waits for; a server that has not served a publication after
[dns] probe_timeout counts as "not served" there, with a warning. Serials compare with
RFC 1982 serial arithmetic (a serial at or after the wanted one will do)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
from prometheus_client import Counter, Histogram

from registry_core.context import Core
from registry_core.model.zone import fqdn
from registry_core.services.dns_propagation import Propagation, ServerCheck, record_propagation

_log = logging.getLogger("registry.dns.probe")
PROPAGATION = Histogram("registry_dns_propagation_seconds", "From a change's commit until every secondary (or, "
                        "without secondaries, the primary) served it", ["tld"],
                        buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
NOT_SERVED = Counter("registry_dns_propagation_not_served", "Publications a server did not serve within "
                     "[dns] probe_timeout", ["tld", "server"])
UNMEASURED = Counter("registry_dns_propagation_unmeasured", "Publications not probed (too many waiting, or the "
                     "primary did not answer)", ["tld"])
SERIAL_SPACE = 2 ** 32
FIRST_DELAY = 0.05  # seconds before the first look; doubling up to probe_interval


def serial_reached(served: int, wanted: int) -> bool:
    """RFC 1982 section 3.2: `served` equals `wanted` or comes after it."""
    return served == wanted or 0 < (served - wanted) % SERIAL_SPACE < SERIAL_SPACE // 2


@dataclass(frozen=True)
class Server:
    address: str
    port: int

    @property
    def label(self) -> str:
        return f"{self.address}@{self.port}"


@dataclass(frozen=True)
class ProbeSettings:
    timeout: float = 900.0  # seconds a server may take to serve a publication
    interval: float = 1.0  # seconds between looks, once the first quick ones found nothing
    limit: int = 1000  # publications probed at once
    history: int = 10000  # results kept per TLD
    query_timeout: float = 2.0  # seconds one SOA query may take


async def soa_serial(server: Server, zone: str, within: float) -> int | None:
    """The serial the server answers authoritatively for the zone; None without such an answer."""
    query = dns.message.make_query(fqdn(zone), dns.rdatatype.SOA)
    try:
        reply, _ = await dns.asyncquery.udp_with_fallback(query, server.address, timeout=within, port=server.port)
    except (dns.exception.DNSException, OSError):
        return None
    if reply.rcode() != dns.rcode.NOERROR or not reply.flags & dns.flags.AA:
        return None
    soa = [rrset for rrset in reply.answer if rrset.rdtype == dns.rdatatype.SOA]
    return int(soa[0][0].serial) if soa else None


@dataclass
class Waiting:
    """One publication being probed: the serial to be served, and who served it how soon."""

    tld: str
    serial: int
    changes: tuple[tuple[str, datetime], ...]
    started: float = field(default_factory=time.monotonic)
    lags: dict[str, float] = field(default_factory=dict)  # server label -> seconds until it served


class PropagationProbe:
    """start() begins probing; published() hands a batch over; stop(grace) ends it (what is
    still waiting is not recorded)."""

    def __init__(self, core: Core, primary: Server, secondaries: Sequence[Server],
                 settings: ProbeSettings = ProbeSettings()) -> None:
        self.core, self.primary, self.settings = core, primary, settings
        self.servers = tuple(secondaries) or (primary,)
        self.measured_on = "secondaries" if secondaries else "primary"
        self.queue: asyncio.Queue[tuple[str, tuple[tuple[str, datetime], ...]]] = asyncio.Queue(settings.limit)
        self.waiting: dict[str, list[Waiting]] = {}
        self.watchers: dict[str, asyncio.Task[None]] = {}
        self.fresh: dict[str, bool] = {}  # a publication joined: look quickly again
        self.outstanding = 0
        self.dropping = False
        self.task: asyncio.Task[None] | None = None

    def published(self, tld: str, changes: Sequence[tuple[str, datetime]]) -> None:
        """A batch of owner changes ((owner, commit time)) was published; never blocks."""
        if self.task is None or not changes:
            return
        if self.outstanding >= self.settings.limit:
            UNMEASURED.labels(tld).inc()
            if not self.dropping:
                _log.warning("DNS propagation probe: %d publications waiting; not measuring more until some are "
                             "served or time out", self.outstanding)
            self.dropping = True
            return
        self.dropping = False
        self.outstanding += 1
        self.queue.put_nowait((tld, tuple(changes)))

    async def start(self) -> None:
        self.task = asyncio.create_task(self._intake(), name="dns-probe")

    async def stop(self, grace: float) -> None:
        tasks = [t for t in (self.task, *self.watchers.values()) if t is not None]
        self.task = None
        for task in tasks:
            task.cancel()
        for task in tasks:  # a result being written is rolled back; nothing else is lost
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, grace)

    async def _intake(self) -> None:
        while True:
            tld, changes = await self.queue.get()
            serial = await soa_serial(self.primary, tld, self.settings.query_timeout)
            if serial is None:
                self.outstanding -= 1
                UNMEASURED.labels(tld).inc()
                _log.warning("DNS propagation probe: the primary %s gave no SOA for %s; publication not measured",
                             self.primary.label, tld)
                continue
            self.waiting.setdefault(tld, []).append(Waiting(tld, serial, changes))
            self.fresh[tld] = True
            watcher = self.watchers.get(tld)
            if watcher is None or watcher.done():
                self.watchers[tld] = asyncio.create_task(self._watch(tld), name=f"dns-probe-{tld}")

    async def _watch(self, tld: str) -> None:
        delay = FIRST_DELAY
        while self.waiting.get(tld):
            if self.fresh.pop(tld, False):
                delay = FIRST_DELAY
            await asyncio.sleep(delay)
            await self._look(tld)
            delay = min(delay * 2, self.settings.interval)

    async def _look(self, tld: str) -> None:
        """Ask every server once; finish the publications served everywhere or timed out."""
        serials = await asyncio.gather(*(soa_serial(s, tld, self.settings.query_timeout) for s in self.servers))
        now = time.monotonic()
        for waiting in list(self.waiting[tld]):
            for server, serial in zip(self.servers, serials, strict=True):
                if server.label not in waiting.lags and serial is not None and serial_reached(serial, waiting.serial):
                    waiting.lags[server.label] = now - waiting.started
            if len(waiting.lags) == len(self.servers) or now - waiting.started >= self.settings.timeout:
                self.waiting[tld].remove(waiting)
                self.outstanding -= 1
                await self._finish(waiting, serials)

    async def _finish(self, waiting: Waiting, serials: Sequence[int | None]) -> None:
        served = len(waiting.lags) == len(self.servers)
        served_at = datetime.now(UTC) if served else None
        if served_at is not None:
            for _owner, committed in waiting.changes:
                PROPAGATION.labels(waiting.tld).observe(max(0.0, (served_at - committed).total_seconds()))
        for server, serial in zip(self.servers, serials, strict=True):
            if server.label not in waiting.lags:
                NOT_SERVED.labels(waiting.tld, server.label).inc()
                _log.warning("DNS server %s did not serve %s serial %d within %.0f s (it serves %s); %d changes "
                             "recorded as not served", server.label, waiting.tld, waiting.serial,
                             self.settings.timeout, serial if serial is not None else "no SOA",
                             len(waiting.changes))
        checks = tuple(ServerCheck(s.label, serial, waiting.lags.get(s.label))
                       for s, serial in zip(self.servers, serials, strict=True))
        result = Propagation(waiting.tld, waiting.serial, self.measured_on, waiting.changes, served_at, checks)
        try:
            await record_propagation(self.core, result, self.settings.history)
        except Exception as exc:  # the measurement is lost, publication goes on
            _log.warning("DNS propagation result of %s serial %d not stored: %s", waiting.tld, waiting.serial, exc)
