"""The admin console's lifecycle overview: transitions due now (which the lifecycle runner,
lifecycle.py, applies on its next pass), the domains about to expire, and the redemption
queue (redemptionPeriod, pendingRestore, pendingDelete) in the order it ends. Staff only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import lifecycle_view as repo
from registry_core.db.tx import Tx
from registry_core.errors import PermissionDenied
from registry_core.model.accounts import Principal
from registry_core.services.exports import Sink, in_batches

DUE_CAP = 10_000  # counts above this show as "10000+": counting a backlog exactly is a scan
SHOWN = 100
QUEUE_COLUMNS = ("name", "sponsor_id", "rgp_state", "rgp_until", "redemption_ends_at", "expires_at")


@dataclass(frozen=True)
class LifecycleOverview:
    due: dict[str, int]
    cap: int
    expiring: list[dict[str, Any]]
    redemption: list[dict[str, Any]]


def _staff(who: Principal) -> None:
    if not who.staff:
        raise PermissionDenied("registry staff only", object_type="lifecycle")


async def lifecycle_overview(core: Core, who: Principal, limit: int = SHOWN) -> LifecycleOverview:
    _staff(who)

    async def run(tx: Tx) -> LifecycleOverview:
        return LifecycleOverview(await repo.fetch_due_counts(tx.conn, tx.now, DUE_CAP), DUE_CAP,
                                 await repo.fetch_next_expiring(tx.conn, tx.now, limit),
                                 await repo.fetch_redemption_queue(tx.conn, limit))
    return await core.db.transaction(run, readonly=True)


async def export_redemption_queue(core: Core, who: Principal, sink: Sink) -> int:
    _staff(who)
    return await core.db.snapshot(lambda tx: in_batches(repo.iter_redemption_queue(tx.conn), sink))
