"""DNS publication use cases: plan the next batch of a TLD (pending owners, what the zone
should hold there, what was last published, the difference and the delete guard's verdict),
record a batch as published, park a batch that keeps failing, and the operator's switches.

The batch is read in this order: change rows first, then the zone state. A transform that
commits in between bumps its change row's seq, so `commit_batch` leaves that row and the
owner is published again with the newer state: nothing is lost, at worst sent twice
(sending a record that is already there changes nothing)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, dns_zone, tlds
from registry_core.db.repo import dns_publication as repo
from registry_core.db.repo import notifications as notification_repo
from registry_core.db.repo.dns_changes import CHANNEL
from registry_core.db.tx import Tx
from registry_core.errors import ObjectNotFound
from registry_core.model import notification as note
from registry_core.model.zone import RRset, ZoneSettings, desired_rrsets, fqdn, relative
from registry_core.model.zone_diff import DeleteGuard, OwnerChange, diff_owners, guard_refusal
from registry_core.services import notifications
from registry_core.services.tlds import tld_name


@dataclass(frozen=True)
class Batch:
    tld: str
    drained: list[tuple[str, int]]  # (stored owner, seq) of the change rows this batch answers
    changes: list[OwnerChange]  # only owners whose records differ
    refusal: str | None = None  # the delete guard's reason to hold the batch back
    settings: ZoneSettings = field(default_factory=ZoneSettings)
    changed_at: dict[str, datetime] = field(default_factory=dict)  # stored owner -> commit of its latest change

    def committed(self) -> list[tuple[str, datetime]]:
        """(stored owner, commit time) of each owner whose records this batch changes."""
        owners = (relative(c.owner) for c in self.changes)
        return [(owner, self.changed_at[owner]) for owner in owners if owner in self.changed_at]

    @property
    def removed_delegations(self) -> int:
        return sum(c.removes_delegation for c in self.changes)


async def _require_tld(tx: Tx, tld: str) -> str:
    name = tld_name(tld)
    if name not in await tlds.fetch_tld_names(tx):
        raise ObjectNotFound("no such TLD", object_type="tld", name=name)
    return name


def _desired(tld: str, settings: ZoneSettings, owners: list[str], rows: dns_zone.ZoneRows) -> dict[str, Any]:
    domains, hosts = rows
    desired = {fqdn(o): desired_rrsets(o, tld, settings, domains.get(o), hosts.get(o)) for o in owners}
    return {o: r for o, r in desired.items() if r}


async def _guard(tx: Tx, tld: str, settings: ZoneSettings, changes: list[OwnerChange],
                 override: bool) -> str | None:
    removed = sum(c.removes_delegation for c in changes)
    if override or removed <= settings.delete_floor:
        return None
    published = await repo.count_published_delegations(tx.conn, tld)
    added = sum(1 for c in changes if not any(r.type == "NS" for r in c.before)
                and any(r.type == "NS" for r in c.after) and fqdn(c.owner) != fqdn(tld))
    return guard_refusal(DeleteGuard(settings.max_delete_share, settings.delete_floor), published, removed,
                         published - removed + added)


@contextlib.asynccontextmanager
async def leader_session(core: Core, on_change: Callable[..., None]) -> AsyncIterator[Any]:
    """A dedicated database session for a publisher: it LISTENs on `dns_change` (calling
    `on_change`) and holds the advisory locks of the TLDs it leads. It is closed at the end,
    never handed back to the pool (which does not reset sessions), so the locks and the
    LISTEN end with it, even when the publisher is cancelled."""
    async with core.db.pool.acquire() as session:
        try:
            await session.add_listener(CHANNEL, on_change)
            yield session
        finally:
            session.terminate()


async def try_lead(session: Any, tld: str) -> bool:
    """Take the TLD's publisher lock on a dedicated session (held until the session ends)."""
    return await repo.try_lead(session, tld)


async def plan_batch(core: Core, tld: str, limit: int = 500) -> Batch | None:
    """The next batch of the TLD, or None: nothing pending, paused, or held by the guard."""
    async def run(tx: Tx) -> Batch | None:
        state = await repo.fetch_state(tx.conn, tld)
        if state["paused"] or state["guard_tripped"]:
            return None
        if state["full_needed"]:
            await repo.mark_every_owner(tx.conn, tld, tx.now)
        rows = await repo.fetch_batch(tx.conn, tld, limit)
        if not rows:
            return None
        drained = [(owner, seq) for owner, seq, _ in rows]
        owners = [o for o, _ in drained]
        settings = await dns_zone.fetch_zone_settings(tx.conn, tld)
        desired = _desired(tld, settings, owners, await dns_zone.fetch_zone_state(tx.conn, tld, owners))
        published = await repo.fetch_published(tx.conn, tld, owners)
        changes = diff_owners(published, desired, [fqdn(o) for o in owners])
        refusal = await _guard(tx, tld, settings, changes, state["guard_override"])
        return Batch(tld, drained, changes, refusal, settings, {owner: at for owner, _, at in rows})
    return await core.db.transaction(run)


