"""The registrar console's billing extras over real HTTP against the real database: the
monthly PDF statement (read back with pypdf: opening balance, every ledger line of the
month, closing balance), and the low-balance threshold the registrar sets (its history row;
a debit crossing it writes the registrar.balance.low notification and the EPP poll message);
a read-only user may read but is refused by the server when setting it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from registry_core.context import Core
from registry_core.services import registrars
from tests.conftest import TestClock, fetch
from tests.core.helpers import make_domain
from tests.web.client import Browser, csrf_of
from tests.web.test_console_domains import signed_in


@pytest.fixture
async def billing(core: Core, consoles: dict, clock: TestClock) -> AsyncIterator[Browser]:
    async with signed_in(core, consoles, clock, "bill", "billing") as browser:
        yield browser


async def pdf_text(browser: Browser, month: str) -> tuple[int, str, str]:
    async with browser.http.get(f"{browser.base}/billing/statement.pdf?month={month}") as resp:
        body = await resp.read()
        if resp.status != 200:
            return resp.status, "", body.decode()
        assert resp.content_type == "application/pdf" and body.startswith(b"%PDF-")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        return resp.status, text, resp.headers["Content-Disposition"]


async def test_the_monthly_statement_has_opening_every_line_and_closing(core: Core, billing: Browser,
                                                                        clock: TestClock) -> None:
    clock.frozen = datetime(2026, 3, 30, 12, tzinfo=UTC)
    await make_domain(core, "march.example")  # a debit in March
    clock.frozen = datetime(2026, 4, 2, 9, tzinfo=UTC)
    await make_domain(core, "april-one.example", years=2)
    await registrars.credit_registrar(core, "alpha", Decimal("250.50"), "wire 42", "credit-1")
    await make_domain(core, "april-two.example")
    clock.frozen = datetime(2026, 5, 1, 0, 1, tzinfo=UTC)
    await make_domain(core, "may.example")
    clock.frozen = None
    ledger = await fetch(core, "SELECT at, amount, balance_after, object_name FROM ledger "
                               "WHERE registrar_id = 'alpha' ORDER BY id")
    april = [r for r in ledger if r["at"].month == 4 and r["at"].year == 2026]
    assert len(april) == 3
    opening = april[0]["balance_after"] - april[0]["amount"]
    status, text, disposition = await pdf_text(billing, "2026-04")
    assert status == 200 and 'filename="statement-alpha-2026-04.pdf"' in disposition
    assert "statement for April 2026" in text and "Alpha Registrar (alpha)" in text
    assert f"Opening balance: {opening:,.2f}" in text
    for row in april:
        assert f"{row['amount']:,.2f}" in text and f"{row['balance_after']:,.2f}" in text
    assert "april-one.example" in text and "april-two.example" in text and "wire 42" in text
    assert "march.example" not in text and "may.example" not in text
    assert f"Closing balance: {april[-1]['balance_after']:,.2f}" in text and "3 entries" in text
    status, text, _ = await pdf_text(billing, "2026-06")  # nothing that month: opening == closing
    assert status == 200 and "No ledger entries" in text
    assert f"Opening balance: {ledger[-1]['balance_after']:,.2f}" in text
    assert (await pdf_text(billing, "2026-13"))[0] == 422
    assert (await pdf_text(billing, "april"))[0] == 422


async def test_the_low_balance_threshold_is_set_and_a_debit_crossing_it_notifies(core: Core, billing: Browser) -> None:
    status, page, _resp = await billing.get("/billing")
    assert status == 200 and 'id="low-balance-alert">none<' in page
    status, page, _resp = await billing.post("/billing/low-balance", {"csrf": csrf_of(page),
                                                                      "low_balance_alert": "12.345"})
    assert status == 422 and "threshold is an amount" in page
    status, page, _resp = await billing.post("/billing/low-balance", {"csrf": csrf_of(page),
                                                                      "low_balance_alert": "995"})
    assert status == 200 and "Low-balance alert set at 995.00" in page and 'id="low-balance-alert">995.00<' in page
    [history] = await fetch(core, "SELECT sv_trid, before, after FROM history WHERE object_type = 'registrar' "
                                  "AND action = 'update' AND sv_trid LIKE 'CON-U%'")
    assert history["after"] == {"low_balance_alert": "995.00"} and history["before"] == {"low_balance_alert": None}
    await make_domain(core, "tips-over.example")  # 1000 -> below 995: crosses the threshold
    events = await fetch(core, "SELECT type, payload FROM notification_event WHERE type = 'registrar.balance.low'")
    assert len(events) == 1 and events[0]["payload"]["threshold"] == "995.00"
    polls = await fetch(core, "SELECT kind FROM poll_message WHERE registrar_id = 'alpha' AND kind = 'lowBalance'")
    assert len(polls) == 1
    await make_domain(core, "further-down.example")  # already below: no second alert
    assert len(await fetch(core, "SELECT id FROM notification_event WHERE type = 'registrar.balance.low'")) == 1
    status, page, _resp = await billing.post("/billing/low-balance", {"csrf": csrf_of(page), "low_balance_alert": ""})
    assert status == 200 and "alert removed" in page
    assert (await fetch(core, "SELECT low_balance_alert FROM registrar WHERE id = 'alpha'"))[0]["low_balance_alert"] \
        is None


async def test_a_read_only_user_reads_statements_but_cannot_set_the_threshold(core: Core, consoles: dict,
                                                                              clock: TestClock) -> None:
    async with signed_in(core, consoles, clock, "rita", "read-only") as reader:
        status, page, _resp = await reader.get("/billing")
        assert status == 200 and "/billing/low-balance" not in page  # the page offers no form
        status, _text, _resp = await reader.post("/billing/low-balance", {"csrf": csrf_of(page),
                                                                          "low_balance_alert": "10"})
        assert status == 403  # and the server refuses the form posted by hand
        month = f"{datetime.now(UTC):%Y-%m}"
        assert (await pdf_text(reader, month))[0] == 200
    async with signed_in(core, consoles, clock, "tom", "technical") as technical:
        assert (await pdf_text(technical, month))[0] == 403  # billing is not the technical role's
    assert (await fetch(core, "SELECT low_balance_alert FROM registrar WHERE id = 'alpha'"))[0]["low_balance_alert"] \
        is None
