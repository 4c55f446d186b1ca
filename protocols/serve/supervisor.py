"""`registry serve`: one supervisor and N worker processes.

The supervisor prepares what must happen once (starts the embedded PostgreSQL if no DSN is
configured, creates the database, applies migrations, creates the authInfo key file; starts
the DNS primary, Knot, when [dns] is enabled: protocols.dns.primary, and adds zones for TLDs
added while it runs: protocols.dns.zone_watch; the development mail catcher when [mail]
catcher names an address: protocols.mail.catcher), binds the listening
sockets (protocols.serve.listeners), prepares the metrics directory and the limit table the
workers share (protocols.net.limit_table), and starts the workers:
`python -m protocols.cli serve --worker`, each with its own event loop (uvloop) and
database pool. A worker gets its plan as one JSON line on stdin (the loaded
config with the resolved DSN, its socket descriptors, whether it runs the lifecycle
runner) and says it is ready on a pipe. The supervisor keeps the write end of the stdin
pipe open for the whole run: when the supervisor disappears the worker reads EOF and
drains, so no worker outlives it.

A worker that dies is replaced (at once, or after a growing delay when it keeps dying
young); the others' sessions are untouched, and the dead one's connections and sessions
are cleared from the limit table before its replacement starts. A worker that dies before
it was ever ready during start-up is a configuration problem: the supervisor stops and exits 1. SIGTERM or
SIGINT: close the supervisor's listening sockets, SIGTERM every worker (each stops
accepting, lets commands in flight finish, closes its pool), SIGKILL whatever is still
running after workers.stop_timeout. The supervisor also serves metrics and health
(protocols.serve.health) for all workers; /readyz names the limit store the workers use."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocols.config import Config, config_as_mapping
from protocols.dns.primary import primary_zones, start_primary, stop_primary
from protocols.dns.zone_watch import ZoneWatcher
from protocols.mail.catcher import start_catcher
from protocols.net.limit_table import NodeTable
from protocols.serve.dns_activity import run_dns_counts_forever
from protocols.serve.health import OpsListener, database_problem
from protocols.serve.listeners import Listeners, open_listeners
from protocols.serve.metrics import MULTIPROC_ENV, Exposition, prepare_multiproc_dir
from protocols.serve.runtime import database_url, open_core
from protocols.serve.shop_process import start_shop, stop_shop
from protocols.serve.worker import READY

_log = logging.getLogger("registry.workers")
YOUNG_SECONDS = 10.0  # a worker that dies younger than this is restarted after a growing delay
KILL_WAIT = 5.0


def default_worker_count() -> int:
    """One worker per CPU core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass
