"""A registrar's owner adds a DS record to a domain and then deletes the domain in Debian's
Chromium (Playwright, `executable_path`), under the strict CSP with no violation; the
core's domain:info shows the DS record, and the domain then in its redemption period with
the restore form offered. Screenshots land in var/screenshots/ (not committed)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.model.domain import DsData
from registry_core.services import accounts, domains
from tests.conftest import TestClock
from tests.core.helpers import actor, make_domain
from tests.web.test_browser import SCREENSHOTS, console, page, pytestmark  # noqa: F401 - the fixtures, the skip

DIGEST = "AB" * 32


async def _sign_in(tab: Page, port: int, clock: TestClock) -> None:
    await tab.goto(f"http://127.0.0.1:{port}/")
    await tab.get_by_label("Login").fill("olga")
    await tab.get_by_label("Password").fill("Console-Pass1")
    await tab.get_by_role("button", name="Sign in").click()
    secret = await tab.locator("code.secret").inner_text()
    await tab.get_by_label("Code").fill(rules._totp_at(secret, rules.totp_step(clock.now())))
    await tab.get_by_role("button", name="Confirm").click()
    await tab.get_by_role("link", name="Continue").click()


async def test_an_owner_adds_a_ds_record_and_deletes_the_domain(core: Core, console: WebServer,  # noqa: F811
                                                               page: Page, clock: TestClock) -> None:  # noqa: F811
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha",
                                                   password="Console-Pass1"))
    await make_domain(core, "dnssec.example")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await _sign_in(page, console.port, clock)
    await page.goto(f"http://127.0.0.1:{console.port}/domains/dnssec.example")
    await page.get_by_label("Key tag").fill("4242")
    await page.get_by_label("Digest (hex)").fill(DIGEST.lower())
    await page.get_by_role("button", name="Add DS record").click()
    await expect(page.locator(".notice")).to_have_text("DS records: 1")
    await page.screenshot(path=SCREENSHOTS / "registrar-domain-ds.png", full_page=True)
    info = await domains.info_domain(core, actor("alpha"), "dnssec.example")
    assert info.ds == (DsData(4242, 13, 2, DIGEST),)
    await page.get_by_label("Type the name to confirm").fill("dnssec.example")
    await page.get_by_role("button", name="Delete dnssec.example").click()
    await expect(page.locator(".notice")).to_contain_text("is free again")  # inside the add grace period
    await page.screenshot(path=SCREENSHOTS / "registrar-domain-deleted.png", full_page=True)
    assert violations == []
