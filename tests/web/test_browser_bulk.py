"""A registrar's owner uploads a CSV of renewals on the bulk page in Debian's Chromium
(Playwright, `executable_path`), under the strict CSP with no violation: the result table
shows each row's outcome with its EPP result, the good rows are renewed (the core's
domain:info shows it) and the bad one is refused without undoing them. Screenshot in
var/screenshots/ (not committed)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.services import accounts, domains
from tests.conftest import TestClock
from tests.core.helpers import actor, make_domain
from tests.web.test_browser import SCREENSHOTS, console, page, pytestmark  # noqa: F401 - the fixtures, the skip
from tests.web.test_browser_domain_actions import _sign_in


async def test_an_owner_renews_domains_from_a_csv_upload(core: Core, console: WebServer,  # noqa: F811
                                                       page: Page, clock: TestClock,  # noqa: F811
                                                       tmp_path: Path) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha",
                                                   password="Console-Pass1"))
    one = await make_domain(core, "bulk-one.example")
    two = await make_domain(core, "bulk-two.example")
    upload = tmp_path / "renewals.csv"
    upload.write_text("name,years,current_expiry\n"
                      f"bulk-one.example,1,{one.expires_at:%Y-%m-%d}\n"
                      "bulk-nowhere.example,1,2030-01-01\n"
                      f"bulk-two.example,2,{two.expires_at:%Y-%m-%d}\n")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await _sign_in(page, console.port, clock)
    await page.get_by_role("link", name="Bulk").click()
    await page.get_by_label("Renewals (CSV)").set_input_files(upload)
    await page.get_by_role("button", name="Renew these domains").click()
    await expect(page.locator(".notice")).to_have_text("2 of 3 row(s) done; 1 refused.")
    rows = page.locator("#bulk-results tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("1000 Command completed successfully")
    await expect(rows.nth(1)).to_contain_text("2303 Object does not exist")
    await expect(rows.nth(2)).to_contain_text("bulk-two.example")
    await page.screenshot(path=SCREENSHOTS / "registrar-bulk-renew.png", full_page=True)
    assert (await domains.info_domain(core, actor("alpha"), "bulk-one.example")).expires_at.year == \
        one.expires_at.year + 1
    assert (await domains.info_domain(core, actor("alpha"), "bulk-two.example")).expires_at.year == \
        two.expires_at.year + 2
    assert violations == []
