"""The admin console over real HTTP against the real database: an admin puts a domain on
serverHold with a reason after a fresh TOTP code; the change reaches the DNS change log
and the audit search shows it with the admin's name and address; without the code, without
a reason, or as a support user (not an admin), nothing changes."""

from __future__ import annotations

import re

from registry_core.context import Core
from tests.conftest import fetch
from tests.core.helpers import make_domain
from tests.web.staff import Staff


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
