"""<domain:info> (RFC 5731 3.1.2) with secDNS infData (RFC 5910 5.1.2) and rgp infData
(RFC 3915 3.1.2), each for a client that announced the extension at login."""

from __future__ import annotations

from protocols.epp.codec import DOMAIN_NS, RGP_NS, SECDNS_NS
from protocols.epp.domain_read import auth_info, d, name_of
from protocols.epp.extensions import rgp, secdns
from protocols.epp.request import Element, Reply, Request, element, epp_datetime, sub
from registry_core.model.domain import DomainInfo
from registry_core.services import domains


def inf_data(info: DomainInfo, hosts: str) -> Element:
    data = element(DOMAIN_NS, "infData", "domain")
    sub(data, DOMAIN_NS, "name", info.name)
    sub(data, DOMAIN_NS, "roid", info.roid)
    for status in info.statuses:
        sub(data, DOMAIN_NS, "status", s=status)
    if info.full:
        if info.registrant:
            sub(data, DOMAIN_NS, "registrant", info.registrant)
        for role, handle in info.contacts:
            sub(data, DOMAIN_NS, "contact", handle, type=role)
    if hosts in ("all", "del") and info.nameservers:
        ns = sub(data, DOMAIN_NS, "ns")
        for host in info.nameservers:
            sub(ns, DOMAIN_NS, "hostObj", host)
    if hosts in ("all", "sub"):
        for host in info.subordinate_hosts:
            sub(data, DOMAIN_NS, "host", host)
    sub(data, DOMAIN_NS, "clID", info.sponsor_id)
    sub(data, DOMAIN_NS, "crID", info.creator_id)
    sub(data, DOMAIN_NS, "crDate", epp_datetime(info.created_at))
    if info.updater_id and info.updated_at:
        sub(data, DOMAIN_NS, "upID", info.updater_id)
        sub(data, DOMAIN_NS, "upDate", epp_datetime(info.updated_at))
    sub(data, DOMAIN_NS, "exDate", epp_datetime(info.expires_at))
    if info.transferred_at:
        sub(data, DOMAIN_NS, "trDate", epp_datetime(info.transferred_at))
    if info.auth_info is not None:
        sub(sub(data, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", info.auth_info)
    return data


async def run(req: Request) -> Reply:
    name_el = req.body.find(d("name"))
    hosts = name_el.get("hosts", "all") if name_el is not None else "all"
    info = await domains.info_domain(req.core, req.actor, name_of(req.body), auth_info(req.body))
    reply = Reply(res_data=inf_data(info, hosts))
    if info.ds and SECDNS_NS in req.session.ext_uris:
        reply.extensions.append(secdns.info(info.ds))
    if info.rgp_statuses and RGP_NS in req.session.ext_uris:
        reply.extensions.append(rgp.info(info.rgp_statuses))
    return reply
