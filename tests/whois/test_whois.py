"""The WHOIS server over real TCP against real PostgreSQL (RFC 3912; ICANN RA
Specification 4 layout): one query, one answer, CRLF, close."""

from __future__ import annotations

import asyncio
import re

from protocols.config import AbuseConfig
from registry_core.services import tlds
from tests.core.helpers import make_domain
from tests.rdap.data import DOMAIN_AUTH
from tests.whois.conftest import running_whois

UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def fields(text: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, sep, v in (line.partition(":") for line in text.split("\r\n"))
            if sep and not k.startswith(">>>")]


def first(text: str, key: str) -> str | None:
    return next((v for k, v in fields(text) if k == key), None)


async def test_domain_answer_has_the_spec_4_fields(whois, seeded):
    data = await whois.ask(seeded.domain)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8")
    assert first(text, "Domain Name") == seeded.domain
    assert first(text, "Registry Domain ID").endswith("-EXAMPLE")
    for key in ("Creation Date", "Registry Expiry Date", "Updated Date"):
        assert re.fullmatch(UTC, first(text, key)), key
    assert first(text, "Registrar") == "Alpha Registrar" and first(text, "Registrar IANA ID") == "9999"
    assert first(text, "Registrar WHOIS Server") == "whois.alpha-registrar.test"
    assert first(text, "Registrar URL") == "https://alpha-registrar.test"
    assert first(text, "Registrar Abuse Contact Email") == "abuse@alpha-registrar.test"
    assert first(text, "Registrar Abuse Contact Phone") == "+1.5555550100"
    assert [v for k, v in fields(text) if k == "Domain Status"] == [
        "ok https://icann.org/epp#ok", "addPeriod https://icann.org/epp#addPeriod"]
    assert [v for k, v in fields(text) if k == "Name Server"] == [seeded.external_host, seeded.glue_host]
    assert first(text, "DNSSEC") == "signedDelegation"
    assert "URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/\r\n" in text
    assert re.search(rf"^>>> Last update of WHOIS database: {UTC} <<<\r$", text, re.M)
    intake = AbuseConfig()  # the registry's own abuse intake follows the terms
    assert text.endswith(f"Report abuse of a domain name of this registry by email to {intake.email} "
                         f"or through the form at {intake.report_url}.\r\n")


async def test_contacts_are_redacted_as_in_rdap(whois, seeded):
    text = await whois.text(seeded.domain)
    assert first(text, "Registry Registrant ID") == "REDACTED FOR PRIVACY"
    assert first(text, "Registrant Name") == "REDACTED FOR PRIVACY"
    assert first(text, "Registrant Country") == "US" and first(text, "Registrant State/Province") == "IL"
    assert first(text, "Registrant Email").startswith("Please query the RDDS service of the Registrar")
    assert "Jane Doe" not in text and "jane@example.net" not in text and "+1.5555550123" not in text
    assert first(text, "Admin Name") == "Pat Public" and first(text, "Admin Email") == "pat@public.example"
    assert first(text, "Admin Fax") == "REDACTED FOR PRIVACY"
    assert first(text, "Billing Name") is None
    assert DOMAIN_AUTH not in text and not re.search(r"auth[\s_-]*info|password", text, re.I)


async def test_case_idn_and_domain_keyword_give_the_same_answer(whois, seeded, core):
    assert first(await whois.text(seeded.domain.upper() + "."), "Domain Name") == seeded.domain
    assert first(await whois.text(f"domain {seeded.domain}"), "Domain Name") == seeded.domain
    await make_domain(core, "bücher.example")
    for query in ("bücher.example", "xn--bcher-kva.example", "BÜCHER.example"):
        assert first(await whois.text(query), "Domain Name") == "xn--bcher-kva.example", query


async def test_nameserver_and_registrar_queries(whois, seeded):
    text = await whois.text(f"nameserver {seeded.glue_host}")
    assert first(text, "Server Name") == seeded.glue_host
    assert [v for k, v in fields(text) if k == "IP Address"] == ["193.0.14.129", "2001:7fd::1"]
    for query in ("registrar alpha", "registrar 9999", "registrar alpha registrar"):
        text = await whois.text(query)
        assert first(text, "Registrar") == "Alpha Registrar" and first(text, "Registrar IANA ID") == "9999", query


async def test_unknown_names_get_no_match(whois, seeded):
    for query in ("nx-name.example", "nameserver ns9.nx-name.net", "registrar nobody", "name.not-served"):
        data = await whois.ask(query)
        assert data.startswith(b"No match for ") and data.endswith(b"\r\n"), query
        assert b"Domain Name:" not in data


async def test_bad_lines_get_an_error_and_the_server_keeps_answering(whois, seeded):
    for payload in (b"a" * 10_000 + b"\r\n", bytes(range(256)) * 2 + b"\r\n", b"-bad-.example\r\n", b"\r\n"):
        reply = await whois.ask(payload)
        assert reply.startswith(b"% ") and reply.endswith(b"\r\n"), reply[:80]
    assert first(await whois.text(seeded.domain), "Domain Name") == seeded.domain


async def test_silent_client_is_answered_and_closed_after_the_read_timeout(core):
    async with running_whois(core, read_timeout=0.3) as whois:
        reader, writer = await asyncio.open_connection("127.0.0.1", whois.port)
        data = await asyncio.wait_for(reader.read(), 3)
        writer.close()
    assert data == b"% timed out waiting for a query\r\n"


async def test_tld_without_whois_is_refused_with_a_pointer_to_rdap(core, seeded):
    await tlds.configure_tld(core, "example", whois_enabled=False)
    async with running_whois(core, rdap={"base_url": "https://rdap.example/"}) as whois:
        for query in (seeded.domain, "nx-name.example"):
            text = await whois.text(query)
            assert text == f"% WHOIS is not offered for .example; use RDAP instead: " \
                           f"https://rdap.example/domain/{query}\r\n"


async def test_rate_limit_refuses_with_one_line(core, seeded):
    async with running_whois(core, rate_per_second=0.5, burst=2) as whois:
        answers = [await whois.ask(seeded.domain) for _ in range(3)]
    assert all(a.startswith(b"Domain Name:") for a in answers[:2])
    assert re.fullmatch(rb"% query rate exceeded; try again in \d+ s\r\n", answers[2])


async def test_connection_cap_per_address(core, seeded):
    async with running_whois(core, max_connections_per_ip=1, read_timeout=2.0) as whois:
        reader, writer = await asyncio.open_connection("127.0.0.1", whois.port)
        await asyncio.sleep(0.05)
        refused = await whois.ask(seeded.domain)
        writer.write(seeded.domain.encode() + b"\r\n")
        held = await reader.read()
        writer.close()
        after = await whois.ask(seeded.domain)
    assert refused == b"% too many connections from your address\r\n"
    assert held.startswith(b"Domain Name:") and after.startswith(b"Domain Name:")


async def test_help(whois):
    text = await whois.text("help")
    assert "nameserver <host name>" in text and text.endswith(" <<<\r\n")
