"""The verification deadline (lifecycle runner): a TLD with `verification` other than none
and `verification_days` N puts a domain on serverHold when its registrant is not verified N
days after the domain's creation; verifying the registrant releases the hold. Open
verification requests past their time are expired."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import verification as repo
from registry_core.db.tx import Tx
from registry_core.model.actor import Actor

RUNNER = Actor("", "LIFECYCLE-VERIFY")


async def hold_unverified(core: Core, batch: int = 500) -> int:
    """Expire stale requests, hold every domain past its deadline; how many were held."""
    async def run(tx: Tx) -> int:
        for expired in await repo.expire_verifications(tx.conn, tx.now, batch):
            await objects.insert_history(tx.conn, RUNNER, tx.now, "contact", expired["contact_id"], expired["handle"],
                                         "verification-expire", None, {"state": "expired"})
        due = await repo.fetch_unverified_due(tx.conn, tx.now, batch)
        for row in due:
            after = sorted({*(row["statuses"] or ()), "serverHold"})
            await domain_repo.update_domain(tx.conn, row["id"], {"statuses": after, "updated_at": tx.now})
            await repo.insert_hold(tx.conn, row["id"], row["registrant_id"], tx.now)
            await objects.insert_history(tx.conn, RUNNER, tx.now, "domain", row["id"], row["name"],
                                         "verification-hold", {"statuses": sorted(row["statuses"] or ())},
                                         {"statuses": after, "reason": "registrant not verified in time"})
        if due:
            await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[r["id"] for r in due])
        return len(due)
    return await core.db.transaction(run)


async def release_holds(tx: Tx, contact: dict[str, Any], actor: Actor) -> None:
    held = await repo.take_holds_of(tx.conn, contact["id"])
    for row in held:
        after = sorted(set(row["statuses"] or ()) - {"serverHold"})
        await domain_repo.update_domain(tx.conn, row["id"], {"statuses": after, "updated_at": tx.now})
        await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], "verification-release",
                                     {"statuses": sorted(row["statuses"] or ())},
                                     {"statuses": after, "registrant": contact["handle"]})
    if held:
        await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[r["id"] for r in held])
