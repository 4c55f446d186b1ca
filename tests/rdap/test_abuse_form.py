"""The public abuse report form on the real RDAP listener over real HTTP, writing to the
real database: a report opens a case and its acknowledgement reaches the reporter through
the real dispatcher, e-mail channel and SMTP relay (tests/notify/peers.py); a flood from one
client address gets 429 while another address is still served (clients bound to distinct
loopback addresses); the honeypot, the form token's minimum fill time and the size bound
each keep a post out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from protocols.web.security import CSP
from registry_core.context import Core
from tests.conftest import TestClock, fetch
from tests.core.helpers import make_domain
from tests.notify.conftest import eventually, notify_certs, peers, running  # noqa: F401 (fixtures)
from tests.notify.peers import Peers
from tests.rdap.conftest import Rdap, running_rdap

FORM = "abuse/report"
REPORTER = "reporter@example.net"


@pytest.fixture
async def reported(core: Core) -> str:
    await make_domain(core, "phish.example")
    return "phish.example"


@pytest.fixture
async def form_rdap(core: Core) -> AsyncIterator[Rdap]:
    async with running_rdap(core, abuse={"reports_per_hour": 1.0, "report_burst": 3}) as rdap:
        yield rdap


class Reporter:
    """A browser at one loopback address: loads the form, waits as a person would (on the
    test's clock), posts it."""

    def __init__(self, http: aiohttp.ClientSession, base: str, clock: TestClock) -> None:
        self.http, self.base, self.clock = http, base, clock

    async def token(self) -> str:
        async with self.http.get(self.base + FORM) as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            found = re.search(r'name="token" value="([^"]+)"', await resp.text())
        assert found
        return found.group(1)

    async def report(self, domain: str, wait: float = 5.0, **extra: str) -> tuple[int, str, Any]:
        self.clock.frozen = datetime.now(UTC)
        token = await self.token()
        self.clock.frozen += timedelta(seconds=wait)
        fields = {"token": token, "domain": domain, "threat": "phishing", "email": REPORTER,
                  "text": f"http://{domain}/login imitates a bank", "website": "", **extra}
        async with self.http.post(self.base + FORM, data=fields) as resp:
            return resp.status, await resp.text(), resp.headers


async def reporter_at(address: str, rdap: Rdap, clock: TestClock) -> AsyncIterator[Reporter]:
    connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        yield Reporter(http, rdap.base, clock)


@pytest.fixture
async def one(form_rdap: Rdap, clock: TestClock) -> AsyncIterator[Reporter]:
    async for found in reporter_at("127.0.0.2", form_rdap, clock):
        yield found


async def test_a_report_opens_a_case_and_the_reporter_gets_an_acknowledgement(
        core: Core, reported: str, one: Reporter, peers: Peers) -> None:  # noqa: F811
    status, page, headers = await one.report(reported)
    assert status == 200, page
    assert headers["Content-Security-Policy"] == CSP and headers["Content-Type"].startswith("text/html")
    [case] = await fetch(core, "SELECT * FROM abuse_case")
    assert (case["domain_name"], case["source"], case["state"], case["threat_type"]) == (
        reported, "web", "new", "phishing")
    assert f"case {case['id']} ({reported})" in page
    [report] = await fetch(core, "SELECT * FROM abuse_report")
    assert report["reporter_email"] == REPORTER and report["client"] == "127.0.0.2"
    assert "imitates a bank" in report["body"]
    one.clock.frozen = None
    async with running(core, peers):
        await eventually(lambda: mails_arrived(peers, 1))
    [mail] = peers.mails()
    assert str(mail["To"]) == REPORTER and str(mail["Subject"]) == f"Your abuse report: received as case {case['id']}"
    body = mail.get_body(("plain",))
    assert body is not None and f"Case {case['id']}: {reported}" in body.get_content()
    assert "imitates a bank" not in body.get_content()  # nothing the reporter wrote is mailed back


async def mails_arrived(sent_to: Peers, count: int) -> bool:
    return len(sent_to.sink.received) >= count


async def test_a_second_report_of_the_domain_joins_its_open_case(core: Core, reported: str, one: Reporter) -> None:
    assert (await one.report(reported))[0] == 200
    assert (await one.report("www." + reported, text="the same phish again"))[0] == 200
    assert len(await fetch(core, "SELECT id FROM abuse_case")) == 1
    assert len(await fetch(core, "SELECT id FROM abuse_report")) == 2
    history = await fetch(core, "SELECT action FROM history WHERE sv_trid LIKE 'ABUSE-%' ORDER BY id")
    assert [h["action"] for h in history] == ["abuse-case-opened", "abuse-report-added"]


async def test_flooding_from_one_address_gets_429_while_another_address_is_served(
        core: Core, reported: str, form_rdap: Rdap, clock: TestClock) -> None:
    async for flooder in reporter_at("127.0.0.2", form_rdap, clock):
        answers = [(await flooder.report(reported))[0] for _ in range(3)]
        status, _page, headers = await flooder.report(reported)
        assert answers == [200, 200, 200]
        assert status == 429 and int(headers["Retry-After"]) >= 1
    async for other in reporter_at("127.0.0.3", form_rdap, clock):
        assert (await other.report(reported))[0] == 200
    clients = await fetch(core, "SELECT client, count(*) AS n FROM abuse_report GROUP BY 1 ORDER BY 1")
    assert [(c["client"], c["n"]) for c in clients] == [("127.0.0.2", 3), ("127.0.0.3", 1)]


async def test_robots_and_oversized_or_unknown_reports_are_kept_out(core: Core, reported: str,
                                                                   clock: TestClock) -> None:
    async with running_rdap(core, abuse={"report_burst": 10}) as rdap:
        async for one in reporter_at("127.0.0.2", rdap, clock):
            assert (await one.report(reported, website="http://spam.example"))[0] == 200  # thanked, dropped
            status, page, _headers = await one.report(reported, wait=0.5)  # faster than a person types
            assert status == 400 and "sent too quickly" in page
            status, page, _headers = await one.report("nobody-has-this.example", wait=5.0)
            assert status == 422 and "no domain registered with this registry" in page
            status, page, _headers = await one.report(reported, text="x" * 20000)
            assert status == 413
            async with one.http.post(one.base + FORM, json={"domain": reported}) as resp:
                assert resp.status == 415
    assert await fetch(core, "SELECT id FROM abuse_case") == []


async def test_the_form_is_outside_the_rdap_path_space(form_rdap: Rdap) -> None:
    assert (await form_rdap.get("help")).status == 200
    css = await form_rdap.get(FORM + ".css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    assert (await form_rdap.get("abuse/other")).status == 400  # an RDAP answer: not a query it knows
