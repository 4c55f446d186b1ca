"""RDAP lookups (RFC 9082 section 3.1) over real HTTP against real PostgreSQL; every
body is checked against the RFC 9083 structure."""

from __future__ import annotations

import asyncio

from registry_core.services import tlds
from tests.core.helpers import make_domain
from tests.rdap.data import DIGEST, DOMAIN_AUTH
from tests.rdap.rfc9083 import check_help, check_object, walk_strings

RDAP_JSON = "application/rdap+json"


def assert_rdap_headers(reply) -> None:
    assert reply.headers["Content-Type"] == RDAP_JSON
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


async def test_domain_lookup_shows_the_registration(rdap, seeded):
    reply = await rdap.get(f"domain/{seeded.domain}")
    assert reply.status == 200
    assert_rdap_headers(reply)
    doc = reply.json
    assert check_object(doc, "domain") == []
    assert doc["ldhName"] == seeded.domain and doc["handle"].endswith("-EXAMPLE")
    assert doc["status"] == ["active", "add period"]  # RFC 3915 addPeriod right after create
    assert [e["eventAction"] for e in doc["events"]] == [
        "registration", "expiration", "last changed", "last update of RDAP database"]
    assert doc["links"][0]["rel"] == "self" and doc["links"][0]["href"] == f"{rdap.base}domain/{seeded.domain}"
    assert doc["secureDNS"] == {"delegationSigned": True, "dsData": [
        {"keyTag": 12345, "algorithm": 13, "digest": DIGEST, "digestType": 2}]}
    assert doc["port43"] == "whois.nic.example"
    assert [e["roles"] for e in doc["entities"]] == [["registrar"], ["registrant"], ["administrative"],
                                                     ["technical"]]


async def test_domain_nameservers_carry_glue_only_for_subordinate_hosts(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    servers = {ns["ldhName"]: ns for ns in doc["nameservers"]}
    assert servers[seeded.glue_host]["ipAddresses"] == {"v4": ["193.0.14.129"], "v6": ["2001:7fd::1"]}
    assert "ipAddresses" not in servers[seeded.external_host]
    assert servers[seeded.external_host]["links"][0]["href"] == f"{rdap.base}nameserver/{seeded.external_host}"


async def test_registrar_entity_in_domain_has_iana_id_and_abuse_contact(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    registrar = doc["entities"][0]
    assert registrar["handle"] == "alpha"
    assert registrar["publicIds"] == [{"type": "IANA Registrar ID", "identifier": "9999"}]
    abuse = registrar["entities"][0]
    assert abuse["roles"] == ["abuse"]
    assert ["email", {}, "text", "abuse@alpha-registrar.test"] in abuse["vcardArray"][1]
    assert ["tel", {"type": "voice"}, "uri", "tel:+1.5555550100"] in abuse["vcardArray"][1]


async def test_case_and_trailing_dot_find_the_same_domain(rdap, seeded):
    first = (await rdap.get(f"domain/{seeded.domain}")).json
    for variant in (seeded.domain.upper(), seeded.domain + ".", "Example-Name.EXAMPLE."):
        doc = (await rdap.get(f"domain/{variant}")).json
        assert (doc["handle"], doc["ldhName"]) == (first["handle"], first["ldhName"])


async def test_idn_in_u_label_and_a_label_form(rdap, core):
    await make_domain(core, "bücher.example")
    for query in ("bücher.example", "xn--bcher-kva.example", "XN--BCHER-KVA.EXAMPLE", "B%C3%BCcher.example"):
        reply = await rdap.get(f"domain/{query}")
        assert reply.status == 200, query
        doc = reply.json
        assert check_object(doc, "domain") == []
        assert (doc["ldhName"], doc["unicodeName"]) == ("xn--bcher-kva.example", "bücher.example")


async def test_head_answers_like_get_without_a_body(rdap, seeded):
    for path in (f"domain/{seeded.domain}", f"nameserver/{seeded.glue_host}", "entity/alpha", "help"):
        get = await rdap.get(path)
        head = await rdap.get(path, method="HEAD")
        assert (head.status, head.raw) == (200, b"")
        assert_rdap_headers(head)
        assert head.headers["Content-Length"] == str(len(get.raw))


async def test_accept_application_json_still_gets_rdap_json(rdap, seeded):
    reply = await rdap.get(f"domain/{seeded.domain}", headers={"Accept": "application/json"})
    assert reply.status == 200
    assert_rdap_headers(reply)


async def test_nameserver_lookup(rdap, seeded):
    reply = await rdap.get(f"nameserver/{seeded.glue_host.upper()}")
    assert reply.status == 200
    doc = reply.json
    assert check_object(doc, "nameserver") == []
    assert doc["ldhName"] == seeded.glue_host
    assert doc["status"] == ["associated", "active"]
    assert doc["ipAddresses"] == {"v4": ["193.0.14.129"], "v6": ["2001:7fd::1"]}
    assert doc["entities"][0]["roles"] == ["registrar"]
    assert doc["port43"] == "whois.nic.example"
    external = (await rdap.get(f"nameserver/{seeded.external_host}")).json
    assert check_object(external, "nameserver") == [] and "port43" not in external


async def test_registrar_entity_by_id_and_by_iana_id(rdap, seeded):
    for key in ("alpha", "9999"):
        reply = await rdap.get(f"entity/{key}")
        assert reply.status == 200
        doc = reply.json
        assert check_object(doc, "entity") == []
        assert doc["handle"] == key and doc["roles"] == ["registrar"]
        assert doc["links"][0]["href"] == f"{rdap.base}entity/{key}"
        assert doc["events"][-1]["eventAction"] == "last update of RDAP database"


async def test_public_contact_entity_by_id_or_roid(rdap, seeded):
    doc = (await rdap.get(f"entity/{seeded.public_contact}")).json
    assert check_object(doc, "entity") == []
    again = (await rdap.get(f"entity/{doc['handle']}")).json
    assert again["handle"] == doc["handle"] and "roles" not in doc
    assert ["fn", {}, "text", "Pat Public"] in doc["vcardArray"][1]


async def test_help(rdap, seeded):
    reply = await rdap.get("help")
    assert reply.status == 200
    assert_rdap_headers(reply)
    assert check_help(reply.json) == []


async def test_port43_only_when_the_tld_runs_whois(rdap, seeded, core):
    await tlds.configure_tld(core, "example", whois_enabled=False)
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    assert "port43" not in doc


async def test_no_answer_contains_the_auth_info(rdap, seeded):
    paths = [f"domain/{seeded.domain}", f"nameserver/{seeded.glue_host}", "entity/alpha",
             f"entity/{seeded.public_contact}", "domains?name=exa*", "help"]
    replies = await asyncio.gather(*(rdap.get(p) for p in paths))
    for reply in replies:
        strings = walk_strings(reply.json)
        assert not [s for s in strings if DOMAIN_AUTH in s or "Contact-Auth1" in s or "authinfo" in s.lower()]


async def test_thin_domain_without_name_servers(rdap, core):
    await make_domain(core, "bare.thin")
    doc = (await rdap.get("domain/bare.thin")).json
    assert check_object(doc, "domain") == []
    assert doc["status"] == ["inactive", "add period"]
    assert [e["roles"] for e in doc["entities"]] == [["registrar"]]
    assert doc["rdapConformance"] == ["rdap_level_0"] and "redacted" not in doc
    assert doc["nameservers"] == [] and doc["secureDNS"] == {"delegationSigned": False}
