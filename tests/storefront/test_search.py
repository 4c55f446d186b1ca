"""The storefront's domain search through registry connectors over real EPP/TLS: one
<domain:check> with <fee:check> per registry per search, availability, reserved and
premium names, the shop's margin, IDNA normalisation, the short cache, a session pool that
survives a broken session; and the pure parts (normalisation, suggestions, margins)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from protocols.cli.certs import DevCerts
from protocols.epp.server import EppServer
from protocols.net.activity import COUNTS
from protocols.net.tls import client_context
from registry_core.context import Core
from registry_core.services import price_lists
from storefront.connector import ConnectorSettings, RegistryConnector
from storefront.engine import SearchEngine
from storefront.search import Margin, QueryRejected, candidates, normalize
from tests.conftest import PRICES
from tests.core.helpers import make_domain
from tests.epp.conftest import PASSWORDS, epp_config


@pytest.fixture
async def other_registry(registry: Core, dev_certs: DevCerts) -> AsyncIterator[EppServer]:
    """A second EPP server on its own port: to the shop, another registry (selling .thin)."""
    server = EppServer(epp_config(dev_certs, idle_timeout=30.0, write_timeout=5.0), registry)
    await server.start()
    yield server
    await server.stop(1.0)


def connector(certs: DevCerts, name: str, port: int, tlds_: tuple[str, ...]) -> RegistryConnector:
    issued = certs.registrars["alpha"]
    context = client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False)
    return RegistryConnector(ConnectorSettings(name, "127.0.0.1", port, "alpha", PASSWORDS["alpha"], tlds_,
                                               sessions=2, commands_per_second=200), context)


@pytest.fixture
async def engine(registry: Core, dev_certs: DevCerts, epp_server: EppServer,
                 other_registry: EppServer) -> AsyncIterator[SearchEngine]:
    ours = connector(dev_certs, "ours", epp_server.port, ("example",))
    other = connector(dev_certs, "other", other_registry.port, ("thin",))
    for c in (ours, other):
        await c.start()
    yield SearchEngine({"ours": ours, "other": other}, {"example": Margin(Decimal("1.50"), Decimal(10))})
    for c in (ours, other):
        await c.stop()


async def test_one_check_per_registry_with_prices_premium_and_reserved(registry: Core, engine: SearchEngine) -> None:
    await make_domain(registry, "taken.example")
    await price_lists.import_premium_csv(registry, "thin", "taken,500,500,500,500\n")
    await price_lists.reserve_names(registry, "example", ["gettaken"])
    COUNTS.take()
    offers = await engine.search("Taken")
    by_name = {o.name: o for o in offers}
    assert list(by_name)[:2] == ["taken.example", "taken.thin"]
    assert not by_name["taken.example"].available and by_name["taken.example"].price is None
    premium = by_name["taken.thin"]  # no margin rule for .thin: the registry's premium fee as it is
    assert premium.available and premium.premium and (premium.price, premium.currency) == (Decimal(500), "USD")
    assert not by_name["gettaken.example"].available and by_name["gettaken.example"].reason
    assert by_name["mytaken.example"].available and not by_name["mytaken.example"].premium
    assert "taken-shop.example" not in by_name
    counted = COUNTS.take()
    assert counted[("example", "alpha", "srs-dom-check")] == 1 and counted[("thin", "alpha", "srs-dom-check")] == 1
    again = await engine.search("taken")  # inside the cache window: no command at all
    assert [o.name for o in again] == [o.name for o in offers] and not COUNTS.take()


async def test_the_margin_is_added_to_the_registry_fee(registry: Core, engine: SearchEngine) -> None:
    offers = {o.name: o for o in await engine.search("pricey.example", suggestions=False)}
    # .example: the registry's 10.00 plus the shop's 1.50 and 10 %; .thin: no margin rule
    assert offers["pricey.example"].price == Decimal("12.50") == Margin(Decimal("1.50"), Decimal(10)).price(
        PRICES["create"])
    assert offers["pricey.thin"].price == PRICES["create"]


async def test_idna_input_is_asked_as_an_a_label_and_shown_as_a_u_label(engine: SearchEngine) -> None:
    offers = await engine.search("Bücher", suggestions=False)
    assert [(o.name, o.shown) for o in offers] == [("xn--bcher-kva.example", "bücher.example"),
                                                  ("xn--bcher-kva.thin", "bücher.thin")]
    with pytest.raises(QueryRejected):
        await engine.search("   ")


def test_normalisation_and_suggestions() -> None:
    sold = ("example", "thin")
    assert normalize("  Best Shoes.thin ", sold).label == "best-shoes"
    wanted = normalize("bestshoes", sold)
    names = candidates(wanted, sold)
    assert names[:2] == ["bestshoes.example", "bestshoes.thin"] and "best-shoes.example" in names
    assert candidates(normalize("x.thin", sold), sold, suggestions=False) == ["x.thin", "x.example"]
    with pytest.raises(QueryRejected):
        normalize("a" * 64, sold)  # longer than a label may be (RFC 1035)
    assert Margin(Decimal(1), Decimal(10)).price(Decimal("8.00")) == Decimal("9.80")


async def test_a_broken_session_is_replaced_and_the_check_sent_again(engine: SearchEngine) -> None:
    await engine.search("first", suggestions=False)
    ours = engine.by_tld["example"]
    broken = ours._idle.get_nowait()
    assert broken._writer is not None
    broken._writer.transport.abort()  # the registry's end went away while the session sat idle
    ours._idle.put_nowait(broken)
    offers = await engine.search("second", suggestions=False)
    assert [o.name for o in offers] == ["second.example", "second.thin"] and all(o.available for o in offers)
