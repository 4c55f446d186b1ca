"""What a registrar's billing staff see: the ledger with its running balance, and the
period's rows for a CSV export, streamed from one snapshot in batches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import billing_export as repo
from registry_core.db.tx import Tx
from registry_core.errors import PermissionDenied
from registry_core.model.accounts import Principal, allowed

Rows = list[dict[str, Any]]
BATCH = 1000


def _check(who: Principal, registrar_id: str) -> None:
    if not allowed(who, "billing.view", registrar_id):
        raise PermissionDenied("this user may not see the registrar's billing", object_type="registrar",
                               name=registrar_id)


async def recent_ledger(core: Core, who: Principal, registrar_id: str, before_id: int | None = None,
                        limit: int = 100) -> Rows:
    """The newest rows (before `before_id`), each with the balance after it."""
    _check(who, registrar_id)
    return await core.db.transaction(lambda tx: repo.fetch_recent_ledger(tx.conn, registrar_id, before_id,
                                                                         min(limit, 500)), readonly=True)


async def export_ledger(core: Core, who: Principal, registrar_id: str, start: datetime | None, end: datetime | None,
                        sink: Callable[[Rows], Awaitable[None]]) -> int:
    """Hand the period's rows to `sink` a batch at a time; the number of rows."""
    _check(who, registrar_id)

    async def run(tx: Tx) -> int:
        count, batch = 0, []
        async for row in repo.iter_ledger(tx.conn, registrar_id, start, end):
            batch.append(row)
            if len(batch) == BATCH:
                await sink(batch)
                count, batch = count + len(batch), []
        if batch:
            await sink(batch)
        return count + len(batch)
    return await core.db.snapshot(run)
