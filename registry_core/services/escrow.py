"""Data escrow deposits (RFC 8909, RFC 9022): which deposit is due per TLD and mode, the
objects of one deposit read in one REPEATABLE READ snapshot and streamed, a batch at a
time, to a sink (the XML writer of protocols/escrow/), and the log and cursor moved after
the file is made.

DIFF deposits hold the objects whose history rows follow the previous deposit's history
lane heads (the hash chains of registry_core/model/audit.py: a lane's rows are appended one
committing transaction after another, so "seq after the recorded head" is exactly "committed
after that snapshot", with no clock skew or long-transaction gap that an updated_at window
has), plus the domains whose grace period ended in between (a status change by time alone),
plus the hosts and contacts of changed domains; objects deleted since go to <deletes>. The
"since" of the history dates and grace periods is the previous deposit's watermark, and a
deposit holds its objects as they stood at its own watermark (services/escrow_at.py), so
consecutive deposits chain watermark to watermark however late each was read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from registry_core.context import Core
from registry_core.db.repo import escrow as repo
from registry_core.db.tx import Tx
from registry_core.errors import MissingParameter, ObjectNotFound, ValueOutOfRange
from registry_core.model import escrow
from registry_core.model import notification as note
from registry_core.model.contact import PostalInfo
from registry_core.model.domain import DsData
from registry_core.model.escrow import (
    DepositCounts,
    DepositPlan,
    EscrowAddress,
    EscrowContact,
    EscrowDelete,
    EscrowDomain,
    EscrowHost,
    EscrowRegistrar,
    EscrowTransfer,
)
from registry_core.model.names import to_unicode
from registry_core.model.statuses import displayed_statuses
from registry_core.services import notifications
from registry_core.services.escrow_at import PastView

BATCH = 1000  # objects per hand-over to the sink (two batches in memory at most)


class DepositSink(Protocol):
    """Where a deposit's values go, in order: begin, batches (deletes first), end."""

    async def begin(self, plan: DepositPlan, menu: tuple[str, ...]) -> None: ...

    async def write(self, items: list[Any]) -> None: ...

    async def end(self, tld: str, counts: DepositCounts) -> None: ...


@dataclass(frozen=True)
class WrittenDeposit:
    plan: DepositPlan
    snapshot_at: datetime
    lanes: tuple[int, ...]
    counts: dict[str, int]


async def next_plan(core: Core, tld: str, mode: str) -> DepositPlan | None:
    """The oldest deposit of `mode` due and not yet written (the cursor's), or None. A mode
    without a cursor yet starts the day after the TLD's latest deposit of any mode (a mode
    with nothing due on the first run is not forgotten), else the day of this run."""
    async def run(tx: Tx) -> DepositPlan | None:
        await _require_tld(tx, tld)
        cursor = await repo.fetch_cursor(tx.conn, tld, mode)
        if cursor is None:
            latest = await repo.fetch_latest_watermark(tx.conn, tld)
            cursor = escrow.day_of(tx.now) if latest is None else escrow.day_of(latest) + timedelta(days=1)
        due = next(escrow.due_watermarks(mode, cursor, tx.now), None)
        return None if due is None else await _plan(tx, tld, mode, due)
    return await core.db.transaction(run, readonly=True)


async def plan_at(core: Core, tld: str, mode: str, watermark: datetime) -> DepositPlan:
    """A deposit of `mode` at `watermark`, whatever the cursor says (a resend if one was written)."""
    async def run(tx: Tx) -> DepositPlan:
        await _require_tld(tx, tld)
        if watermark > tx.now:
            raise ValueOutOfRange("a watermark cannot be in the future", field="watermark",
                                  value=watermark.isoformat())
        plan = await _plan(tx, tld, mode, watermark)
        return replace(plan, resend=await repo.fetch_resends(tx.conn, tld, plan.mode, watermark))
    return await core.db.transaction(run, readonly=True)


async def _require_tld(tx: Tx, tld: str) -> dict[str, Any]:
    row = await repo.fetch_escrow_tld(tx.conn, tld)
    if row is None:
        raise ObjectNotFound("no such TLD", object_type="tld", name=tld)
    return row


async def _plan(tx: Tx, tld: str, mode: str, watermark: datetime) -> DepositPlan:
    """A DIFF needs the FULL or DIFF before it; without one, a FULL is written instead."""
    if mode != "diff":
        return DepositPlan(tld, mode, "FULL", watermark)
    previous = await repo.fetch_previous_deposit(tx.conn, tld, watermark)
    if previous is None:
        return DepositPlan(tld, "full", "FULL", watermark, cursor_mode="diff")
    return DepositPlan(tld, "diff", "DIFF", watermark, prev_id=previous["deposit_id"],
                       since_lanes=tuple(previous["lanes"]), since_at=previous["watermark"])


