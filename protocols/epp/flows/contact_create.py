"""<contact:create> (RFC 5733 3.2.1)."""

from __future__ import annotations

from protocols.epp.codec import CONTACT_NS
from protocols.epp.contact_read import auth_info, c, data, disclose, handle_of, phone, postal
from protocols.epp.request import Reply, Request, epp_datetime, sub
from registry_core.model.contact import ContactCreate
from registry_core.services import contacts


async def run(req: Request) -> Reply:
    body = req.body
    voice, voice_ext = phone(body, "voice")
    fax, fax_ext = phone(body, "fax")
    created = await contacts.create_contact(req.core, req.actor, ContactCreate(
        handle_of(body), tuple(postal(el) for el in body.findall(c("postalInfo"))),
        (body.findtext(c("email")) or "").strip(), auth_info(body) or "", voice or None, voice_ext, fax or None,
        fax_ext, disclose(body)))
    cre = data("creData")
    sub(cre, CONTACT_NS, "id", created.handle)
    sub(cre, CONTACT_NS, "crDate", epp_datetime(created.created_at))
    return Reply(res_data=cre)
