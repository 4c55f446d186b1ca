"""domain_markup writes, byte for byte, what lxml writes for render_domain (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from protocols.escrow.deposit_xml import render_domain
from protocols.escrow.domain_markup import domain_markup
from registry_core.model.domain import DsData
from registry_core.model.escrow import EscrowDomain, EscrowTransfer

AT = datetime(2026, 12, 3, 16, 8, 33, 376512, tzinfo=UTC)
PLAIN = EscrowDomain("plain.example", "D1-EXAMPLE", None, ("ok",), (), None, (), (), "demo", "demo", AT,
                     AT + timedelta(days=365))
FULL = EscrowDomain(
    "xn--bcher-kva.example", "D2-EXAMPLE", "bücher.example", ("clientHold", "serverUpdateProhibited"),
    ("addPeriod", "renewPeriod"), "reg-1", (("admin", "a&b<c>"), ("tech", 'q"t')),
    ("ns1.elsewhere.net", "ns2.bücher.example"), "demo", "rival", AT, AT + timedelta(days=730), "demo",
    AT + timedelta(hours=1), (DsData(12345, 8, 2, "ABCDEF0123"), DsData(1, 13, 4, "00FF")),
    AT.astimezone(timezone(timedelta(hours=5))),
    EscrowTransfer("pending", "rival", AT, "demo", AT + timedelta(days=5), AT + timedelta(days=365)))


def lxml_bytes(d: EscrowDomain) -> str:
    return etree.tostring(render_domain(d), encoding="unicode")


@pytest.mark.parametrize("domain", [
    PLAIN, FULL,
    replace(FULL, transfer=replace(FULL.transfer, expires_at=None), u_name=""),  # type: ignore[arg-type]
    replace(PLAIN, contacts=(("billing", "x\r\ny\tz"),), statuses=('a"\t\nb',), registrant=""),
    replace(PLAIN, nameservers=("ns1.example",), updater=None, updated_at=AT, ds=()),
], ids=["plain", "full", "no-expiry", "escapes", "sparse"])
def test_markup_is_what_lxml_writes(domain: EscrowDomain) -> None:
    assert domain_markup(domain) == lxml_bytes(domain)


def test_a_character_xml_forbids_is_refused_as_lxml_refuses_it() -> None:
    bad = replace(PLAIN, registrant="reg\x01")
    with pytest.raises(ValueError):
        lxml_bytes(bad)
    with pytest.raises(ValueError, match="U\\+0001"):
        domain_markup(bad)
