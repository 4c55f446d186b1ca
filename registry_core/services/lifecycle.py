"""The lifecycle runner: applies every due transition (transfer auto-approval, auto-renew
or expiry, redemption -> pendingDelete, a lapsed restore request, purge).

One pass fixes `now` at its start and walks the due objects in id order, `batch` at a
time. A small group of them is changed in one short transaction that locks their rows
with SKIP LOCKED and checks again that each step is still due, so the pass is idempotent
and two runners (or a runner and an EPP command) never apply anything twice: what one
holds, the other skips and the next pass takes. Rows are taken in sponsor order, so
concurrent groups lock registrar balances in one order and cannot deadlock. It runs
inside `registry serve` on a schedule (`run_lifecycle_forever`) and alone as
`registry lifecycle run [--at TIME]`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from registry_core.clock import FixedClock
from registry_core.context import Core
from registry_core.db.repo import lifecycle as repo
from registry_core.db.repo import tlds
from registry_core.db.tx import Database, Tx
from registry_core.errors import InsufficientFunds
from registry_core.model import lifecycle as lc
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.lifecycle import LifecycleReport
from registry_core.model.registrar import Tld
from registry_core.services import (
    access_requests,
    notifications,
    overview,
    reminders,
    transfers,
    transitions,
    verification_deadline,
)

_log = logging.getLogger(__name__)
Candidates = Callable[[Any, datetime, int, int], Awaitable[list[int]]]  # (conn, now, after, limit)
_COUNTERS = {lc.AUTO_RENEW: "auto_renewed", lc.EXPIRE: "expired", lc.REDEMPTION_END: "redemptions_ended",
             lc.RESTORE_LAPSE: "restores_lapsed", lc.PURGE: "purged"}


async def run_lifecycle(core: Core, now: datetime | None = None, batch: int = 500, *,
                        concurrency: int = 4, group: int = 25) -> LifecycleReport:
    """One pass over everything due at `now` (default: the core's clock, read once).
    Candidates are read `batch` at a time; `group` domains share one transaction (a failed
    group is retried one domain at a time) and `concurrency` groups run at once."""
    at = now or core.db.clock.now()
    shifted = Database(core.db.pool, FixedClock(at), tld_cache=core.db.tld_cache)  # same database, same cache
    runner = _Pass(Core(shifted, core.settings, core.passwords), at, batch, concurrency, group)
    approved, skipped = await transfers.approve_due_transfers_counted(runner.core, batch)
    runner.counts.update(transfers_approved=approved, skipped=skipped)
    for candidates in (repo.fetch_expiry_candidates, repo.fetch_rgp_candidates):
        await runner.walk(candidates)
    runner.counts.update(reminders=await reminders.send_reminders(runner.core, at))
    runner.counts.update(verification_holds=await verification_deadline.hold_unverified(runner.core, batch),
                         access_alerts=await access_requests.alert_overdue(runner.core, batch))
    await overview.fold_counts(core)  # the dashboards' totals catch up with the pass's own changes too
    report = LifecycleReport(**runner.counts)
    if report.total() or report.failed:
        _log.info("lifecycle pass at %s: %s", at.isoformat(), report)
    return report


class _Pass:
    """One runner pass: its fixed clock, its counters and the TLDs it has read."""

    def __init__(self, core: Core, at: datetime, batch: int, concurrency: int, group: int) -> None:
        self.core, self.at, self.batch, self.group = core, at, batch, max(1, group)
        self.gate = asyncio.Semaphore(max(1, concurrency))
        self.counts: Counter[str] = Counter()
        self.tlds: dict[str, Tld] = {}

    async def walk(self, candidates: Candidates) -> None:
        after = 0
        while True:
            ids = await self._candidates(candidates, after)
            groups = [ids[i:i + self.group] for i in range(0, len(ids), self.group)]
            await asyncio.gather(*(self._one(g) for g in groups))
            if len(ids) < self.batch:
                return
            after = ids[-1]

    async def _candidates(self, fetch: Candidates, after: int) -> list[int]:
        async def run(tx: Tx) -> list[int]:
            return await fetch(tx.conn, self.at, after, self.batch)
        return await self.core.db.transaction(run, readonly=True)

    async def _one(self, ids: list[int]) -> None:
        async with self.gate:
            try:
                self.counts.update(await self.core.db.transaction(lambda tx: self._steps(tx, ids)))
                return
            except Exception:  # noqa: S110 - retried one by one below, where it is logged
                pass
            for domain_id in ids:
                self.counts.update(await self._alone(domain_id))

    async def _alone(self, domain_id: int) -> list[str]:
        """One domain in its own transaction, after its group failed: ["failed"] when it
        fails again (logged; it stays due for the next pass)."""
        for attempt in (1, 2):
            try:
                return await self.core.db.transaction(lambda tx: self._steps(tx, [domain_id]))
            except InsufficientFunds:  # the sponsor's balance moved under us: decide again
                if attempt == 2:
                    _log.warning("lifecycle step for domain %s: balance kept moving", domain_id)
            except Exception:  # one bad domain must not stop the pass
                _log.exception("lifecycle step for domain %s failed", domain_id)
                break
        return ["failed"]

    async def _steps(self, tx: Tx, ids: list[int]) -> list[str]:
        """Lock what is still due among `ids` (SKIP LOCKED) and advance each; returns the
        counter names of what was done, "skipped" for each one held elsewhere or done."""
        rows = await repo.lock_due_domains(tx.conn, ids, tx.now)
        done = ["skipped"] * (len(ids) - len(rows))
        for row in rows:
            actor = Actor("", f"LC-{tx.now:%Y%m%d%H%M%S}-{row['id']}")
            steps = await transitions.advance(tx, self.core, actor, row, await self._tld(tx, row["tld"]))
            done += [_COUNTERS[step] for step in steps]
        return done

    async def _tld(self, tx: Tx, name: str) -> Tld:
        if name not in self.tlds:
            tld = await tlds.fetch_tld_by_name(tx, name)
            assert tld is not None
            self.tlds[name] = tld
        return self.tlds[name]


async def run_lifecycle_forever(core: Core, interval: float = 60.0, batch: int = 500,
                                on_pass: Callable[[bool], None] | None = None) -> None:
    """Run a pass every `interval` seconds until cancelled (for `registry serve`);
    `on_pass(ok)` is told after each pass (the server's metrics)."""
    failing_since: datetime | None = None
    while True:
        ok = False
        try:
            await run_lifecycle(core, batch=batch)
            ok = True
        except Exception as exc:  # noqa: BLE001 - a scheduler must outlive any one failed pass (database down, bug)
            _log.exception("lifecycle pass failed; retrying in %.0f s", interval)
            failing_since = failing_since or core.db.clock.now()
            await alert_lifecycle_failing(core, failing_since, exc)
        if ok:
            failing_since = None
        if on_pass is not None:
            on_pass(ok)
        await asyncio.sleep(interval)


async def alert_lifecycle_failing(core: Core, since: datetime, exc: Exception) -> None:
    """One operator alert per streak of failed passes (its key is the streak's start; while
    the database is down it cannot be written, and a later pass of the streak writes it)."""
    try:
        await notifications.alert_operator(core, notifications.operator_alert(
            note.LIFECYCLE_FAILING, "The lifecycle runner is failing", "lifecycle runner",
            f"{exc.__class__.__name__}: {exc}", f"{note.LIFECYCLE_FAILING}/{since.isoformat()}", since=since))
    except Exception:  # noqa: BLE001 - the alert is best effort; the log has the failure
        _log.warning("could not write the lifecycle alert (the database is likely down)")
