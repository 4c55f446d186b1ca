"""Registry lock, access requests and registrant verification through the consoles over real
HTTP against the real database, the lock code read from the real SMTP relay
(tests/notify/peers.py): a registrar user asks for lock on the domain's lock page, confirms
with the mailed code plus a fresh TOTP code (a wrong TOTP code changes nothing), and the
admin console lists the locked domain and its requests; an access request received more than
72 hours ago shows as overdue; staff review a document; every action is in the audit search
with who did it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model.accounts import Principal
from registry_core.services import access_requests, accounts, registrars
from registry_core.services import registrant_verification as verification
from tests.conftest import TestClock, fetch
from tests.core.helpers import make_contact, make_domain
from tests.notify.conftest import mailed_code, notify_certs, peers  # noqa: F401 (SMTP relay fixtures)
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in
from tests.web.staff import Staff, staff  # noqa: F401 (signed-in registry staff)

CELLS = r'<td class="action">([^<]+)</td>.*?<td class="by">([^<]+)</td>'


@pytest.fixture
async def olga(core: Core, consoles: dict[str, WebServer], clock: TestClock) -> AsyncIterator[Staff]:
    """An owner of registrar alpha signed in to the registrar console, with her TOTP secret."""
    await accounts.add_user(core, accounts.NewUser("olga", "olga@alpha.test", "owner", "alpha", password=PASSWORD))
    base = f"http://127.0.0.1:{consoles['console'].port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])) as http:
        browser = Browser(http, base)
        await sign_in(browser, "olga")
        secret, _codes = await enrol(browser, clock)
        yield Staff(browser, secret, clock)


async def _confirm(olga: Staff, name: str, request_id: int, code: str, totp: str) -> tuple[int, str]:  # noqa: F811
    _status, page, _resp = await olga.browser.get(f"/domains/{name}/lock")
    status, text, _resp = await olga.browser.post(f"/domains/{name}/lock/confirm", {
        "csrf": csrf_of(page), "request": str(request_id), "code": code, "totp": totp})
    return status, text


async def test_lock_from_the_console_needs_the_mailed_code_and_a_fresh_second_factor(
        core: Core, olga: Staff, staff: dict[str, Staff], peers) -> None:  # noqa: F811
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    await make_domain(core, "vault.example")
    status, page, _resp = await olga.browser.get("/domains/vault.example")
    assert status == 200 and 'href="/domains/vault.example/lock"' in page
    _status, page, _resp = await olga.browser.get("/domains/vault.example/lock")
    assert "Not locked." in page
    status, page, _resp = await olga.browser.post("/domains/vault.example/lock/request", {
        "csrf": csrf_of(page), "action": "lock", "reason": "customer asked, ticket 42"})
    assert status == 200 and "mailed a code" in page, page
    request_id = int(re.search(r"Request (\d+) to lock", page).group(1))  # type: ignore[union-attr]
    code = await mailed_code(core, peers, request_id)
    status, page = await _confirm(olga, "vault.example", request_id, code, "000000")
    assert status == 401 and "Confirm it is you" in page
    assert (await fetch(core, "SELECT statuses FROM domain WHERE name = 'vault.example'"))[0]["statuses"] == []
    status, page = await _confirm(olga, "vault.example", request_id, code, olga.fresh_code())
    assert status == 200 and "Confirmed: vault.example is locked." in page, page
    statuses = (await fetch(core, "SELECT statuses FROM domain WHERE name = 'vault.example'"))[0]["statuses"]
    assert statuses == ["serverDeleteProhibited", "serverTransferProhibited", "serverUpdateProhibited"]
    root = staff["root"].browser
    _status, page, _resp = await root.get("/locks")
    assert '<a href="/domains/vault.example">vault.example</a></td><td>alpha</td>' in page
    assert '<td class="state">confirmed</td>' in page
    _status, page, _resp = await root.get("/audit?object=vault.example")
    assert re.findall(CELLS, page, re.S)[:2] == [("lock", "olga from 127.0.0.1"),
                                                 ("lock-requested", "olga from 127.0.0.1")]


async def test_an_access_request_past_72_hours_shows_as_overdue_and_a_decision_is_audited(
        core: Core, staff: dict[str, Staff], clock: TestClock) -> None:  # noqa: F811
    now = clock.now()
    clock.frozen = now - timedelta(hours=72, minutes=5)
    clerk = Principal("user", 99, "sam", "support", None)
    old = await access_requests.receive_access_request(core, clerk, "old.example", "CERT", "c@cert.test",
                                                       "phishing", ["email", "name"])
    clock.frozen = now
    root = staff["root"].browser
    _status, page, _resp = await root.get("/access-requests")
    status, page, _resp = await root.post("/access-requests", {
        "csrf": csrf_of(page), "domain": "new.example", "requester": "Police", "requester_email": "p@police.test",
        "purpose": "fraud case 7", "field": "email"})
    assert status == 200 and "recorded; due" in page, page
    _status, page, _resp = await root.get("/access-requests?overdue=1")
    rows = re.findall(r'<tr class="overdue"><td>(\d+)</td><td>([^<]+)</td>', page)
    assert rows == [(str(old.id), "old.example")] and "OVERDUE" in page
    status, page, _resp = await root.post(f"/access-requests/{old.id}/decide", {
        "csrf": csrf_of(page), "decision": "partial", "disclose": "email", "reason": "name withheld"})
    assert status == 200 and f"Access request {old.id}: partial." in page
    _status, page, _resp = await root.get("/access-requests?overdue=1")
    assert re.findall(r'<tr class="overdue">', page) == []
    _status, page, _resp = await root.get("/audit?object=old.example")
    assert re.findall(CELLS, page, re.S) == [("access-request-decided", "root from 127.0.0.1"),
                                             ("access-request-received", "sam from ?")]


async def test_staff_review_a_document_in_the_admin_console(core: Core, staff: dict[str, Staff]) -> None:  # noqa: F811
    owner = Principal("user", 98, "olga", "owner", "alpha")
    await make_contact(core, "jane")
    await verification.request_verification(core, owner, "jane", "document")
    await verification.submit_document(core, owner, "jane", "DMS-7 passport")
    root = staff["root"].browser
    _status, page, _resp = await root.get("/verifications?state=pending_review")
    assert "<td>jane</td>" in page and "DMS-7 passport" in page
    status, page, _resp = await root.post("/verifications/jane/review", {
        "csrf": csrf_of(page), "verdict": "approve", "field": "name", "note": "matches the passport"})
    assert status == 200 and "Contact jane: verified." in page
    _status, page, _resp = await root.get("/audit?object=jane")
    assert re.findall(CELLS, page, re.S)[0] == ("verification-approve", "root from 127.0.0.1")
    assert (await verification.get_verification(core, owner, "jane")).fields == ("name",)


async def test_a_registrar_user_verifies_a_contact_by_email_with_the_code_from_the_relay(
        core: Core, olga: Staff, peers, staff: dict[str, Staff]) -> None:  # noqa: F811
    from tests.notify.conftest import eventually, running
    await make_contact(core, "jane")
    await make_domain(core, "janes.example", registrant="jane")
    _status, page, _resp = await olga.browser.get("/domains/janes.example")
    assert '<a href="/contacts/jane/verification">verification</a>' in page
    _status, page, _resp = await olga.browser.get("/contacts/jane/verification")
    assert '<dd id="state">unverified</dd>' in page
    status, page, _resp = await olga.browser.post("/contacts/jane/verification/request",
                                                  {"csrf": csrf_of(page), "method": "email"})
    assert status == 200 and "Verification of jane: requested." in page

    async def arrived() -> bool:
        return bool(peers.mails())
    async with running(core, peers):
        await eventually(arrived, bound=30)
    [mail] = peers.mails()
    assert str(mail["To"]) == "jane@example.net"
    code = re.search(r"^code: (\S+)\r?$", mail.get_body(("plain",)).get_content(), re.MULTILINE)
    assert code
    status, page, _resp = await olga.browser.post("/contacts/jane/verification/code",
                                                  {"csrf": csrf_of(page), "code": "wrong"})
    assert status == 422 and '<dd id="state">requested</dd>' in page
    status, page, _resp = await olga.browser.post("/contacts/jane/verification/code",
                                                  {"csrf": csrf_of(page), "code": code.group(1)})
    assert status == 200 and '<dd id="state">verified</dd>' in page and "<dd>email</dd>" in page
    _status, page, _resp = await staff["root"].browser.get("/audit?object=jane")
    assert re.findall(CELLS, page, re.S)[:2] == [("verification-confirm-email", "olga from 127.0.0.1"),
                                                 ("verification-request", "olga from 127.0.0.1")]
