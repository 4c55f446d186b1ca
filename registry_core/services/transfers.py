"""Transfers of domains and contacts (RFC 5730 2.9.3.4, RFC 5731 3.2.4, RFC 5733 3.2.4).

A request puts the object in pendingTransfer and charges the gaining registrar for a
domain; the losing registrar approves or rejects, the gaining one may cancel, and the
server approves by itself when the TLD's waiting time runs out. Every step queues a poll
message to both registrars. On approval the sponsor changes, a domain gains the period,
subordinate hosts follow, and the authInfo is replaced (the old one must not work again).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import contacts as contact_repo
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import hosts as host_repo
from registry_core.db.repo import lifecycle as lifecycle_repo
from registry_core.db.repo import objects, tlds
from registry_core.db.tx import Tx
from registry_core.errors import (
    AuthInfoInvalid,
    NotEligibleForTransfer,
    NotSponsor,
    PolicyViolation,
    StatusProhibits,
    TransferAlreadyPending,
    TransferNotPending,
    ValueOutOfRange,
    not_found,
)
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.authority import new_auth_info
from registry_core.model.lifecycle import Charge
from registry_core.model.periods import MAX_YEARS, add_years
from registry_core.model.pricing import FeeQuote, accept_fee
from registry_core.model.registrar import Tld
from registry_core.model.statuses import require_allowed
from registry_core.model.transfer import TransferInfo
from registry_core.services import grace, lock_refusals, notifications, pricing
from registry_core.services.billing import charge, price
from registry_core.services.tlds import find_tld

_MESSAGES = {
    "pending": "Transfer requested.",
    "clientApproved": "Transfer approved.",
    "clientRejected": "Transfer rejected.",
    "clientCancelled": "Transfer cancelled.",
    "serverApproved": "Transfer approved by the registry.",
    "serverCancelled": "Transfer cancelled by the registry.",
}


async def _load(tx: Tx, object_type: str, name: str, *, lock: bool = True) -> tuple[dict[str, Any], Tld | None]:
    if object_type == "domain":
        domain_name, tld = await find_tld(tx, name)
        row = await domain_repo.fetch_domain_by_name(tx.conn, domain_name, lock=lock)
        if row is None:
            raise not_found("domain", domain_name)
        return row, tld
    row = await contact_repo.fetch_contact_by_handle(tx.conn, name, lock=lock)
    if row is None:
        raise not_found("contact", name)
    return row, None


def _name(object_type: str, row: dict[str, Any]) -> str:
    return str(row["name"] if object_type == "domain" else row["handle"])


async def _notify(tx: Tx, sv_trid: str, object_type: str, roid: str, info: TransferInfo) -> None:
    """The event to both registrars (gaining first), each with its poll message."""
    payload = {"object_type": object_type, "name": info.name, "trStatus": info.status, "reID": info.gaining_id,
               "reDate": info.requested_at, "acID": info.losing_id, "acDate": info.action_due,
               "exDate": info.expires_at}
    body = {**payload, object_type: info.name, "gaining": info.gaining_id, "losing": info.losing_id,
            "action": _MESSAGES[info.status]}
    if info.status == "pending":
        body["action_by"] = info.action_due
    if info.expires_at is not None:
        body["expiry"] = info.expires_at
    event_type = note.transfer_event(object_type, info.status)
    for registrar in (info.gaining_id, info.losing_id):  # the poll messages in this order, as always
        await notifications.emit(tx, sv_trid, note.Event(
            event_type, note.registrar_audience(registrar), {**body, "registrar": registrar}, object_type,
            info.name, roid, note.PollEntry("transfer", _MESSAGES[info.status], payload)))


def _new_expiry(tx: Tx, tld: Tld, row: dict[str, Any], period: int | None) -> tuple[int, Any]:
    years = tld.transfer_period_years if period is None else period
    if not 0 <= years <= tld.max_period_years:
        raise ValueOutOfRange("transfer period out of range", object_type="domain", name=row["name"],
                              field="period", value=str(years))
    expires = add_years(row["expires_at"], years)
    if expires > add_years(tx.now, MAX_YEARS):
        raise PolicyViolation(f"expiry may not lie more than {MAX_YEARS} years ahead", object_type="domain",
                              name=row["name"], field="period", value=str(years))
    return years, expires


async def request_transfer(core: Core, actor: Actor, object_type: str, name: str, auth_info: str | None,
                           period_years: int | None = None, *, accepted_fee: Decimal | None = None,
                           fee_currency: str | None = None) -> TransferInfo:
    """`accepted_fee` is the fee the client agreed to (RFC 8748), None when it sent none."""
    async def run(tx: Tx) -> TransferInfo:
        row, tld = await _load(tx, object_type, name)
        obj_name = _name(object_type, row)
        if row["sponsor_id"] == actor.registrar_id:
            raise NotEligibleForTransfer("the object is already yours", object_type=object_type, name=obj_name)
        if auth_info is None or not core.cipher.matches(row["auth_info"], auth_info,
                                                         f"{object_type}:{row['roid']}"):
            raise AuthInfoInvalid("authorization information does not match", object_type=object_type,
                                  name=obj_name)
        if await objects.fetch_pending_transfer(tx.conn, object_type, row["id"]):
            raise TransferAlreadyPending("a transfer is already pending", object_type=object_type, name=obj_name)
        require_allowed("transfer", row["statuses"], object_type, obj_name)
        years, expires = _new_expiry(tx, tld, row, period_years) if tld else (None, None)
        quote = await pricing.quote_in(tx, actor.registrar_id, obj_name, tld, "transfer", years) \
            if tld and years else None
        if quote is not None:
            accept_fee(quote, accepted_fee, fee_currency)
        days = tld.transfer_auto_approve_days if tld else 5.0
        info = await objects.insert_transfer(tx.conn, {
            "object_type": object_type, "object_id": row["id"], "object_name": obj_name, "status": "pending",
            "gaining_id": actor.registrar_id, "losing_id": row["sponsor_id"], "requested_at": tx.now,
            "action_due": tx.now + timedelta(days=days), "period_years": years, "expires_at": expires,
            "charged": quote.total if quote else None})
        if quote is not None:
            await pricing.charge_quote(tx, actor, actor.registrar_id, quote, (object_type, row["id"], obj_name))
        await objects.insert_history(tx.conn, actor, tx.now, object_type, row["id"], obj_name,
                                     "transfer-request", None, {"gaining": actor.registrar_id})
        await _notify(tx, actor.sv_trid, object_type, row["roid"], info)
        return replace(info, currency=tld.currency if tld else None)
    try:
        return await core.db.transaction(run)
    except StatusProhibits as refusal:
        await lock_refusals.record_refusal(core, actor, refusal, "transfer")
        raise


async def _approve_domain(tx: Tx, actor: Actor, row: dict[str, Any], tld: Tld,
                          pending: dict[str, Any]) -> datetime:
    """The domain side of an approval: an auto-renew inside its grace period is undone and
    refunded to the losing registrar (its year replaced by the transfer's), the loser's
    other grace periods close, and the gaining registrar's transfer grace period opens.
    Returns the new expiry date."""
    graces = await lifecycle_repo.fetch_grace_periods(tx.conn, row["id"])
    renewals = [g for g in graces if g.kind == "autoRenewPeriod" and g.ends_at > tx.now]
    await grace.refund_graces(tx, actor, row, renewals, "undone by transfer")
    await lifecycle_repo.delete_all_grace_periods(tx.conn, row["id"], tx.now)
    base = row["expires_at"]
    for period in renewals:
        base = add_years(base, -period.period_years)
    expires = add_years(base, pending["period_years"] or 0)
    charged = pending["charged"]
    if charged:
        quote = FeeQuote(row["name"], "transfer", pending["period_years"], tld.currency,
                         fees=(Charge("transfer", charged, pending["period_years"]),))
        await grace.open_grace(tx, row["id"], "transferPeriod", pending["gaining_id"], actor.sv_trid,
                               tld.transfer_grace, quote)
    return expires


def _refund_amount(tld: Tld, pending: dict[str, Any]) -> Decimal:
    if pending["charged"] is not None:
        return Decimal(pending["charged"])
    return price(tld, "transfer", pending["period_years"] or 0)


async def finish_transfer(tx: Tx, core: Core, actor: Actor, object_type: str, row: dict[str, Any],
                          tld: Tld | None, pending: dict[str, Any], status: str) -> TransferInfo:
    """Close a pending transfer (approved, rejected, cancelled) inside the caller's transaction."""
    obj_name = _name(object_type, row)
    approved = status in ("clientApproved", "serverApproved")
    expires = None
    if approved:
        values: dict[str, Any] = {"sponsor_id": pending["gaining_id"], "transferred_at": tx.now,
                                  "updated_at": tx.now, "updater_id": pending["gaining_id"],
                                  "auth_info": core.cipher.encrypt(new_auth_info(), f"{object_type}:{row['roid']}")}
        if object_type == "domain" and tld is not None:
            expires = values["expires_at"] = await _approve_domain(tx, actor, row, tld, pending)
            await domain_repo.update_domain(tx.conn, row["id"], values)
            await host_repo.set_hosts_sponsor(tx.conn, row["id"], pending["gaining_id"], tx.now)
        else:
            await contact_repo.update_contact(tx.conn, row["id"], values)
    elif tld and pending["period_years"]:
        await charge(tx, actor, pending["gaining_id"], _refund_amount(tld, pending), tld.currency, "refund",
                     (object_type, row["id"], obj_name), pending["period_years"], f"transfer {status}")
    info = await objects.close_transfer(tx.conn, pending["id"], status, tx.now, expires)
    await objects.insert_history(tx.conn, actor, tx.now, object_type, row["id"], obj_name, f"transfer-{status}",
                                 {"sponsor_id": row["sponsor_id"], "expires_at": row.get("expires_at")},
                                 {"sponsor_id": pending["gaining_id"] if approved else row["sponsor_id"],
                                  "expires_at": expires or row.get("expires_at")})
    await _notify(tx, actor.sv_trid, object_type, row["roid"], info)
    return info


async def act_on_transfer(core: Core, actor: Actor, object_type: str, name: str, op: str) -> TransferInfo:
    """op is approve / reject (losing registrar) or cancel (gaining registrar)."""
    async def run(tx: Tx) -> TransferInfo:
        row, tld = await _load(tx, object_type, name)
        obj_name = _name(object_type, row)
        pending = await objects.fetch_pending_transfer(tx.conn, object_type, row["id"])
        if pending is None:
            raise TransferNotPending("no transfer is pending", object_type=object_type, name=obj_name)
        allowed = pending["gaining_id"] if op == "cancel" else pending["losing_id"]
        if actor.registrar_id != allowed:
            raise NotSponsor(f"only the {'gaining' if op == 'cancel' else 'losing'} registrar may {op}",
                             object_type=object_type, name=obj_name)
        status = {"approve": "clientApproved", "reject": "clientRejected", "cancel": "clientCancelled"}[op]
        return await finish_transfer(tx, core, actor, object_type, row, tld, pending, status)
    return await core.db.transaction(run)


async def query_transfer(core: Core, actor: Actor, object_type: str, name: str,
                         auth_info: str | None = None) -> TransferInfo:
    async def run(tx: Tx) -> TransferInfo:
        row, _tld = await _load(tx, object_type, name, lock=False)
        obj_name = _name(object_type, row)
        latest = await objects.fetch_latest_transfer(tx.conn, object_type, row["id"])
        parties = {row["sponsor_id"]} | ({latest.gaining_id, latest.losing_id} if latest else set())
        if actor.registrar_id not in parties:
            if auth_info is None:
                raise NotSponsor("transfer data needs sponsorship or authInfo", object_type=object_type,
                                 name=obj_name)
            if not core.cipher.matches(row["auth_info"], auth_info, f"{object_type}:{row['roid']}"):
                raise AuthInfoInvalid("authorization information does not match", object_type=object_type,
                                      name=obj_name)
        if latest is None:
            raise TransferNotPending("no transfer has been requested", object_type=object_type, name=obj_name)
        return latest
    return await core.db.transaction(run, readonly=True)


async def approve_due_transfers_counted(core: Core, batch: int = 500) -> tuple[int, int]:
    """Server-approve every pending transfer whose waiting time has run out, `batch` candidates
    at a time: (approved, skipped). Idempotent and safe beside another runner: each approval
    is its own transaction that locks the object with SKIP LOCKED and checks again that the
    transfer is still pending and due; skipped ones were held by another transaction at the
    time (the next pass takes them)."""
    now, after, approved, skipped = core.db.clock.now(), 0, 0, 0
    while True:
        candidates = await _due_candidates(core, now, after, batch)
        for candidate in candidates:
            if await _approve(core, candidate):
                approved += 1
            else:
                skipped += 1
        if len(candidates) < batch:
            return approved, skipped
        after = candidates[-1]["id"]


async def _due_candidates(core: Core, now: datetime, after: int, batch: int) -> list[dict[str, Any]]:
    async def run(tx: Tx) -> list[dict[str, Any]]:
        return await lifecycle_repo.fetch_due_transfer_candidates(tx.conn, now, after, batch)
    return await core.db.transaction(run, readonly=True)


async def _approve(core: Core, candidate: dict[str, Any]) -> bool:
    async def run(tx: Tx) -> bool:
        return await _approve_one(tx, core, candidate)
    return await core.db.transaction(run)


async def _approve_one(tx: Tx, core: Core, candidate: dict[str, Any]) -> bool:
    row = await lifecycle_repo.lock_object_if_free(tx.conn, candidate["object_type"], candidate["object_id"])
    if row is None:
        return False
    pending = await lifecycle_repo.fetch_due_pending_transfer(tx.conn, candidate["id"], tx.now)
    if pending is None:
        return False
    tld = await tlds.fetch_tld_by_name(tx, row["tld"]) if pending["object_type"] == "domain" else None
    actor = Actor("", f"auto-transfer-{pending['id']}")
    await finish_transfer(tx, core, actor, pending["object_type"], row, tld, pending, "serverApproved")
    return True