class Slot:
    """One worker position; its process is replaced when it dies."""

    index: int
    process: asyncio.subprocess.Process | None = None
    ready: bool = False
    started: float = 0.0
    failures: int = 0
    first: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Supervisor:
    def __init__(self, config: Config, count: int, worker_command: list[str]) -> None:
        self.config = config
        self.count = count
        self.worker_command = worker_command
        self.stopping = asyncio.Event()
        self.slots = [Slot(i) for i in range(count)]
        self.listeners = Listeners({})
        self.exposition: Exposition | None = None
        self.labels: list[str] = []
        self.table: NodeTable | None = None  # the limits every worker of this node shares

    async def run(self) -> int:
        async with open_core(self.config) as core:  # once: embedded cluster, database, migrations, key file
            zones = await primary_zones(self.config, core)
        self.config = _with_database(self.config, database_url(self.config))
        self.listeners = open_listeners(self.config, self.count, self.config.workers.reuse_port)
        self.exposition = Exposition(prepare_multiproc_dir(Path(self.config.paths.var)))
        self.table = NodeTable.create_anonymous(self.count, Path(self.config.paths.var))
        ops = OpsListener(self.config.metrics, self.exposition.render, self.readiness)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        keepers: list[asyncio.Task[None]] = []
        dns_primary = watcher = catcher = shop = None
        dns_counts: asyncio.Task[None] | None = None
        try:
            dns_primary = await start_primary(self.config, zones)  # Knot, before the workers
            if dns_primary is not None:  # TLDs added at run time get their zone
                watcher = ZoneWatcher(self.config, dns_primary, lambda: open_core(_one_connection(self.config)))
                await watcher.start()
                dns_counts = asyncio.create_task(run_dns_counts_forever(  # ICANN's DNS query counts
                    dns_primary, lambda: open_core(_one_connection(self.config))), name="dns-query-counts")
            catcher = await start_catcher(self.config)  # [mail] catcher: once per node, so here
            if self.config.metrics.enabled:
                await ops.start()
            keepers = [asyncio.create_task(self._keep(slot)) for slot in self.slots]
            if not await self._started(ops):
                return 1
            shop = await start_shop(self.config)  # a registrar of this node: after the workers
            await self.stopping.wait()
            return 0
        finally:
            await stop_shop(shop)
            await self._shutdown(keepers)
            await ops.stop(1.0)
            if watcher is not None:
                await watcher.stop(1.0)
            if catcher is not None:  # after the workers: their last mails still land
                await catcher.stop(1.0)
            if dns_counts is not None:  # its last reading, before Knot stops
                dns_counts.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dns_counts
            await stop_primary(dns_primary, self.config)  # after the workers
            self.exposition.remove()
            self.table.close()

    async def _started(self, ops: OpsListener) -> bool:
        """Wait until every worker is ready (True) or one failed to start (False)."""
        stop: asyncio.Future[Any] = asyncio.ensure_future(self.stopping.wait())
        startup: asyncio.Future[Any] = asyncio.gather(*(slot.first for slot in self.slots))
        await asyncio.wait({stop, startup}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not startup.done():
            startup.cancel()
            return True  # asked to stop while starting
        if not all(startup.result()):
            _log.error("a worker failed to start; stopping")
            return False
        self._announce(ops)
        return True

    def _announce(self, ops: OpsListener) -> None:
        """What serves where, through the log (a JSON line each, or text on a terminal)."""
        for label in self.labels:
            _log.info("serving %s", label, extra={"listener": label})
        if self.config.metrics.enabled:
            url = f"http://{self.config.metrics.host}:{ops.port}{self.config.metrics.path}"
            _log.info("serving metrics %s (and /healthz, /readyz)", url, extra={"listener": "metrics", "url": url})
        pids = [s.process.pid for s in self.slots if s.process]
        _log.info("%d worker(s): %s", self.count, ", ".join(map(str, pids)), extra={"pids": pids})

    async def _keep(self, slot: Slot) -> None:
        """Run the slot's worker; replace it whenever it dies, until the supervisor stops."""
        while not self.stopping.is_set():
            ready = await self._run_once(slot)
            if not slot.first.done():
                slot.first.set_result(ready)
            if self.stopping.is_set() or not slot.first.result():
                return
            delay = self._restart_delay(slot)
            _log.warning("worker %d is gone; starting a new one in %.1f s", slot.index, delay)
            if self.exposition is not None:
                self.exposition.restarts.inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)

    async def _run_once(self, slot: Slot) -> bool:
        """One worker process from start to exit; whether it ever got ready."""
        try:
            process, ready_fd = await self._spawn(slot)
        except OSError:  # out of processes or descriptors: try again later
            _log.exception("could not start worker %d", slot.index)
            slot.started = time.monotonic()
            return False
        ready = await self._await_ready(slot, ready_fd)
        if not slot.first.done():  # start-up waits for this, not for the worker's exit
            slot.first.set_result(ready)
        code = await process.wait()
        self._exited(slot, process, code)
        return ready

    async def _spawn(self, slot: Slot) -> tuple[asyncio.subprocess.Process, int]:
        read_fd, write_fd = os.pipe()
        fds = {name: sock.fileno() for name, sock in self.listeners.for_worker(slot.index).items()}
        assert self.exposition is not None and self.table is not None
        plan = {"index": slot.index, "lifecycle": slot.index == 0, "fds": fds, "ready_fd": write_fd,
                "limits_fd": self.table.fd, "config": config_as_mapping(self.config)}
        env = {**os.environ, MULTIPROC_ENV: str(self.exposition.directory)}
        try:
            process = await asyncio.create_subprocess_exec(
                *self.worker_command, stdin=asyncio.subprocess.PIPE, pass_fds=[*fds.values(), write_fd, self.table.fd],
                env=env)
        finally:
            os.close(write_fd)
        assert process.stdin is not None
        process.stdin.write(json.dumps(plan).encode() + b"\n")  # the pipe stays open: EOF tells the worker we died
        slot.process, slot.started = process, time.monotonic()
        _log.info("worker %d started (pid %d)", slot.index, process.pid)
        return process, read_fd

    async def _await_ready(self, slot: Slot, fd: int) -> bool:
        line = await _read_line(fd)
        if not line.startswith(READY):
            return False
        slot.ready = True
        if not self.labels:
            self.labels = list(json.loads(line[len(READY):] or b"[]"))
        self._count_running()
        return True

    def _exited(self, slot: Slot, process: asyncio.subprocess.Process, code: int) -> None:
        slot.ready = False
        self._count_running()
        if self.exposition is not None:
            self.exposition.worker_gone(process.pid)
        if self.table is not None:  # its connections and sessions are gone with it
            self.table.clear_slot(slot.index)
        level = logging.INFO if self.stopping.is_set() else logging.WARNING
        _log.log(level, "worker %d (pid %d) exited with %s", slot.index, process.pid, code)

    def _count_running(self) -> None:
        if self.exposition is not None:
            self.exposition.running.set(sum(1 for s in self.slots if s.ready))

    def _restart_delay(self, slot: Slot) -> float:
        """0 for a worker that lived a while; 0.5, 1, 2 ... (capped) for one that keeps dying young."""
        young = time.monotonic() - slot.started < YOUNG_SECONDS
        slot.failures = slot.failures + 1 if young else 0
        if not slot.failures:
            return 0.0
        return float(min(self.config.workers.restart_delay_max, 0.5 * 2 ** (slot.failures - 1)))

    async def _shutdown(self, keepers: list[asyncio.Task[None]]) -> None:
        self.stopping.set()
        self.listeners.close()
        self._signal_all(signal.SIGTERM)
        if not keepers:
            return
        _done, pending = await asyncio.wait(keepers, timeout=self.config.workers.stop_timeout)
        if pending:
            _log.warning("%d worker(s) still running after %.0f s; killing them", len(pending),
                         self.config.workers.stop_timeout)
            self._signal_all(signal.SIGKILL)
            await asyncio.wait(pending, timeout=KILL_WAIT)

    def _signal_all(self, sig: signal.Signals) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(sig)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready: the database answers with current migrations and a worker serves."""
        workers = {str(s.index): s.process.pid for s in self.slots if s.ready and s.process is not None}
        problem = await database_problem(self.config.database.url, self.config.metrics.readiness_timeout)
        if problem is None and not workers:
            problem = "no worker is serving"
        return problem is None, {"reason": problem or "", "workers": workers, "limits": self._limits_in_effect()}

    def _limits_in_effect(self) -> str:
        """Which limit store the serving workers use ("redis", "node", or why not redis).
        Redis being down does not make the node unready: it limits on its own meanwhile."""
        if self.table is None:
            return "node"
        said = sorted({self.table.status(s.index) for s in self.slots if s.ready} - {""})
        fallen_back = [text for text in said if text != "redis"]
        return "; ".join(fallen_back or said) or "node"


def _one_connection(config: Config) -> Config:
    return dataclasses.replace(config, database=dataclasses.replace(config.database, pool_min=1, pool_max=1))


def _with_database(config: Config, dsn: str) -> Config:
    """The config the workers get: the DSN resolved, so none starts another embedded cluster."""
    return dataclasses.replace(config, database=dataclasses.replace(config.database, url=dsn))


async def _read_line(fd: int) -> bytes:
    """One line from a pipe without blocking the loop (b"" when the writer closed it first)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                os.fdopen(fd, "rb", buffering=0))
    try:
        return await reader.readline()
    except (ValueError, asyncio.LimitOverrunError):
        return b""
    finally:
        transport.close()


async def supervise(config: Config, workers: int | None, worker_command: list[str]) -> int:
    count = workers or config.workers.count or default_worker_count()
    return await Supervisor(config, count, worker_command).run()
