"""The record of EPP commands refused because their domain is under registry lock: each one
leaves a history row (action `lock-refused`) in a transaction of its own, since the refused
command's own transaction rolls back."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.db.repo import objects
from registry_core.db.repo import registry_lock as repo
from registry_core.db.tx import Tx
from registry_core.errors import StatusProhibits
from registry_core.model.actor import Actor
from registry_core.model.registry_lock import LOCK_STATUSES


async def record_refusal(core: Core, actor: Actor, refusal: StatusProhibits, operation: str) -> None:
    """A history row when `refusal` came from a lock's status on a locked domain (else nothing)."""
    if refusal.value not in LOCK_STATUSES or not refusal.name:
        return

    async def run(tx: Tx) -> None:
        lock = await repo.fetch_lock_by_name(tx.conn, refusal.name or "")
        if lock is not None:
            await objects.insert_history(tx.conn, actor, tx.now, "domain", lock["domain_id"], lock["domain_name"],
                                         "lock-refused", None, {"operation": operation, "status": refusal.value})
    await core.db.transaction(run)
