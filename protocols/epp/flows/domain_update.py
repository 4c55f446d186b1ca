"""<domain:update> (RFC 5731 3.2.5) with secDNS update (RFC 5910 5.2.5), or an RGP restore
(RFC 3915 4.2.5): request (with the fee the client agrees to, RFC 8748 5.2.5) or report."""

from __future__ import annotations

from protocols.epp.codec import FEE_NS, RGP_NS, SECDNS_NS
from protocols.epp.domain_read import auth_info, contacts, d, name_of, nameservers, statuses
from protocols.epp.extensions import fee, rgp, secdns
from protocols.epp.request import Element, Reply, Request
from registry_core.errors import MissingParameter, PolicyViolation
from registry_core.model.domain import DomainUpdate
from registry_core.model.lifecycle import RestoreReport
from registry_core.services import domain_update
from registry_core.services.restore import restore_report, restore_request

EXTENSIONS = frozenset({SECDNS_NS, RGP_NS, FEE_NS})


def _part(body: Element, local: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], frozenset[str]]:
    el = body.find(d(local))
    if el is None:
        return (), (), frozenset()
    return nameservers(el.find(d("ns"))), contacts(el), statuses(el)


def _change(body: Element) -> tuple[str | None, str | None]:
    chg = body.find(d("chg"))
    if chg is None:
        return None, None
    if chg.find(f"{d('authInfo')}/{d('null')}") is not None:
        raise PolicyViolation("a domain must keep an authInfo", object_type="domain", field="authInfo")
    registrant = chg.find(d("registrant"))
    return (None if registrant is None else (registrant.text or "").strip()), auth_info(chg)


def _only_restore(req: Request, name: str) -> None:
    """A restore changes nothing else: empty add/rem/chg (RFC 3915 4.2.5 sends <domain:chg/>)."""
    changes = [el for local in ("add", "rem", "chg") for el in req.body.findall(d(local)) if len(el)]
    if changes or req.extension(SECDNS_NS) is not None:
        raise PolicyViolation("a restore carries no other change", object_type="domain", name=name,
                              field="update")


async def _restore(req: Request, op: str, report: RestoreReport | None) -> Reply:
    name = name_of(req.body)
    _only_restore(req, name)
    if op == "request":
        accepted, currency = fee.read_agreement(req.extension(FEE_NS))
        done = await restore_request(req.core, req.actor, name, accepted_fee=accepted, fee_currency=currency)
        reply = Reply(extensions=[rgp.up_data(done.rgp_statuses)])
        reply.extensions += await fee.reply_data(req, "updData", done.name, done.currency, fees=done.fees,
                                                 action="restore")
        return reply
    if report is None:
        raise MissingParameter("a restore report needs its <rgp:report>", object_type="domain", name=name,
                               field="report")
    completed = await restore_report(req.core, req.actor, name, report)
    return Reply(extensions=[rgp.up_data(completed.rgp_statuses)] if completed.rgp_statuses else [])


async def run(req: Request) -> Reply:
    if (refused := fee.misplaced(req.extension(FEE_NS), "update")) is not None:
        return refused
    restore = rgp.read_update(req.extension(RGP_NS))
    if restore is not None:
        return await _restore(req, *restore)
    body = req.body
    add_ns, add_contacts, add_status = _part(body, "add")
    rem_ns, rem_contacts, rem_status = _part(body, "rem")
    registrant, new_auth = _change(body)
    add_ds, rem_ds, rem_all = secdns.read_update(req.extension(SECDNS_NS))
    await domain_update.update_domain(req.core, req.actor, DomainUpdate(
        name_of(body), add_ns, rem_ns, add_contacts, rem_contacts, add_status, rem_status, registrant, new_auth,
        add_ds, rem_ds, rem_all))
    return Reply()
