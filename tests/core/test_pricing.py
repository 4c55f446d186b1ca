"""Prices, premium and reserved names, registrar price groups and RFC 8748 fee rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry_core.errors import (
    FeeCurrencyMismatch,
    FeeTooLow,
    InvalidValue,
    NameReserved,
    PremiumFeeNotAcknowledged,
    ValueOutOfRange,
)
from registry_core.services import domains, price_lists, pricing, restore, transfers
from tests.conftest import actor, fetch
from tests.core.helpers import make_domain
from tests.core.test_lifecycle import DAY, T0, assert_books_balance, balance

PREMIUM_CSV = """name,create,renew,transfer,restore
gold,500.00,,250.00,
silver.example,100,100,100,100
bücher,75.50,,,
"""


async def quote(core, name, action="create", years=None, registrar="alpha", **kw):
    return (await pricing.quote_fees(core, actor(registrar), [name], action, years, **kw))[0]


async def test_standard_quotes_follow_the_tld_price_list(core):
    create = await quote(core, "plain.example", "create", 2)
    assert (create.total, create.currency, create.fee_class, create.years) == (Decimal("20.00"), "USD",
                                                                               "standard", 2)
    assert (await quote(core, "plain.example", "renew")).years == 1
    assert (await quote(core, "plain.example", "transfer")).total == Decimal("10.00")
    restore_quote = await quote(core, "plain.example", "restore")
    assert restore_quote.years is None and [f.description for f in restore_quote.fees] == ["restore"]
    assert (await quote(core, "plain.example", "delete")).total == 0


async def test_quotes_that_cannot_be_given_say_why(core):
    assert (await quote(core, "-bad-.example")).reason == "Invalid domain name"
    assert not (await quote(core, "x.nowhere")).available
    assert (await quote(core, "long.example", "create", 11)).reason == "Period out of range"
    assert (await quote(core, "eur.example", currency="EUR")).reason == "Fees are only quoted in USD"
    assert not (await quote(core, "odd.example", "custom")).available


async def test_premium_csv_import_sets_premium_prices(core):
    assert await price_lists.import_premium_csv(core, "example", PREMIUM_CSV) == 3
    gold = await quote(core, "gold.example")
    assert (gold.total, gold.fee_class) == (Decimal("500.00"), "premium")
    assert (await quote(core, "gold.example", "renew")).fee_class == "standard"  # empty cell: standard
    assert (await quote(core, "gold.example", "transfer", 2)).total == Decimal("500.00")
    assert (await quote(core, "xn--bcher-kva.example")).total == Decimal("75.50")
    names = [p.name for p in await price_lists.list_premium(core, "example")]
    assert names == ["gold.example", "silver.example", "xn--bcher-kva.example"]
    assert await price_lists.import_premium_csv(core, "example", "name,create\nplatinum,900\n", replace=True) == 1
    assert (await quote(core, "gold.example")).fee_class == "standard"


@pytest.mark.parametrize("text", ["gold,abc\n", "gold,-1\n", "gold,1.005\n", "x.other,5\n", "name,price\ngold,5\n",
                                  "-bad-,5\n"])
async def test_bad_premium_csv_is_refused_whole(core, text):
    with pytest.raises(InvalidValue):
        await price_lists.import_premium_csv(core, "example", text)
    assert await price_lists.list_premium(core, "example") == []


async def test_reserved_names_are_unavailable_and_cannot_be_created(core):
    assert await price_lists.reserve_names(core, "example", ["nic", "WHOIS.example"], "Registry use") == \
        ["nic.example", "whois.example"]
    checked = await domains.check_domains(core, actor(), ["nic.example", "free.example"])
    assert [(c.available, c.reason) for c in checked] == [(False, "Registry use"), (True, None)]
    assert (await quote(core, "nic.example")).reason == "Registry use"
    with pytest.raises(NameReserved):
        await make_domain(core, "nic.example")
    assert await price_lists.list_reserved(core, "example") == [("nic.example", "Registry use"),
                                                                ("whois.example", "Registry use")]
    assert await price_lists.release_names(core, "example", ["nic"]) == 1
    await make_domain(core, "nic.example")


async def test_plain_check_hides_premium_names_a_fee_check_shows_them(core):
    await price_lists.import_premium_csv(core, "example", PREMIUM_CSV)
    plain = await domains.check_domains(core, actor(), ["gold.example"])
    assert not plain[0].available and "fee" in (plain[0].reason or "")
    assert (await domains.check_domains(core, actor(), ["gold.example"], fee_check=True))[0].available


async def test_premium_create_needs_a_fee_that_covers_the_price(core):
    await price_lists.import_premium_csv(core, "example", PREMIUM_CSV)
    create = domains.DomainCreate("gold.example", 1, auth_info="Gold-Auth1")
    with pytest.raises(PremiumFeeNotAcknowledged) as missing:
        await domains.create_domain(core, actor(), create)
    assert missing.value.expected == Decimal("500.00") and missing.value.currency == "USD"
    with pytest.raises(FeeTooLow):
        await domains.create_domain(core, actor(), create, accepted_fee=Decimal("499.99"))
    with pytest.raises(FeeCurrencyMismatch):
        await domains.create_domain(core, actor(), create, accepted_fee=Decimal(500), fee_currency="EUR")
    assert await balance(core) == Decimal("1000.00")
    created = await domains.create_domain(core, actor(), create, accepted_fee=Decimal("600.00"))
    assert (created.charged, created.currency) == ("500.00", "USD")  # the registry charges its price
    assert await balance(core) == Decimal("500.00")
    deleted = await domains.delete_domain(core, actor(), "gold.example")
    assert deleted.refunded == Decimal("500.00")
    await assert_books_balance(core)


async def test_fee_errors_are_distinct_range_errors(core):
    assert issubclass(FeeTooLow, ValueOutOfRange) and issubclass(PremiumFeeNotAcknowledged, ValueOutOfRange)
    assert not issubclass(FeeTooLow, PremiumFeeNotAcknowledged)
    with pytest.raises(FeeTooLow):  # a standard name with a fee below the price
        await domains.create_domain(core, actor(), domains.DomainCreate("cheap.example"),
                                    accepted_fee=Decimal("9.99"))
    await domains.create_domain(core, actor(), domains.DomainCreate("cheap.example"))  # no fee: fine


async def test_premium_renew_transfer_and_restore_need_the_fee_too(core, clock):
    await price_lists.import_premium_csv(core, "example", PREMIUM_CSV)
    clock.frozen = T0
    created = await domains.create_domain(core, actor(), domains.DomainCreate("silver.example", auth_info="S-Auth1"),
                                          accepted_fee=Decimal(100))
    with pytest.raises(PremiumFeeNotAcknowledged):
        await domains.renew_domain(core, actor(), "silver.example", created.expires_at.date(), 1)
    with pytest.raises(PremiumFeeNotAcknowledged):
        await transfers.request_transfer(core, actor("beta"), "domain", "silver.example", "S-Auth1")
    info = await transfers.request_transfer(core, actor("beta"), "domain", "silver.example", "S-Auth1",
                                            accepted_fee=Decimal(100))
    assert (info.charged, info.currency) == ("100.00", "USD")
    await transfers.act_on_transfer(core, actor(), "domain", "silver.example", "reject")
    assert await balance(core, "beta") == Decimal("1000.00")  # refunded what it paid
    clock.frozen = T0 + 10 * DAY
    await domains.delete_domain(core, actor(), "silver.example")
    with pytest.raises(PremiumFeeNotAcknowledged):
        await restore.restore_request(core, actor(), "silver.example")
    requested = await restore.restore_request(core, actor(), "silver.example", accepted_fee=Decimal(100))
    assert requested.charged == Decimal("100.00")
    await assert_books_balance(core)


async def test_price_groups_replace_the_standard_prices_for_their_members(core):
    await price_lists.set_group_prices(core, "wholesale", "example", {"create": Decimal("8.00")})
    await price_lists.set_registrar_group(core, "alpha", "wholesale")
    assert (await quote(core, "a.example")).total == Decimal("8.00")
    assert (await quote(core, "a.example", registrar="beta")).total == Decimal("10.00")
    assert (await quote(core, "a.example", "renew")).total == Decimal("10.00")  # not in the group: TLD price
    assert (await make_domain(core, "a.example")).charged == "8.00"
    assert (await make_domain(core, "b.example", "beta")).charged == "10.00"
    await price_lists.set_registrar_group(core, "alpha", None)
    assert (await make_domain(core, "c.example")).charged == "10.00"
    with pytest.raises(InvalidValue):
        await price_lists.set_group_prices(core, "bad group", "example", {"create": Decimal(1)})
    with pytest.raises(InvalidValue):
        await price_lists.set_group_prices(core, "wholesale", "example", {"delete": Decimal(1)})
    await assert_books_balance(core)


async def test_premium_price_beats_the_group_price(core):
    await price_lists.import_premium_csv(core, "example", PREMIUM_CSV)
    await price_lists.set_group_prices(core, "wholesale", "example", {"create": Decimal("8.00")})
    await price_lists.set_registrar_group(core, "alpha", "wholesale")
    assert (await quote(core, "gold.example")).total == Decimal("500.00")


async def test_restore_quote_includes_the_renewal_of_an_expired_domain(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "old.example")
    clock.frozen = created.expires_at - DAY
    await domains.delete_domain(core, actor(), "old.example")
    clock.frozen = created.expires_at + DAY
    restore_quote = await quote(core, "old.example", "restore")
    assert [(f.description, f.amount) for f in restore_quote.fees] == [("restore", Decimal("50.00")),
                                                                       ("renew", Decimal("10.00"))]
    requested = await restore.restore_request(core, actor(), "old.example", accepted_fee=restore_quote.total)
    assert requested.charged == restore_quote.total
    rows = await fetch(core, "SELECT action, period_years FROM ledger WHERE object_name = 'old.example' ORDER BY id")
    assert [(r["action"], r["period_years"]) for r in rows] == [("create", 1), ("restore", None), ("renew", 1)]
