"""<contact:info> (RFC 5733 3.1.2): details for the sponsor or a holder of the authInfo."""

from __future__ import annotations

from protocols.epp.codec import CONTACT_NS
from protocols.epp.contact_read import auth_info, data, handle_of, write_disclose, write_postal
from protocols.epp.request import Reply, Request, epp_datetime, sub
from registry_core.services import contacts


async def run(req: Request) -> Reply:
    info = await contacts.info_contact(req.core, req.actor, handle_of(req.body), auth_info(req.body))
    inf = data("infData")
    sub(inf, CONTACT_NS, "id", info.handle)
    sub(inf, CONTACT_NS, "roid", info.roid)
    for status in info.statuses:
        sub(inf, CONTACT_NS, "status", s=status)
    for postal in sorted(info.postal, key=lambda p: p.type):
        write_postal(inf, postal)
    for local, number, ext in (("voice", info.voice, info.voice_ext), ("fax", info.fax, info.fax_ext)):
        if number:
            sub(inf, CONTACT_NS, local, number, **({"x": ext} if ext else {}))
    sub(inf, CONTACT_NS, "email", info.email)
    sub(inf, CONTACT_NS, "clID", info.sponsor_id)
    sub(inf, CONTACT_NS, "crID", info.creator_id)
    sub(inf, CONTACT_NS, "crDate", epp_datetime(info.created_at))
    if info.updater_id and info.updated_at:
        sub(inf, CONTACT_NS, "upID", info.updater_id)
        sub(inf, CONTACT_NS, "upDate", epp_datetime(info.updated_at))
    if info.transferred_at:
        sub(inf, CONTACT_NS, "trDate", epp_datetime(info.transferred_at))
    if info.auth_info is not None:
        sub(sub(inf, CONTACT_NS, "authInfo"), CONTACT_NS, "pw", info.auth_info)
    if info.disclose is not None:
        write_disclose(inf, info.disclose)
    return Reply(res_data=inf)
