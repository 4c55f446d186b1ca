"""htmx on the consoles, in real Chromium: the build fetches the pinned htmx (checked against
its npm integrity, never from a CDN at run time) and served by the console itself; the domain
list filters as the user types, replacing only the list (the page is not reloaded: a marker
set on the window survives) and putting the filter in the address bar; no CSP violation.
Without the file the same form is a plain GET (the other console tests)."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Page, expect

from protocols.web import assets
from protocols.web.server import WebServer
from registry_core.context import Core
from registry_core.services import accounts
from tests.conftest import ROOT, TestClock
from tests.core.helpers import make_domain
from tests.web.test_browser import console, page, pytestmark  # noqa: F401 - the fixtures, the skip
from tests.web.test_browser_domain_actions import _sign_in

HTMX = assets.assets_dir(ROOT / "var") / assets.FILE


def test_the_pinned_integrity_is_checked() -> None:
    assert assets.integrity_ok(b"x", "sha512-" + "LKLPBh5/0wX1Kr4BV/jb1z4kbUuK7AFaNSR/dDfVpUBfNoUpH0j9L8N6TkZV6Ir2"
                               "xzj6ZYJpQU3cP3pz5r6U1g==") is False
    assert not assets.integrity_ok(b"x", "sha1-abc")


@pytest.mark.skipif(not HTMX.is_file(), reason="htmx was not fetched (`make web-assets` needs the npm registry)")
async def test_the_domain_list_filters_as_the_user_types(core: Core, console: WebServer,  # noqa: F811
                                                         page: Page, clock: TestClock) -> None:  # noqa: F811
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await accounts.add_user(core, accounts.NewUser("olga", "olga@example.net", "owner", "alpha",
                                                   password="Console-Pass1"))
    for name in ("apple.example", "apricot.example", "banana.example"):
        await make_domain(core, name)
    await _sign_in(page, console.port, clock)
    await page.get_by_role("link", name="Domains").click()
    rows = page.locator("#domain-list tbody tr")
    await expect(rows).to_have_count(3)
    await page.evaluate("window.notReloaded = true")
    await page.get_by_label("Name starts with").press_sequentially("ap", delay=50)
    await expect(rows).to_have_count(2)
    await expect(page).to_have_url(f"http://127.0.0.1:{console.port}/domains?prefix=ap&status=&expires_before=")
    assert await page.evaluate("window.notReloaded === true")  # only the list was swapped
    await page.get_by_label("Name starts with").fill("ban")
    await page.get_by_label("Name starts with").press("Enter")
    await expect(rows).to_have_count(1)
    assert await page.evaluate("window.notReloaded === true")
    assert violations == []


@pytest.mark.skipif(not HTMX.is_file(), reason="htmx was not fetched (`make web-assets` needs the npm registry)")
async def test_htmx_is_served_from_the_console_itself(console: WebServer) -> None:  # noqa: F811
    base = f"http://127.0.0.1:{console.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/login") as login:
            text = await login.text()
        assert '<script src="/static/vendor/htmx.min.js" defer></script>' in text and "://" not in text.split(
            "<body>")[0].replace("http-equiv", "")
        async with http.get(f"{base}/static/vendor/htmx.min.js") as script:
            assert script.status == 200 and await script.read() == HTMX.read_bytes()
