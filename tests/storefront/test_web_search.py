"""The shop's search page over real HTTP, answered through registry connectors over real
EPP/TLS: available names with their price, taken and reserved ones with the registry's
reason, IDNs shown as U-labels, the security headers, a refused query, and the per-IP rate
on searches (one address flooding is slowed, another still searches)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from lxml import html

from registry_core.context import Core
from registry_core.services import price_lists
from storefront.engine import SearchEngine
from storefront.web.app import Shop, ShopServer, build_app
from tests.core.helpers import make_domain
from tests.storefront.test_search import engine, other_registry  # noqa: F401 (fixtures)


@pytest.fixture
async def shop_url(engine: SearchEngine) -> AsyncIterator[str]:  # noqa: F811 (the fixture above)
    server = ShopServer(build_app(Shop(engine, "Test shop", searches_per_second=0.5, search_burst=3,
                                       trusted_proxies=("127.0.0.1",))))
    await server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}"
    await server.stop()


def rows(page: str) -> dict[str, tuple[str, str, str]]:
    doc = html.fromstring(page)
    return {tr.get("data-name"): tuple(" ".join(td.text_content().split()) for td in tr.findall("td"))
            for tr in doc.iterfind(".//table[@class='offers']/tbody/tr")}


async def test_the_search_page_shows_prices_and_the_registry_reasons(registry: Core, shop_url: str) -> None:
    await make_domain(registry, "taken.example")
    await price_lists.reserve_names(registry, "example", ["gettaken"])
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{shop_url}/") as home:
            assert home.status == 200 and "default-src 'none'" in home.headers["Content-Security-Policy"]
            assert 'name="q"' in await home.text()
        async with http.get(f"{shop_url}/search", params={"q": "taken"}) as answer:
            assert answer.status == 200
            found = rows(await answer.text())
        assert found["taken.example"][1].startswith("not available") and found["taken.example"][2] == ""
        assert found["taken.thin"] == ("taken.thin", "available", "10.00 USD")
        assert found["gettaken.example"][1].startswith("not available:")
        assert found["mytaken.example"][1] == "available" and found["mytaken.example"][2] == "12.50 USD"
        async with http.get(f"{shop_url}/search", params={"q": "Bücher"}) as idn:
            assert rows(await idn.text())["xn--bcher-kva.example"][0] == "bücher.example (xn--bcher-kva.example)"
        async with http.get(f"{shop_url}/search", params={"q": "a" * 64}) as refused:
            assert refused.status == 400 and "error" in await refused.text()
        async with http.get(f"{shop_url}/static/shop.css") as css:
            assert css.status == 200


async def test_searches_are_rate_limited_per_address(shop_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for n in range(5):  # a burst of 3, then 0.5 per second
            async with http.get(f"{shop_url}/search", params={"q": f"flood{n}"},
                                headers={"X-Forwarded-For": "198.51.100.7"}) as answer:
                statuses.append(answer.status)
                if answer.status == 429:
                    assert int(answer.headers["Retry-After"]) >= 1
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
        async with http.get(f"{shop_url}/search", params={"q": "calm"},
                            headers={"X-Forwarded-For": "198.51.100.8"}) as other:
            assert other.status == 200
