"""The admin console's TLD pages over real HTTP against the real database: an admin changes
policy and prices (with a reason the audit shows), imports premium names from an uploaded
CSV (a bad file changes nothing and names every bad row), reserves and releases names and
sets a price group's prices; support and read-only staff see the page but the server
refuses their changes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from registry_core.context import Core
from registry_core.services import price_lists, tlds
from tests.conftest import fetch
from tests.web.staff import Staff

POLICY = {"contact_policy": "optional", "currency": "USD", "min_period_years": "1", "max_period_years": "10",
          "transfer_period_years": "1", "transfer_auto_approve": "5", "add_grace": "5", "renew_grace": "5",
          "autorenew_grace": "45", "transfer_grace": "5", "redemption_period": "30", "pending_delete_period": "5",
          "pending_restore_period": "7", "auto_renew": "on", "whois_enabled": "on", "expiry_reminder_days": "30,7,1",
          "price_create": "10.00", "price_renew": "10.00", "price_transfer": "10.00", "price_restore": "50.00"}


async def test_an_admin_changes_policy_and_prices_and_the_audit_says_why(core: Core, staff: dict[str, Staff]
                                                                          ) -> None:
    root = staff["root"]
    status, page, _resp = await root.browser.get("/tlds")
    assert status == 200 and '<a href="/tlds/example">example</a>' in page
    form = {**POLICY, "redemption_period": "40", "max_period_years": "5", "expiry_reminder_days": "14,1",
            "price_renew": "12.50", "reason": "board decision 2026-12"}
    status, page = await root.submit("/tlds/example", "/tlds/example/policy", form)
    assert status == 200, page
    assert "Changed: max_period_years, redemption_period, expiry_reminder_days, renew price" in page
    tld = await tlds.get_tld(core, "example")
    assert (tld.redemption_period, tld.max_period_years, tld.prices["renew"]) == (timedelta(days=40), 5,
                                                                                   Decimal("12.50"))
    assert await tlds.tld_reminder_days(core, "example") == [14, 1]
    assert 'name="redemption_period" value="40"' in page and 'name="price_renew" value="12.50"' in page
    status, page, _resp = await root.browser.get("/audit?object=example")
    assert re.search(r'<td class="action">update</td>.*?<td class="by">root from 127.0.0.1</td>\s*'
                     r'<td class="change">board decision 2026-12</td>', page, re.S)


async def test_no_policy_change_without_a_reason_a_valid_value_or_the_admin_role(core: Core,
                                                                                 staff: dict[str, Staff]) -> None:
    form = {**POLICY, "redemption_period": "40", "reason": "try"}
    assert (await staff["root"].submit("/tlds/example", "/tlds/example/policy", {**form, "reason": " "}))[0] == 422
    assert (await staff["root"].submit("/tlds/example", "/tlds/example/policy",
                                       {**form, "max_period_years": "ten"}))[0] == 422
    for login in ("sam", "fay", "rita"):
        status, page, _resp = await staff[login].browser.get("/tlds/example")
        assert status == 200 and "Save policy" not in page
        assert (await staff[login].submit("/tlds/example", "/tlds/example/policy", form))[0] == 403
    assert (await tlds.get_tld(core, "example")).redemption_period == timedelta(days=30)
    assert not await fetch(core, "SELECT 1 FROM history WHERE object_type = 'tld' AND action = 'update'")


async def test_premium_csv_import_reports_every_bad_row_and_a_good_file_loads(core: Core,
                                                                            staff: dict[str, Staff]) -> None:
    root = staff["root"]
    bad = b"name,create,renew\nfine,100,90\nbad name!,1,1\ngood,abc,1\nother.strict,5,5\n"
    status, page = await root.upload("/tlds/example", "/tlds/example/premium", {"reason": "price list v2"},
                                     ("premium.csv", bad))
    assert status == 422
    assert all(f"line {n}:" in page for n in (3, 4, 5)), page
    assert await price_lists.list_premium(core, "example") == []
    good = "\ufeffname,create,renew\ncasino,1000,900\npoker.example,500,\n".encode()
    status, page = await root.upload("/tlds/example", "/tlds/example/premium", {"reason": "price list v2"},
                                     ("premium.csv", good))
    assert status == 200 and "Imported 2 premium names." in page and "<td>casino.example</td>" in page
    prices = {p.name: (p.create, p.renew) for p in await price_lists.list_premium(core, "example")}
    assert prices == {"casino.example": (Decimal("1000"), Decimal("900")), "poker.example": (Decimal("500"), None)}
    status, _page = await staff["sam"].upload("/tlds/example", "/tlds/example/premium", {"reason": "x"},
                                              ("premium.csv", good))
    assert status == 403


async def test_reserved_names_and_group_prices(core: Core, staff: dict[str, Staff]) -> None:
    root = staff["root"]
    status, page = await root.submit("/tlds/example", "/tlds/example/reserved",
                                     {"names": "nic whois.example", "shown": "Registry use", "reason": "ICANN list"})
    assert status == 200 and "Reserved: nic.example, whois.example" in page
    assert await price_lists.list_reserved(core, "example") == [("nic.example", "Registry use"),
                                                                ("whois.example", "Registry use")]
    status, page = await root.submit("/tlds/example", "/tlds/example/release", {"names": "nic", "reason": "freed"})
    assert status == 200 and "Released 1 names." in page
    status, page = await root.submit("/tlds/example", "/tlds/example/group-prices",
                                     {"group": "gold", "price_create": "8.00", "price_renew": "8.50",
                                      "reason": "volume deal"})
    assert status == 200 and "<td>gold</td><td>create</td><td>8.00</td>" in page
    assert await price_lists.list_group_prices(core, "example") == [("gold", "create", Decimal("8.00")),
                                                                    ("gold", "renew", Decimal("8.50"))]
    assert (await staff["rita"].submit("/tlds/example", "/tlds/example/reserved",
                                       {"names": "x", "reason": "r"}))[0] == 403
