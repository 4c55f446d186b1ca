"""A change made through the core (what an EPP command does) shows in the very next RDAP
and WHOIS answers: both read the live database, nothing is cached."""

from __future__ import annotations

import asyncio

from protocols.whois.server import start_whois
from registry_core.model.domain import DomainCreate, DomainUpdate
from registry_core.services import domain_update, domains
from tests.conftest import actor
from tests.rdap.data import public_config


async def whois_text(port: int, query: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(query.encode() + b"\r\n")
    data = await reader.read()
    writer.close()
    return data.decode()


async def test_core_update_shows_in_the_next_rdap_and_whois_answers(rdap, seeded, core):
    whois = await start_whois(public_config(), core)
    try:
        before = (await rdap.get(f"domain/{seeded.domain}")).json
        assert "client hold" not in before["status"]
        await domain_update.update_domain(core, actor(), DomainUpdate(
            seeded.domain, add_statuses=frozenset({"clientHold"}), rem_nameservers=(seeded.external_host,),
            rem_all_ds=True))
        after = (await rdap.get(f"domain/{seeded.domain}")).json
        assert "client hold" in after["status"]
        assert [ns["ldhName"] for ns in after["nameservers"]] == [seeded.glue_host]
        assert after["secureDNS"] == {"delegationSigned": False}
        text = await whois_text(whois.port, seeded.domain)
        assert "Domain Status: clientHold https://icann.org/epp#clientHold\r\n" in text
        assert f"Name Server: {seeded.external_host}" not in text and "DNSSEC: unsigned\r\n" in text
    finally:
        await whois.stop(1.0)


async def test_created_and_deleted_domains_appear_and_go(rdap, seeded, core):
    assert (await rdap.get("domain/fresh.example")).status == 404
    await domains.create_domain(core, actor(), DomainCreate("fresh.example", 1, auth_info="Fresh-Auth1"))
    assert (await rdap.get("domain/fresh.example")).status == 200
    await domains.delete_domain(core, actor(), "fresh.example")
    reply = await rdap.get("domain/fresh.example")
    assert reply.status == 404 or "pending delete" in reply.json["status"]
