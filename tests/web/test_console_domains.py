"""The registrar console's domain pages over real HTTP against the real database: a
registrar's users list only their registrar's domains (name prefix, status and expiry
filters, keyset pages); the detail page shows what EPP's domain:info shows the sponsor;
renewing from the console goes through the same service as EPP (charged, history with the
console user's svTRID, a second click with the old date refused); a read-only user is
refused by the server even when posting the form by hand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from registry_core.context import Core
from registry_core.services import accounts
from tests.conftest import TestClock, fetch
from tests.core.helpers import actor, make_domain
from tests.web.client import PASSWORD, Browser, csrf_of, enrol, sign_in


@pytest.fixture
async def owner(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "olga", "owner") as browser:
        yield browser


class signed_in:  # noqa: N801 - an async context manager used like a function
    def __init__(self, core: Core, consoles: dict, clock: TestClock, login: str, role: str) -> None:
        self.core, self.base, self.clock, self.login, self.role = core, consoles["console"].port, clock, login, role

    async def __aenter__(self) -> Browser:
        await accounts.add_user(self.core, accounts.NewUser(self.login, f"{self.login}@example.net", self.role,
                                                            "alpha", password=PASSWORD))
        base = f"http://127.0.0.1:{self.base}"
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
        browser = Browser(self.http, base)
        await sign_in(browser, self.login)
        await enrol(browser, self.clock)
        return browser

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()


def names_on(page: str) -> list[str]:
    return re.findall(r'<td><a href="/domains/([^"]+)">', page)


async def test_the_list_shows_only_our_domains_filtered_and_in_pages(core: Core, owner: Browser) -> None:
    for name in ("apple.example", "apricot.example", "banana.example"):
        await make_domain(core, name)
    await make_domain(core, "avocado.example", "beta")
    status, page, _resp = await owner.get("/domains")
    assert status == 200 and names_on(page) == ["apple.example", "apricot.example", "banana.example"]
    assert names_on((await owner.get("/domains?prefix=AP"))[1]) == ["apple.example", "apricot.example"]
    assert names_on((await owner.get("/domains?prefix=ap&after=apple.example"))[1]) == ["apricot.example"]
    assert names_on((await owner.get("/domains?expires_before=2000-01-01"))[1]) == []
    assert (await owner.get("/domains?status=evil"))[0] == 422
    assert (await owner.get("/domains?prefix=%3Cscript%3E"))[0] == 422


async def test_a_renewal_from_the_console_is_the_epp_renewal(core: Core, owner: Browser) -> None:
    await make_domain(core, "renew-me.example")
    status, page, _resp = await owner.get("/domains/renew-me.example")
    assert status == 200 and "renew-me.example" in page
    expires = re.search(r'id="expires">([0-9-]+)<', page)
    assert expires
    form = {"csrf": csrf_of(page), "expires": expires.group(1), "years": "2"}
    status, page, _resp = await owner.post("/domains/renew-me.example/renew", form)
    assert status == 200 and "Renewed: now expires" in page
    from registry_core.services import domains
    info = await domains.info_domain(core, actor("alpha"), "renew-me.example")
    assert info.expires_at.year == int(expires.group(1)[:4]) + 2  # what EPP domain:info now says
    status, page, _resp = await owner.post("/domains/renew-me.example/renew", form)  # the same click again
    assert status == 422 and "curExpDate does not match" in page
    history = await fetch(core, "SELECT sv_trid, registrar_id, via FROM history WHERE object_name = 'renew-me.example' "
                                "AND action = 'renew'")
    assert len(history) == 1 and history[0]["sv_trid"].startswith("CON-U") and history[0]["registrar_id"] == "alpha"
    via = history[0]["via"]
    assert via["user"] == "olga" and via["ip"] == "127.0.0.1" and len(via["session"]) == 12
    charged = await fetch(core, "SELECT amount FROM ledger WHERE object_name = 'renew-me.example' AND action = 'renew'")
    assert len(charged) == 1


async def test_a_read_only_user_and_other_registrars_domains_are_refused(core: Core, consoles: dict,
                                                                         clock: TestClock) -> None:
    await make_domain(core, "ours.example")
    await make_domain(core, "theirs.example", "beta")
    async with signed_in(core, consoles, clock, "rita", "read-only") as reader:
        status, page, _resp = await reader.get("/domains/ours.example")
        assert status == 200 and "<h2>Renew</h2>" not in page  # the page offers nothing...
        status, _text, _resp = await reader.post("/domains/ours.example/renew",
                                                 {"csrf": csrf_of(page), "expires": "2030-01-01", "years": "1"})
        assert status == 403  # ...and the server refuses what was posted by hand
        assert (await reader.get("/domains/theirs.example"))[0] == 403


async def test_billing_shows_the_running_balance_and_exports_the_period_as_csv(core: Core, owner: Browser,
                                                                              consoles: dict,
                                                                              clock: TestClock) -> None:
    for n in range(3):
        await make_domain(core, f"paid{n}.example")
    status, page, _resp = await owner.get("/billing")
    balances = re.findall(r'<td class="balance">([0-9.]+)</td>', page)
    assert status == 200 and balances[:4] == ["970.00", "980.00", "990.00", "1000.00"]  # newest first
    status, text, resp = await owner.get("/billing.csv?from=2000-01-01")
    lines = text.splitlines()
    assert status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("id,at,action,amount") and len(lines) == 1 + 4  # the opening credit and 3 creates
    assert (await owner.get("/billing.csv?from=someday"))[0] == 422
    async with signed_in(core, consoles, clock, "tom", "technical") as technical:
        assert (await technical.get("/billing"))[0] == 403  # technical staff see no money


async def test_the_domains_csv_lists_every_domain_of_ours(core: Core, owner: Browser) -> None:
    for n in range(5):
        await make_domain(core, f"csv{n}.example")
    await make_domain(core, "not-ours.example", "beta")
    status, text, resp = await owner.get("/domains.csv")
    lines = text.splitlines()
    assert status == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    assert lines[0] == "name,roid,statuses,created_at,expires_at"
    assert [line.split(",")[0] for line in lines[1:]] == [f"csv{n}.example" for n in range(5)]