async def commit_batch(core: Core, batch: Batch) -> int:
    """Record the batch as published; the TLD's new publication serial."""
    async def run(tx: Tx) -> int:
        serial = await repo.record_publication(tx.conn, batch.tld, batch.changes, batch.drained, tx.now)
        await _published_events(tx, batch, serial)
        return serial
    return await core.db.transaction(run)


async def _published_events(tx: Tx, batch: Batch, serial: int) -> None:
    """domain.dns_published to the sponsor of each registered domain the batch changed (one
    statement for the batch; the key names the publication, so each is written once)."""
    after = {relative(c.owner): c.after for c in batch.changes}
    names = [o for o in after if o != batch.tld]
    if not names:
        return
    events = [note.Event(note.DOMAIN_DNS_PUBLISHED, note.registrar_audience(row["sponsor_id"]),
                         {"domain": row["name"], "registrar": row["sponsor_id"], "tld": batch.tld,
                          "publication": serial,
                          "delegated": any(r.type == "NS" for r in after[row["name"]]),
                          "signed": any(r.type == "DS" for r in after[row["name"]])},
                         "domain", row["name"], row["roid"],
                         key=f"{note.DOMAIN_DNS_PUBLISHED}/{batch.tld}/{serial}/{row['name']}")
              for row in await notification_repo.fetch_domain_sponsors(tx.conn, batch.tld, names)]
    await notifications.emit_many(tx, "dns", events)


async def park_batch(core: Core, batch: Batch, error: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.park_owners(tx.conn, batch.tld, batch.drained, error, tx.now)
        await repo.update_state(tx.conn, batch.tld, {"last_error": error, "last_error_at": tx.now})
        owners = sorted(o for o, _ in batch.drained)
        await notifications.emit(tx, "dns", notifications.operator_alert(
            note.PUBLISHER_PARKED, f"DNS publication of {len(owners)} owner(s) in {batch.tld} parked", "dns publisher",
            error, f"{note.PUBLISHER_PARKED}/{batch.tld}/{tx.now.isoformat()}/{owners[0]}",
            tld=batch.tld, owners=owners[:50], count=len(owners)))
    await core.db.transaction(run)


async def note_error(core: Core, tld: str, error: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.update_state(tx.conn, tld, {"last_error": error, "last_error_at": tx.now})
    await core.db.transaction(run)


async def hold_for_guard(core: Core, tld: str, reason: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.update_state(tx.conn, tld, {"guard_tripped": reason, "last_error": f"guard: {reason}",
                                               "last_error_at": tx.now})
    await core.db.transaction(run)


async def set_paused(core: Core, tld: str, paused: bool, *, accept_deletes: bool = False) -> None:
    """Pause or resume publication; resuming with `accept_deletes` lets the batch the
    delete guard held back through once."""
    async def run(tx: Tx) -> None:
        name = await _require_tld(tx, tld)
        values: dict[str, Any] = {"paused": paused}
        if not paused:
            values.update(guard_tripped=None, guard_override=accept_deletes)
        await repo.update_state(tx.conn, name, values)
    await core.db.transaction(run)


async def request_full_publication(core: Core, tld: str, *, parked: bool = False) -> None:
    """Re-publish every owner of the TLD (and, with `parked`, retry the parked owners)."""
    async def run(tx: Tx) -> None:
        name = await _require_tld(tx, tld)
        if parked:
            await repo.unpark_owners(tx.conn, name, tx.now)
        else:
            await dns_changes.mark_full_publication(tx.conn, name)
    await core.db.transaction(run)


async def adopt_served(core: Core, tld: str, served: dict[str, tuple[RRset, ...]], *,
                       unless_since: datetime | None = None) -> list[str]:
    """Reconciliation: what the primary serves at these owners (absolute names; an empty
    tuple for nothing) becomes the published state, and the owners are marked changed, so
    the publisher sends exactly the correction; the owners adopted. With `unless_since`
    (when the transfer began), owners in flight are left to the publisher: a change is
    pending for them, or they were published since."""
    async def run(tx: Tx) -> list[str]:
        name = await _require_tld(tx, tld)
        chosen = dict(served)
        if unless_since is not None and chosen:
            busy = await repo.fetch_owners_in_flight(tx.conn, name, [relative(o) for o in chosen], unless_since)
            chosen = {o: r for o, r in chosen.items() if relative(o) not in busy}
        await repo.replace_published(tx.conn, name, chosen, tx.now)
        await dns_changes.record_dns_changes(tx.conn, tx.now, owners=[(name, relative(o)) for o in chosen])
        return sorted(chosen)
    return await core.db.transaction(run)


async def zone_status(core: Core, tld: str) -> dict[str, Any]:
    async def run(tx: Tx) -> dict[str, Any]:
        name = await _require_tld(tx, tld)
        state = await repo.fetch_state(tx.conn, name)
        state["pending"] = await repo.count_changes(tx.conn, name)
        state["delegations"] = await repo.count_published_delegations(tx.conn, name)
        state["parked"] = await repo.fetch_parked(tx.conn, name)
        return state
    return await core.db.transaction(run, readonly=True)
