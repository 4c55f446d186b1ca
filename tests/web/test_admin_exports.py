"""The admin lists as CSV over real HTTP: TLDs, registrars, console users, and a TLD's
premium names (more rows than one batch, so several batches stream) and reserved names;
any staff role may export; a registrar's user signed in to the admin console is refused."""

from __future__ import annotations

import csv
import io

import aiohttp

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.services import accounts, price_lists
from registry_core.services.exports import BATCH
from tests.conftest import TestClock
from tests.web.client import PASSWORD, Browser, enrol, sign_in
from tests.web.staff import Staff


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_every_admin_list_exports_as_csv(core: Core, staff: dict[str, Staff]) -> None:
    rita = staff["rita"]  # read-only staff may export
    status, text, resp = await rita.browser.get("/tlds.csv")
    assert status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert rows_of(text)[0] == ["name", "contact_policy", "currency", "min_period_years", "max_period_years",
                                "prices"]
    assert ["example", "optional", "USD", "1", "10", "create=10.00 renew=10.00 restore=50.00 transfer=10.00"] in \
        rows_of(text)
    status, text, _resp = await rita.browser.get("/registrars.csv")
    assert status == 200 and [r[0] for r in rows_of(text)[1:]] == ["alpha", "beta"]
    assert rows_of(text)[1][3:5] == ["active", "1000.00"]
    status, text, _resp = await rita.browser.get("/users.csv")
    assert status == 200 and {r[0] for r in rows_of(text)[1:]} == {"root", "sam", "fay", "rita"}


async def test_a_long_premium_list_streams_in_batches(core: Core, staff: dict[str, Staff]) -> None:
    count = BATCH * 2 + 7
    body = "name,create\n" + "".join(f"p{i:05d},{100 + i % 50}\n" for i in range(count))
    assert await price_lists.import_premium_csv(core, "example", body) == count
    await price_lists.reserve_names(core, "example", ["nic"], "Registry use")
    status, text, resp = await staff["sam"].browser.get("/tlds/example/premium.csv")
    rows = rows_of(text)
    assert status == 200 and 'filename="premium-example.csv"' in resp.headers["Content-Disposition"]
    assert len(rows) == count + 1 and rows[1] == ["p00000.example", "100.00", "", "", ""]
    assert rows[-1][0] == f"p{count - 1:05d}.example"
    status, text, _resp = await staff["sam"].browser.get("/tlds/example/reserved.csv")
    assert rows_of(text) == [["name", "reason"], ["nic.example", "Registry use"]]


async def test_a_registrars_user_cannot_export_the_registry(core: Core, consoles: dict[str, WebServer],
                                                            clock: TestClock) -> None:
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    await accounts.add_user(core, accounts.NewUser("olga", "olga@alpha.test", "owner", "alpha", password=PASSWORD))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True,
                                                                  treat_as_secure_origin=[base])) as http:
        browser = Browser(http, base)
        await sign_in(browser, "olga")
        await enrol(browser, clock)
        for path in ("/registrars.csv", "/tlds/example/premium.csv", "/users.csv", "/tlds", "/registrars"):
            assert (await browser.get(path))[0] == 403, path
