"""The scheduled reconcile inside `registry serve`: every [dns] reconcile_interval, for each
TLD its publisher leads, what the primary serves (AXFR) is compared with what the registry
says, and drift is repaired through the normal path: the served records become the
published state of the drifted owners, which are marked changed, so the publisher sends
the correction (protocols.dns.reconcile). Owners in flight (a change pending, or published
since the transfer began) are the publisher's and not counted. Each repair is logged with
the owners and counted; a failed run is logged and tried again an interval later.

A TLD is first reconciled one interval after its publisher began leading it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from prometheus_client import Counter

from protocols.dns.knot_conf import TsigKey
from protocols.dns.reconcile import reconcile
from registry_core.context import Core
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import OwnerChange

_log = logging.getLogger("registry.dns.reconcile")
REPAIRED = Counter("registry_dns_reconcile_repaired_owners", "Owner names the scheduled reconcile found drifted "
                   "on the primary and queued for correction", ["tld"])
RUNS = Counter("registry_dns_reconcile_runs", "Scheduled reconciles by outcome (clean, repaired, failed)",
               ["tld", "outcome"])
SHOWN = 10  # drifted owners named in the log line


def _brief(rrsets: tuple[RRset, ...]) -> str:
    return "; ".join(f"{r.type} {' '.join(r.rdata)}" for r in rrsets) or "nothing"


def describe(changes: list[OwnerChange]) -> str:
    shown = ", ".join(f"{c.owner} (served {_brief(c.before)}, wanted {_brief(c.after)})" for c in changes[:SHOWN])
    return shown + (f" and {len(changes) - SHOWN} more" if len(changes) > SHOWN else "")


class Reconciler:
    """start() begins the schedule; stop(grace) lets a run in progress finish within grace."""

    def __init__(self, core: Core, led: Callable[[], set[str]], primary: tuple[str, int], key: TsigKey,
                 interval: float) -> None:
        self.core, self.led, self.primary, self.key, self.interval = core, led, primary, key, interval
        self.due: dict[str, float] = {}  # TLD -> monotonic time of its next run
        self.task: asyncio.Task[None] | None = None
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        if self.interval > 0:
            self.task = asyncio.create_task(self._run(), name="dns-reconcile")

    async def stop(self, grace: float) -> None:
        task, self.task = self.task, None
        self.stopping.set()  # an idle schedule ends at once, a run in progress within grace
        if task is None:
            return
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, grace)  # wait_for cancels it after grace

    async def _run(self) -> None:
        tick = min(self.interval, 10.0)
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), tick)
            now, led = time.monotonic(), self.led()
            self.due = {tld: self.due.get(tld, now + self.interval - tick) for tld in led}
            for tld in sorted(t for t, due in self.due.items() if due <= now):
                if self.stopping.is_set():
                    return
                await self.reconcile_once(tld)
                self.due[tld] = time.monotonic() + self.interval

    async def reconcile_once(self, tld: str) -> list[OwnerChange]:
        """One reconcile with repair; the owners repaired (none after a failure)."""
        try:
            changes = await reconcile(self.core, tld, *self.primary, self.key, fix=True, spare_in_flight=True)
        except Exception as exc:
            RUNS.labels(tld, "failed").inc()
            _log.error("DNS reconcile of %s failed: %s; next try in %.0f s", tld, exc, self.interval)
            return []
        RUNS.labels(tld, "repaired" if changes else "clean").inc()
        if changes:
            REPAIRED.labels(tld).inc(len(changes))
            _log.warning("DNS reconcile of %s repaired %d drifted owners: %s", tld, len(changes), describe(changes))
        else:
            _log.info("DNS reconcile of %s: the primary serves what the registry says", tld)
        return changes
