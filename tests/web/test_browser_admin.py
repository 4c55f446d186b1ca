"""The admin console in a real browser (Debian's Chromium through Playwright, never its
own download): an admin signs in with a password and enrols TOTP, imports premium names by
uploading a CSV with a reason, suspends a registrar with a reason, and finds both in the
audit search; the pages run under the strict Content-Security-Policy with no violation.
Screenshots land in var/screenshots/ (test artifacts, not committed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.model import accounts as rules
from registry_core.services import accounts, price_lists, registrars
from tests.conftest import TestClock
from tests.web.test_browser import CHROMIUM, SCREENSHOTS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (`make test-deps` installs the Debian "
                                "package chromium); skipping the browser tests")


@pytest.fixture
async def admin_page(tmp_path: Path) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield await (await browser.new_context()).new_page()
        finally:
            await browser.close()


async def test_an_admin_imports_premium_names_and_suspends_a_registrar(
        core: Core, consoles: dict[str, WebServer], admin_page: object, clock: TestClock) -> None:
    from playwright.async_api import Page, expect

    page = admin_page
    assert isinstance(page, Page)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await accounts.add_user(core, accounts.NewUser("root", "root@registry.test", "admin", None,
                                                   password="Console-Pass1"))
    base = f"http://127.0.0.1:{consoles['admin'].port}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.goto(base + "/login")
    await page.get_by_label("Login").fill("root")
    await page.get_by_label("Password").fill("Console-Pass1")
    await page.get_by_role("button", name="Sign in").click()
    secret = await page.locator("code.secret").inner_text()
    await page.get_by_label("Code").fill(rules._totp_at(secret, rules.totp_step(clock.now())))
    await page.get_by_role("button", name="Confirm").click()
    await page.get_by_role("link", name="Continue").click()
    await page.get_by_role("link", name="TLDs").click()
    await page.screenshot(path=SCREENSHOTS / "admin-tlds.png", full_page=True)
    await page.get_by_role("link", name="example", exact=True).click()
    upload = page.locator('form[action="/tlds/example/premium"]')
    await upload.locator('input[type="file"]').set_input_files(files=[{
        "name": "premium.csv", "mimeType": "text/csv", "buffer": b"name,create,renew\ncasino,1000,900\nbet,500,\n"}])
    await upload.get_by_label("Reason (for the audit)").fill("premium list 2027")
    await upload.get_by_role("button", name="Import").click()
    await expect(page.locator(".notice")).to_have_text("Imported 2 premium names.")
    await expect(page.locator("#premium tbody tr")).to_have_count(2)
    await page.screenshot(path=SCREENSHOTS / "admin-tld.png", full_page=True)
    await page.get_by_role("link", name="Registrars").click()
    await page.get_by_role("link", name="beta", exact=True).click()
    status = page.locator('form[action="/registrars/beta/status"]')
    await status.get_by_label("Status").select_option("suspended")
    await status.get_by_label("Reason (for the audit)").fill("unpaid invoices, ticket 31")
    await status.get_by_role("button", name="Set status").click()
    await expect(page.locator("#status")).to_have_text("suspended")
    await page.screenshot(path=SCREENSHOTS / "admin-registrar.png", full_page=True)
    await page.get_by_role("link", name="History of this registrar").click()
    await expect(page.locator("td.change").first).to_have_text("unpaid invoices, ticket 31")
    await expect(page.locator("td.by").first).to_have_text("root from 127.0.0.1")
    await page.screenshot(path=SCREENSHOTS / "admin-audit.png", full_page=True)
    assert violations == []
    assert (await registrars.get_registrar(core, "beta")).status == "suspended"
    assert {p.name for p in await price_lists.list_premium(core, "example")} == {"casino.example", "bet.example"}
