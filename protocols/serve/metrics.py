"""Prometheus metrics: what the servers count and measure, and how the supervisor exposes
them for all its workers at once.

Each worker process writes its values to files in the run's multiprocess directory (the
supervisor sets PROMETHEUS_MULTIPROC_DIR for it before Python starts, so prometheus_client
picks file-backed values from its first import); the supervisor's listener reads and sums
them on every scrape (`Exposition`). Counters of a worker that died stay in the sums, so
totals never go down; its live gauges are dropped (`mark_process_dead`).

Request metrics share one family for the three protocols: `command` is the EPP command
(`domain:create`), the RDAP query type (`domain`, `domains`, `help`) or the WHOIS query
kind; `code` is the EPP result code, the HTTP status, or the WHOIS outcome. Gauges that
describe a process (open sessions, pool usage, lifecycle lag) are sampled by the worker
once a second rather than maintained on every event, so no server code has to track them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SAMPLE_SECONDS = 1.0
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("registry_requests", "EPP commands, RDAP requests and WHOIS queries answered, by result "
                   "(EPP result code, HTTP status, WHOIS outcome)", ["protocol", "command", "code"])
LATENCY = Histogram("registry_request_duration_seconds", "Time from a request's arrival to its answer",
                    ["protocol", "command"], buckets=LATENCY_BUCKETS)
OPEN_SESSIONS = Gauge("registry_open_sessions", "Open EPP sessions (TLS connections)", ["protocol"],
                      multiprocess_mode="livesum")
POOL_CONNECTIONS = Gauge("registry_db_pool_connections", "Database pool connections by state (in_use, idle, max)",
                         ["pool", "state"], multiprocess_mode="livesum")
LIFECYCLE_LAG = Gauge("registry_lifecycle_lag_seconds", "Seconds since the lifecycle runner last finished a "
                      "pass without error (grows when it stalls or keeps failing)", multiprocess_mode="livemax")
LIFECYCLE_PASSES = Counter("registry_lifecycle_passes", "Lifecycle runner passes by result", ["result"])


# (protocol, command, code) -> the counter and histogram children of that label set: looked
# up once, as `.labels()` costs more than the increment itself. As bounded as the label sets.
_CHILDREN: dict[tuple[str, str, int | str], tuple[Any, Any]] = {}


def observe(protocol: str, command: str, code: int | str, seconds: float) -> None:
    """Count one answered request and record its latency."""
    key = (protocol, command, code)
    children = _CHILDREN.get(key)
    if children is None:
        children = _CHILDREN[key] = (REQUESTS.labels(protocol, command, str(code)), LATENCY.labels(protocol, command))
    children[0].inc()
    children[1].observe(seconds)


class LifecycleWatch:
    """Told after each lifecycle pass (`passed`); knows how long since the last good one."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_ok = clock()

    def passed(self, ok: bool) -> None:
        LIFECYCLE_PASSES.labels("ok" if ok else "failed").inc()
        if ok:
            self._last_ok = self._clock()

    def lag(self) -> float:
        return self._clock() - self._last_ok


class Sampler:
    """Sets this process's gauges from what it can see: open EPP sessions, pool usage, lag."""

    def __init__(self, sessions: Callable[[], int] | None, pools: Mapping[str, Any],
                 lifecycle: LifecycleWatch | None) -> None:
        self.sessions = sessions
        self.pools = pools  # name -> asyncpg pool (get_size, get_idle_size, get_max_size)
        self.lifecycle = lifecycle

    def sample(self) -> None:
        if self.sessions is not None:
            OPEN_SESSIONS.labels("epp").set(self.sessions())
        for name, pool in self.pools.items():
            size, idle = pool.get_size(), pool.get_idle_size()
            POOL_CONNECTIONS.labels(name, "in_use").set(size - idle)
            POOL_CONNECTIONS.labels(name, "idle").set(idle)
            POOL_CONNECTIONS.labels(name, "max").set(pool.get_max_size())
        if self.lifecycle is not None:
            LIFECYCLE_LAG.set(self.lifecycle.lag())

    async def run_forever(self, interval: float = SAMPLE_SECONDS) -> None:
        while True:
            self.sample()
            await asyncio.sleep(interval)


# --- the supervisor's side -------------------------------------------------------------
def prepare_multiproc_dir(var: Path, pid: int | None = None) -> Path:
    """A fresh directory for this run under <var>/metrics/<pid>; directories of runs whose
    supervisor is gone (a crash, SIGKILL) are removed."""
    base = var.resolve() / "metrics"
    base.mkdir(parents=True, exist_ok=True)
    for child in base.iterdir():
        if child.is_dir() and (not child.name.isdigit() or not _alive(int(child.name))):
            shutil.rmtree(child, ignore_errors=True)
    here = base / str(pid or os.getpid())
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir()
    return here


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Exposition:
    """The text a scrape gets: every worker's metrics summed, plus the supervisor's own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.workers = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(self.workers, path=str(directory))
        self.own = CollectorRegistry()
        self.running = Gauge("registry_workers_running", "Worker processes that reported ready and are running",
                             registry=self.own)
        self.restarts = Counter("registry_worker_restarts", "Workers restarted after they died", registry=self.own)

    def worker_gone(self, pid: int) -> None:
        with contextlib.suppress(OSError):
            mark_process_dead(pid, str(self.directory))

    def render(self) -> bytes:
        return generate_latest(self.workers) + generate_latest(self.own)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
