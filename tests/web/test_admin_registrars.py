"""The admin console's registrar pages over real HTTP against the real database: an admin
creates a registrar (its EPP password shown once), suspends it (EPP login then refused),
pins a certificate, sets the allowlist and resets the EPP password after a fresh code (and
not without one), puts it in a price group; finance books a credit and an adjustment with
a reason; support and read-only staff are refused by the server."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from registry_core.context import Core
from registry_core.errors import AuthenticationFailed, RegistrarNotAllowed
from registry_core.services import price_lists, registrars
from tests.conftest import fetch
from tests.web.staff import Staff

FINGERPRINT = "ab" * 32


async def test_an_admin_creates_and_suspends_a_registrar(core: Core, staff: dict[str, Staff]) -> None:
    root = staff["root"]
    status, page = await root.submit("/registrars", "/registrars", {
        "id": "gamma", "name": "Gamma Names", "iana_id": "9001", "credit_limit": "50", "email": "ops@gamma.test",
        "reason": "accreditation signed"})
    password = re.search(r"EPP password \(shown once\): (\S+)<", page)
    assert status == 200 and password, page
    assert '<a href="/registrars/gamma">gamma</a>' in page
    await registrars.add_certificate(core, "gamma", FINGERPRINT)
    assert (await registrars.authenticate(core, "gamma", password.group(1), fingerprint=FINGERPRINT,
                                          peer_ip="192.0.2.1")).id == "gamma"
    status, page = await root.submit("/registrars/gamma", "/registrars/gamma/status",
                                     {"status": "suspended", "reason": "unpaid invoices"})
    assert status == 200 and '<dd id="status">suspended</dd>' in page
    with pytest.raises(RegistrarNotAllowed):
        await registrars.authenticate(core, "gamma", password.group(1), fingerprint=FINGERPRINT, peer_ip="192.0.2.1")
    rows = await fetch(core, "SELECT action, via, after->>'reason' AS reason FROM history "
                             "WHERE object_name = 'gamma' ORDER BY id")
    assert [(r["action"], r["reason"]) for r in rows] == [("create", "accreditation signed"),
                                                          ("certificate-pin", None), ("update", "unpaid invoices")]
    assert (rows[0]["via"]["user"], rows[0]["via"]["ip"]) == ("root", "127.0.0.1")


async def test_credentials_need_a_fresh_code_and_the_admin_role(core: Core, staff: dict[str, Staff]) -> None:
    root = staff["root"]
    form = {"sha256": FINGERPRINT, "subject": "CN=alpha", "reason": "new key"}
    status, page = await root.submit("/registrars/alpha", "/registrars/alpha/certificates",
                                     {**form, "code": "000000"})
    assert status == 401 and "Confirm it is you" in page
    status, page = await root.submit("/registrars/alpha", "/registrars/alpha/certificates",
                                     {**form, "code": root.fresh_code()})
    assert status == 200 and FINGERPRINT in page
    status, page = await root.submit("/registrars/alpha", "/registrars/alpha/allowlist",
                                     {"networks": "192.0.2.0/24 2001:db8::1", "reason": "their new office",
                                      "code": root.fresh_code()})
    assert status == 200 and '<dd id="allowlist">192.0.2.0/24 2001:db8::1/128</dd>' in page
    status, page = await root.submit("/registrars/alpha", "/registrars/alpha/password",
                                     {"reason": "lost password, ticket 12", "code": root.fresh_code()})
    new = re.search(r"New EPP password \(shown once\): (\S+)<", page)
    assert status == 200 and new
    with pytest.raises(AuthenticationFailed):  # the old one no longer works
        await registrars.authenticate(core, "alpha", "Alpha-Pass1", fingerprint=FINGERPRINT, peer_ip="192.0.2.9")
    assert (await registrars.authenticate(core, "alpha", new.group(1), fingerprint=FINGERPRINT,
                                          peer_ip="192.0.2.9")).id == "alpha"
    sam = staff["sam"]
    assert (await sam.submit("/registrars/beta", "/registrars/beta/password",
                             {"reason": "support tries", "code": sam.fresh_code()}))[0] == 403
    assert (await sam.submit("/registrars/beta", "/registrars/beta/status",
                             {"status": "suspended", "reason": "support tries"}))[0] == 403
    assert (await registrars.get_registrar(core, "beta")).status == "active"


async def test_finance_books_credits_and_adjustments_and_the_admin_sets_the_group(core: Core,
                                                                                 staff: dict[str, Staff]) -> None:
    fay = staff["fay"]
    status, page = await fay.submit("/registrars/alpha", "/registrars/alpha/credit",
                                    {"amount": "250.00", "description": "wire 2026-12-01",
                                     "reason": "payment received"})
    assert status == 200 and "Balance now: 1250.00" in page
    status, page = await fay.submit("/registrars/alpha", "/registrars/alpha/credit",
                                    {"amount": "-10.00", "description": "fee", "reason": "bank fee passed on"})
    assert status == 200 and "Balance now: 1240.00" in page
    assert (await fay.submit("/registrars/alpha", "/registrars/alpha/credit",
                             {"amount": "5", "description": "x", "reason": ""}))[0] == 422
    ledger = await fetch(core, "SELECT action, amount, description FROM ledger WHERE registrar_id = 'alpha' "
                               "ORDER BY id")
    assert [(r["action"], r["amount"], r["description"]) for r in ledger[-2:]] == [
        ("credit", Decimal("250.00"), "wire 2026-12-01: payment received"),
        ("adjustment", Decimal("-10.00"), "fee: bank fee passed on")]
    assert (await fay.submit("/registrars/alpha", "/registrars/alpha/price-group",
                             {"group": "gold", "reason": "finance tries"}))[0] == 403
    status, page = await staff["root"].submit("/registrars/alpha", "/registrars/alpha/price-group",
                                              {"group": "gold", "reason": "volume deal"})
    assert status == 200 and '<dd id="group">gold</dd>' in page
    assert await price_lists.registrar_group(core, "alpha") == "gold"
    rita = staff["rita"]
    status, page, _resp = await rita.browser.get("/registrars/alpha")
    assert status == 200 and "Book it" not in page
    assert (await rita.submit("/registrars", "/registrars/alpha/credit",
                              {"amount": "1000", "description": "x", "reason": "mine"}))[0] == 403
