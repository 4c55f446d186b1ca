"""<contact:update> (RFC 5733 3.2.5)."""

from __future__ import annotations

from protocols.epp.contact_read import auth_info, c, disclose, handle_of, phone, postal_change
from protocols.epp.request import Element, Reply, Request
from registry_core.model.contact import ContactUpdate
from registry_core.services import contacts


def _statuses(body: Element, local: str) -> frozenset[str]:
    el = body.find(c(local))
    return frozenset() if el is None else frozenset(s.get("s") or "" for s in el.findall(c("status")))


async def run(req: Request) -> Reply:
    body = req.body
    chg = body.find(c("chg"))
    update = ContactUpdate(handle_of(body), _statuses(body, "add"), _statuses(body, "rem"))
    if chg is not None:
        voice, voice_ext = phone(chg, "voice")
        fax, fax_ext = phone(chg, "fax")
        email = chg.findtext(c("email"))
        update = ContactUpdate(
            update.handle, update.add_statuses, update.rem_statuses,
            tuple(postal_change(el) for el in chg.findall(c("postalInfo"))), voice, voice_ext, fax, fax_ext,
            email.strip() if email is not None else None, auth_info(chg), disclose(chg))
    await contacts.update_contact(req.core, req.actor, update)
    return Reply()