async def write_deposit(core: Core, plan: DepositPlan, sink: DepositSink) -> WrittenDeposit:
    """Stream the deposit's objects to `sink` from one snapshot (not retried: a failed run
    leaves no log row and no cursor move, and is simply run again)."""
    async def run(tx: Tx) -> WrittenDeposit:
        tld = await _require_tld(tx, plan.tld)
        with_contacts = tld["contact_policy"] != "none" and plan.mode != "thin"
        menu = escrow.menu_uris(plan.mode, with_contacts)
        counts = DepositCounts(dict.fromkeys(escrow.counted_uris(menu), 0))
        lanes = tuple(await repo.fetch_lane_seqs(tx.conn))
        past = await PastView.load(tx, plan.tld, plan.watermark)
        await sink.begin(plan, menu)
        changed = await _write_deletes(tx, plan, sink, with_contacts)
        out = _Batcher(sink, counts)
        await _write_objects(tx, plan, out, changed, with_contacts, past)
        await out.flush()
        await sink.end(plan.tld, counts)
        return WrittenDeposit(plan, tx.now, lanes, dict(counts.by_uri))
    return await core.db.snapshot(run)


async def _write_deletes(tx: Tx, plan: DepositPlan, sink: DepositSink,
                         with_contacts: bool) -> dict[str, set[int]] | None:
    if plan.deposit_type != "DIFF":
        return None
    assert plan.since_lanes is not None and plan.since_at is not None
    changed = await repo.fetch_changed_ids(tx.conn, plan.since_lanes, plan.since_at, plan.watermark, plan.tld)
    deleted = [EscrowDelete(kind, key) for kind, key in await repo.fetch_deleted(tx.conn, plan.tld, changed,
                                                                                 plan.watermark)
               if with_contacts or kind != "contact"]
    for start in range(0, len(deleted), BATCH):
        await sink.write(deleted[start:start + BATCH])
    return changed


class _Batcher:
    def __init__(self, sink: DepositSink, counts: DepositCounts) -> None:
        self.sink, self.counts = sink, counts
        self.items: list[Any] = []

    async def add(self, items: list[Any]) -> None:
        for item in items:
            self.counts.add(item)
        self.items += items
        if len(self.items) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        if self.items:
            items, self.items = self.items, []
            await self.sink.write(items)


async def _write_objects(tx: Tx, plan: DepositPlan, out: _Batcher, changed: dict[str, set[int]] | None,
                         with_contacts: bool, past: PastView) -> None:
    """Each kind's objects at the watermark: the scan (changed rows taken back), then what
    only the past holds. Domains first: the hosts and contacts they named then follow."""
    def ids(kind: str) -> list[int] | None:
        return None if changed is None else sorted(changed[kind])
    at = plan.watermark
    domain = (lambda r: _thin(_domain(r))) if plan.mode == "thin" else _domain
    await _each(past.scan("domain", repo.iter_domains(tx.conn, plan.tld, at, ids("domain"))), domain, out)
    await out.add([domain(r) for r in await past.extras("domain", ids("domain"))])
    if plan.mode != "thin":
        await _each(past.scan("host", repo.iter_hosts(tx.conn, plan.tld, ids("host"))), _host, out)
        await out.add([_host(r) for r in await past.extras("host", ids("host"))])
    if with_contacts:
        await _each(past.scan("contact", repo.iter_contacts(tx.conn, plan.tld, at, ids("contact"))), _contact, out)
        await out.add([_contact(r) for r in await past.extras("contact", ids("contact"))])
    await _each(repo.iter_registrars(tx.conn), _registrar, out)


async def _each(batches: AsyncIterator[list[Any]], convert: Callable[[Any], Any], out: _Batcher) -> None:
    async for rows in batches:
        await out.add([convert(row) for row in rows])


def _transfer(row: dict[str, Any]) -> EscrowTransfer | None:
    if row["tr_status"] is None:
        return None
    return EscrowTransfer(row["tr_status"], row["tr_gaining"], row["tr_requested"], row["tr_losing"],
                          row["tr_due"], row["tr_expires"])


def _rgp(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(set(row["graces"]) | ({row["rgp_state"]} if row["rgp_state"] else set())))


def _domain(row: dict[str, Any]) -> EscrowDomain:
    u_name = to_unicode(row["name"])
    statuses = displayed_statuses(row["statuses"], pending_transfer=row["tr_status"] == "pending",
                                  inactive=not row["nameservers"])
    contacts = tuple((role, handle) for role, _, handle in (c.partition(" ") for c in row["contacts"]))
    return EscrowDomain(
        row["name"], row["roid"], u_name if u_name != row["name"] else None, tuple(statuses), _rgp(row),
        row["registrant"], contacts, tuple(row["nameservers"]), row["sponsor_id"], row["creator_id"],
        row["created_at"], row["expires_at"], row["updater_id"], row["updated_at"],
        tuple(DsData(*d) for d in row["ds"] or ()), row["transferred_at"], _transfer(row))


