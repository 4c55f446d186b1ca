"""The admin console over real HTTP against the real database: an admin puts a domain on
serverHold with a reason after a fresh TOTP code; the change reaches the DNS change log
and the audit search shows it with the admin's name and address; without the code, without
a reason, or as a support user (not an admin), nothing changes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts
from tests.conftest import TestClock, fetch
from tests.core.helpers import make_domain
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in


class Staff:
    def __init__(self, browser: Browser, secret: str, clock: TestClock) -> None:
        self.browser, self.secret, self.clock = browser, secret, clock

    def fresh_code(self) -> str:
        """Each code counts once: wait (on the test's clock) for the authenticator's next one."""
        self.clock.frozen = self.clock.now() + timedelta(seconds=rules.TOTP_STEP)
        return rules._totp_at(self.secret, rules.totp_step(self.clock.now()))

    async def set_status(self, name: str, status: str, change: str, reason: str, code: str | None = None
                         ) -> tuple[int, str]:
        _status, page, _resp = await self.browser.get(f"/domains/{name}")
        form = {"csrf": csrf_of(page), "status": status, "change": change, "reason": reason,
                "code": self.fresh_code() if code is None else code}
        status_code, text, _resp = await self.browser.post(f"/domains/{name}/statuses", form)
        return status_code, text


@pytest.fixture
async def staff(core: Core, consoles: dict[str, WebServer], clock: TestClock) -> AsyncIterator[dict[str, Staff]]:
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    sessions, found = [], {}
    for login, role in (("root", "admin"), ("sam", "support")):
        await accounts.add_user(core, accounts.NewUser(login, f"{login}@registry.test", role, None, password=PASSWORD))
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
        sessions.append(http)
        browser = Browser(http, base)
        await sign_in(browser, login)
        secret, _codes = await enrol(browser, clock)
        found[login] = Staff(browser, secret, clock)
    try:
        yield found
    finally:
        for http in sessions:
            await http.close()


async def test_an_admin_puts_a_domain_on_server_hold_and_the_audit_shows_it(core: Core, staff: dict[str, Staff]
                                                                           ) -> None:
    await make_domain(core, "bad.example")
    status, page = await staff["root"].set_status("bad.example", "serverHold", "add", "phishing, ticket 4711")
    assert status == 200 and "Statuses now: serverHold" in page
    assert (await fetch(core, "SELECT statuses FROM domain WHERE name = 'bad.example'"))[0]["statuses"] == [
        "serverHold"]
    assert await fetch(core, "SELECT owner FROM dns_change WHERE owner = 'bad.example'")
    status, page, _resp = await staff["root"].browser.get("/audit?object=bad.example")
    cells = r'<td class="action">([^<]+)</td>.*?<td class="by">([^<]+)</td>\s*<td class="change">([^<]*)</td>'
    rows = re.findall(cells, page, re.S)
    assert rows[0] == ("server-status", "root from 127.0.0.1", "phishing, ticket 4711")
    assert rows[-1][0] == "create"


async def test_no_change_without_a_fresh_code_a_reason_or_the_admin_role(core: Core, staff: dict[str, Staff]) -> None:
    await make_domain(core, "fine.example")
    assert (await staff["root"].set_status("fine.example", "serverHold", "add", "because", code="000000"))[0] == 401
    assert (await staff["root"].set_status("fine.example", "serverHold", "add", "   "))[0] == 422
    assert (await staff["root"].set_status("fine.example", "clientHold", "add", "not ours"))[0] == 422
    assert (await staff["sam"].set_status("fine.example", "serverHold", "add", "support tries"))[0] == 403
    assert (await fetch(core, "SELECT statuses FROM domain WHERE name = 'fine.example'"))[0]["statuses"] == []
    assert not await fetch(core, "SELECT 1 FROM history WHERE object_name = 'fine.example' "
                                 "AND action = 'server-status'")


async def test_the_dns_and_outbox_pages_show_the_operations(core: Core, staff: dict[str, Staff]) -> None:
    await make_domain(core, "queued.example")  # one DNS change waiting (no publisher runs here)
    status, page, _resp = await staff["root"].browser.get("/dns")
    assert status == 200 and "<h2>example</h2>" in page and '<dd class="pending">1</dd>' in page
    status, page, _resp = await staff["sam"].browser.get("/outbox")  # support staff may look
    assert status == 200 and 'id="oldest"' in page
