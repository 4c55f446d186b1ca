"""RGP restore (RFC 3915 sections 3.2.5 and 4.2.5): request, then report.

A restore request on a domain in redemptionPeriod charges the restore fee (plus a year's
renewal when the domain has expired meanwhile) and puts it in pendingRestore. The report
then brings it back to ok. Without a report before the TLD's restore window closes, the
lifecycle runner returns it to redemption and refunds the request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import lifecycle as repo
from registry_core.db.tx import Tx
from registry_core.errors import (
    MissingParameter,
    NotInRedemptionPeriod,
    RestoreNotRequested,
    RestoreReportInvalid,
    not_found,
)
from registry_core.model import lifecycle as lc
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.authority import require_sponsor
from registry_core.model.lifecycle import RestoreCompleted, RestoreReport, RestoreRequested
from registry_core.model.periods import add_years
from registry_core.model.pricing import accept_fee
from registry_core.model.registrar import Tld
from registry_core.services import grace, notifications, pricing, transitions
from registry_core.services.domains import lock_domain

MAX_REPORT_TEXT = 64_000


async def _current(tx: Tx, core: Core, actor: Actor, name: str) -> tuple[dict[str, Any], Tld]:
    """The sponsor's domain, locked, with any lifecycle step already due applied first."""
    row, tld = await lock_domain(tx, name)
    require_sponsor(actor, row, "domain", row["name"])
    if row["rgp_state"] is not None and row["rgp_until"] <= tx.now:
        await transitions.advance(tx, core, Actor("", actor.sv_trid), row, tld)
        row = await domain_repo.fetch_domain_by_id(tx.conn, row["id"], lock=True)
        if row["deleted_at"] is not None:
            raise not_found("domain", row["name"])  # its pendingDelete period is over
    return row, tld


async def restore_request(core: Core, actor: Actor, name: str, *, accepted_fee: Decimal | None = None,
                          fee_currency: str | None = None) -> RestoreRequested:
    """<domain:update> with <rgp:restore op="request">. `accepted_fee` is the client's
    RFC 8748 fee:update amount, None when it sent none."""
    async def run(tx: Tx) -> RestoreRequested:
        row, tld = await _current(tx, core, actor, name)
        if row["rgp_state"] != "redemptionPeriod":
            raise NotInRedemptionPeriod("only a domain in redemptionPeriod can be restored",
                                        object_type="domain", name=row["name"], field="status",
                                        value=row["rgp_state"] or "ok")
        renew_years = 1 if row["expires_at"] <= tx.now else 0
        quote = await pricing.quote_in(tx, actor.registrar_id, row["name"], tld, "restore", None,
                                       with_renew=renew_years)
        accept_fee(quote, accepted_fee, fee_currency)
        until = tx.now + tld.pending_restore_period
        expires = add_years(row["expires_at"], renew_years)
        values = {"rgp_state": lc.PENDING_RESTORE, "rgp_until": until, "expires_at": expires,
                  "updated_at": tx.now, "updater_id": actor.registrar_id}
        await domain_repo.update_domain(tx.conn, row["id"], values)
        await pricing.charge_quote(tx, actor, actor.registrar_id, quote, ("domain", row["id"], row["name"]))
        await grace.open_grace(tx, row["id"], lc.PENDING_RESTORE, actor.registrar_id, actor.sv_trid,
                               tld.pending_restore_period, quote, renew_years)
        await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], "restore-request",
                                     {"rgp_state": row["rgp_state"], "expires_at": row["expires_at"]},
                                     {"rgp_state": lc.PENDING_RESTORE, "until": until,
                                      "expires_at": expires, "charged": str(quote.total)})
        return RestoreRequested(row["name"], (lc.PENDING_RESTORE,), quote.fees, quote.currency, expires)
    return await core.db.transaction(run)


def _check_report(name: str, report: RestoreReport) -> None:
    texts = [report.pre_data, report.post_data, report.reason, *report.statements, report.other or ""]
    if not report.reason.strip() or not report.statements or not all(s.strip() for s in report.statements):
        raise MissingParameter("a restore report needs a reason and its statements", object_type="domain",
                               name=name, field="resReason" if not report.reason.strip() else "statement")
    if sum(len(t) for t in texts) > MAX_REPORT_TEXT:
        raise RestoreReportInvalid("restore report too long", object_type="domain", name=name, field="report")
    if report.restored_at < report.deleted_at:
        raise RestoreReportInvalid("resTime lies before delTime", object_type="domain", name=name,
                                   field="resTime", value=report.restored_at.isoformat())


async def restore_report(core: Core, actor: Actor, name: str, report: RestoreReport) -> RestoreCompleted:
    """<domain:update> with <rgp:restore op="report">: completes a pending restore request
    (the fee was charged by the request). Without a request, or once its window has
    closed, it fails with RestoreNotRequested."""
    async def run(tx: Tx) -> RestoreCompleted:
        row, _tld = await _current(tx, core, actor, name)
        if row["rgp_state"] != lc.PENDING_RESTORE:
            raise RestoreNotRequested("no restore request is pending (none made, or its window has closed)",
                                      object_type="domain", name=row["name"], field="status",
                                      value=row["rgp_state"] or "ok")
        _check_report(row["name"], report)
        await repo.insert_restore_report(tx.conn, {
            "domain_id": row["id"], "registrar_id": actor.registrar_id, "submitted_at": tx.now,
            "sv_trid": actor.sv_trid, "pre_data": report.pre_data, "post_data": report.post_data,
            "del_time": report.deleted_at, "res_time": report.restored_at, "res_reason": report.reason,
            "statements": list(report.statements), "other": report.other})
        graces = await repo.fetch_grace_periods(tx.conn, row["id"])
        await repo.delete_grace_periods(tx.conn, [g.id for g in graces if g.kind == lc.PENDING_RESTORE],
                                        tx.now)
        statuses = [s for s in row["statuses"] if s != "pendingDelete"]
        await domain_repo.update_domain(tx.conn, row["id"], {
            "statuses": statuses, "rgp_state": None, "rgp_until": None, "redemption_ends_at": None,
            "delete_requested_at": None, "updated_at": tx.now, "updater_id": actor.registrar_id})
        await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[row["id"]])  # back in the zone
        await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], "restore-report",
                                     {"rgp_state": row["rgp_state"], "statuses": list(row["statuses"])},
                                     {"rgp_state": None, "statuses": statuses, "reason": report.reason})
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_RESTORED, row["sponsor_id"], row, {"exDate": row["expires_at"]}))
        return RestoreCompleted(row["name"], (), row["expires_at"])
    return await core.db.transaction(run)