def _thin(domain: EscrowDomain) -> EscrowDomain:
    """The BRDA view (ICANN Registry Agreement Specification 4, 3.1): no contacts, name
    servers, DS or transfer data."""
    return replace(domain, registrant=None, contacts=(), nameservers=(), ds=(), transfer=None)


def _host(row: dict[str, Any]) -> EscrowHost:
    statuses = displayed_statuses(row["statuses"], linked=row["linked"])
    return EscrowHost(row["name"], row["roid"], tuple(statuses), tuple(row["addresses"]), row["sponsor_id"],
                      row["creator_id"], row["created_at"], row["updater_id"], row["updated_at"],
                      row["transferred_at"])


def _contact(row: dict[str, Any]) -> EscrowContact:
    postal = tuple(PostalInfo.from_json(kind, row[f"postal_{kind}"]) for kind in ("int", "loc")
                   if row[f"postal_{kind}"])
    statuses = displayed_statuses(row["statuses"], pending_transfer=row["tr_status"] == "pending",
                                  linked=row["linked"])
    return EscrowContact(row["handle"], row["roid"], tuple(statuses), postal, row["voice"], row["voice_ext"],
                         row["fax"], row["fax_ext"], row["email"], row["sponsor_id"], row["creator_id"],
                         row["created_at"], row["updater_id"], row["updated_at"], row["transferred_at"],
                         _transfer(row))


def _registrar(row: dict[str, Any]) -> EscrowRegistrar:
    """RFC 9022 5.4 requires a postal address (city, country) and an email address."""
    if not row["city"] or not row["cc"] or not row["email"]:
        raise MissingParameter("an escrowed registrar needs an address (city, country code) and an email",
                               object_type="registrar", name=row["id"], field="address")
    address = EscrowAddress(tuple(row["street"]), row["city"], row["sp"], row["pc"], row["cc"])
    return EscrowRegistrar(row["id"], row["name"], row["iana_id"], escrow.registrar_status(row["status"]),
                           address, row["voice"], row["fax"], row["email"], row["url"], row["whois_server"],
                           row["created_at"], row["updated_at"])


async def record_deposit(core: Core, written: WrittenDeposit, file_name: str, *, move_cursor: bool) -> None:
    """Log the deposit and (for a scheduled run) move its cursor past it, in one transaction."""
    plan = written.plan

    async def run(tx: Tx) -> None:
        await repo.insert_deposit(tx.conn, {
            "tld": plan.tld, "mode": plan.mode, "deposit_type": plan.deposit_type, "deposit_id": plan.id,
            "prev_id": plan.prev_id, "watermark": plan.watermark, "resend": plan.resend,
            "snapshot_at": written.snapshot_at, "lanes": list(written.lanes), "counts": written.counts,
            "file_name": file_name, "written_at": tx.now})
        if move_cursor:
            cursor_mode = plan.cursor_mode or plan.mode
            current = await repo.fetch_cursor(tx.conn, plan.tld, cursor_mode, lock=True)
            following = escrow.following(cursor_mode, plan.watermark)
            if current is None or current < following:
                await repo.upsert_cursor(tx.conn, plan.tld, cursor_mode, following)
    await core.db.transaction(run)


async def list_deposits(core: Core, tld: str, *, undelivered: bool = False,
                        unreported: bool = False) -> list[dict[str, Any]]:
    """The deposits logged for `tld`, oldest first (only those not yet uploaded, or uploaded
    and not yet reported to ICANN, if asked)."""
    async def run(tx: Tx) -> list[dict[str, Any]]:
        return await repo.fetch_deposits(tx.conn, tld, undelivered=undelivered, unreported=unreported)
    return await core.db.transaction(run, readonly=True)


async def mark_reported(core: Core, tld: str, file_name: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.mark_reported(tx.conn, tld, file_name, tx.now)
    await core.db.transaction(run)


async def alert_failure(core: Core, stem: str, what: str, detail: str) -> None:
    """Tell the operator (the outbox: e-mail, webhook) that a deposit failed its check, its
    upload or its report; once per deposit and kind of failure, however often it is retried."""
    await notifications.alert_operator(core, notifications.operator_alert(
        note.ESCROW_FAILED, f"Escrow deposit {stem}: {what}", "escrow", detail, f"{note.ESCROW_FAILED}/{stem}/{what}",
        deposit=stem))


async def mark_uploaded(core: Core, tld: str, file_name: str) -> None:
    async def run(tx: Tx) -> None:
        await repo.mark_uploaded(tx.conn, tld, file_name, tx.now)
    await core.db.transaction(run)
