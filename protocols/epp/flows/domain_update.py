"""<domain:update> (RFC 5731 3.2.5) with secDNS update (RFC 5910 5.2.5)."""

from __future__ import annotations

from protocols.epp.codec import SECDNS_NS
from protocols.epp.domain_read import auth_info, contacts, d, name_of, nameservers, statuses
from protocols.epp.extensions import secdns
from protocols.epp.request import Element, Reply, Request
from registry_core.errors import PolicyViolation
from registry_core.model.domain import DomainUpdate
from registry_core.services import domain_update

EXTENSIONS = frozenset({SECDNS_NS})


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


async def run(req: Request) -> Reply:
    body = req.body
    add_ns, add_contacts, add_status = _part(body, "add")
    rem_ns, rem_contacts, rem_status = _part(body, "rem")
    registrant, new_auth = _change(body)
    add_ds, rem_ds, rem_all = secdns.read_update(req.extension(SECDNS_NS))
    await domain_update.update_domain(req.core, req.actor, DomainUpdate(
        name_of(body), add_ns, rem_ns, add_contacts, rem_contacts, add_status, rem_status, registrant, new_auth,
        add_ds, rem_ds, rem_all))
    return Reply()
