"""The shop's search in a real browser (Debian's Chromium through Playwright, never a
browser download): a visitor types a name, submits, and sees it available with the shop's
price, a taken name with the registry's reason and an IDN as its U-label, under the strict
Content-Security-Policy with no violation. A screenshot lands in var/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry_core.context import Core
from storefront.engine import SearchEngine
from storefront.web.app import Shop, ShopServer, build_app
from tests.core.helpers import make_domain
from tests.storefront.test_search import engine, other_registry  # noqa: F401 (fixtures)
from tests.web.test_browser import CHROMIUM, SCREENSHOTS, page  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (`make test-deps` installs the Debian "
                                "package chromium); skipping the browser tests")


@pytest.fixture
async def shop_url(engine: SearchEngine) -> AsyncIterator[str]:  # noqa: F811 (the fixture above)
    server = ShopServer(build_app(Shop(engine, "Browser shop")))
    await server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}"
    await server.stop()


async def test_a_visitor_searches_and_sees_prices_in_chromium(registry: Core, shop_url: str,
                                                              page: object) -> None:  # noqa: F811
    from playwright.async_api import Page, expect
    assert isinstance(page, Page)
    await make_domain(registry, "browsed.example")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    await page.goto(f"{shop_url}/")
    await page.get_by_label("Find a domain name").fill("browsed")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("tr[data-name='browsed.thin']")).to_contain_text("available")
    await expect(page.locator("tr[data-name='browsed.thin']")).to_contain_text("10.00 USD")
    await expect(page.locator("tr[data-name='browsed.example']")).to_contain_text("not available")
    await expect(page.locator("tr[data-name='mybrowsed.example']")).to_contain_text("12.50 USD")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "shop-search.png"), full_page=True)
    await page.get_by_label("Find a domain name").fill("Bücher")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("tr[data-name='xn--bcher-kva.example']")).to_contain_text("bücher.example")
    assert violations == []
