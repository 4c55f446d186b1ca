"""Deposits written from the real database through the real streaming writer, validated
against our own schemas (schemas/rde/): a FULL with every kind of object and exact header
counts per TLD, contacts only where the TLD collects them, the thin BRDA view, a DIFF that
holds exactly what changed (deletes included), and a deposit read from one snapshot while
EPP-style writes go on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from protocols.escrow.deposit_sink import ThreadedDepositSink
from registry_core.context import Core
from registry_core.errors import ObjectExists
from registry_core.model import escrow as model
from registry_core.services import domains, escrow, registrars
from registry_core.services.bulk import LoadSpec, load_test_data
from tests.conftest import actor
from tests.core.helpers import make_domain
from tests.escrow.helpers import NS, deposit, earlier, give_addresses, parse_valid, populate


def counts(doc: etree._ElementTree) -> dict[str, int]:
    return {c.get("uri"): int(c.text) for c in doc.iterfind(".//rdeHeader:count", NS)}


def by_name(doc: etree._ElementTree, tag: str, name: str) -> etree._Element:
    prefix = tag.split(":")[0]
    return next(e for e in doc.iterfind(f".//{tag}", NS) if e.findtext(f"{prefix}:name", None, NS) == name)


async def test_a_full_deposit_holds_every_object_of_its_tld_and_counts_them_exactly(core: Core, tmp_path: Path) -> None:
    await populate(core)
    written, path = await deposit(core, tmp_path, "example", "full", datetime.now(UTC) - timedelta(minutes=1))
    doc = parse_valid(path)
    root = doc.getroot()
    assert root.get("type") == "FULL" and root.get("id") == written.plan.id and root.get("resend") == "0"
    names = [n.text for n in doc.iterfind(".//rdeDomain:domain/rdeDomain:name", NS)]
    assert sorted(names) == ["one.example", "three.example", "two.example"]  # not s.strict
    hosts = sorted(n.text for n in doc.iterfind(".//rdeHost:host/rdeHost:name", NS))
    assert hosts == ["ns1.one.example", "ns1.outside.net"]
    contacts = sorted(n.text for n in doc.iterfind(".//rdeContact:contact/rdeContact:id", NS))
    assert contacts == ["adm1", "reg1"]  # str1 belongs to strict only
    assert counts(doc) == {model.URI_DOMAIN: 3, model.URI_HOST: 2, model.URI_CONTACT: 2, model.URI_REGISTRAR: 2}
    assert written.counts == counts(doc)
    one = by_name(doc, "rdeDomain:domain", "one.example")
    assert str(one.findtext("rdeDomain:roid", None, NS)).endswith("-EXAMPLE")
    assert {s.get("s") for s in one.iterfind("rdeDomain:rgpStatus", NS)} == {"addPeriod"}
    assert one.findtext("rdeDomain:secDNS/secDNS:dsData/secDNS:keyTag", None, NS) == "12345"
    nameservers = sorted(str(h.text) for h in one.iterfind("rdeDomain:ns/domain:hostObj", NS))
    assert nameservers == ["ns1.one.example", "ns1.outside.net"]
    two = by_name(doc, "rdeDomain:domain", "two.example")
    assert {s.get("s") for s in two.iterfind("rdeDomain:status", NS)} == {"inactive"}
    glue = by_name(doc, "rdeHost:host", "ns1.one.example")
    addresses = [(a.get("ip"), a.text) for a in glue.iterfind("rdeHost:addr", NS)]
    assert addresses == [("v4", "192.0.2.1"), ("v6", "2001:db8::1")]
    gurids = {r.findtext("rdeRegistrar:id", None, NS) for r in doc.iterfind(".//rdeRegistrar:registrar", NS)}
    assert gurids == {"alpha", "beta"}


async def test_a_tld_without_contacts_deposits_none_and_the_thin_view_has_domains_and_registrars(
        core: Core, tmp_path: Path) -> None:
    await populate(core)
    with earlier(core):
        await make_domain(core, "a.thin")
    _, path = await deposit(core, tmp_path, "thin", "full", datetime.now(UTC) - timedelta(minutes=1))
    doc = parse_valid(path)
    menu = [u.text for u in doc.iterfind("rde:rdeMenu/rde:objURI", NS)]
    assert model.URI_CONTACT not in menu and model.URI_HOST in menu
    assert counts(doc) == {model.URI_DOMAIN: 1, model.URI_HOST: 0, model.URI_REGISTRAR: 2}
    _, brda = await deposit(core, tmp_path, "example", "thin", datetime.now(UTC) - timedelta(minutes=1))
    thin = parse_valid(brda)
    assert counts(thin) == {model.URI_DOMAIN: 3, model.URI_REGISTRAR: 2}
    assert not list(thin.iterfind(".//rdeDomain:contact", NS)) and not list(thin.iterfind(".//rdeDomain:ns", NS))
    assert brda.name.startswith("example_") and "_thin_S1_R0" in brda.name


async def test_a_diff_holds_what_changed_since_the_previous_deposit_deletes_included(
        core: Core, tmp_path: Path) -> None:
    await populate(core)
    full, _ = await deposit(core, tmp_path, "example", "full", datetime.now(UTC) - timedelta(days=1))
    with earlier(core, timedelta(hours=1)):
        await make_domain(core, "four.example")
        await domains.delete_domain(core, actor("beta"), "three.example")  # in add grace: gone at once
    await make_domain(core, "five.example")  # after the next watermark: in the deposit after it
    written, path = await deposit(core, tmp_path, "example", "diff", datetime.now(UTC) - timedelta(minutes=1))
    doc = parse_valid(path)
    root = doc.getroot()
    assert root.get("type") == "DIFF" and root.get("prevId") == full.plan.id
    assert [n.text for n in doc.iterfind(".//rdeDomain:domain/rdeDomain:name", NS)] == ["four.example"]
    assert [n.text for n in doc.iterfind("rde:deletes/rdeDomain:delete/rdeDomain:name", NS)] == ["three.example"]
    assert counts(doc)[model.URI_DOMAIN] == 1 and written.counts[model.URI_DOMAIN] == 1
    again, path2 = await deposit(core, tmp_path, "example", "diff", datetime.now(UTC))
    later = parse_valid(path2)
    assert again.plan.prev_id == written.plan.id
    assert [n.text for n in later.iterfind(".//rdeDomain:domain/rdeDomain:name", NS)] == ["five.example"]
    assert not list(later.iterfind("rde:deletes/rdeDomain:delete", NS))


async def test_a_second_deposit_at_the_same_watermark_is_a_resend(core: Core, tmp_path: Path) -> None:
    await populate(core)
    at = datetime.now(UTC) - timedelta(hours=1)
    first, _ = await deposit(core, tmp_path, "example", "full", at)
    second, path = await deposit(core, tmp_path, "example", "full", at)
    assert (first.plan.resend, second.plan.resend) == (0, 1) and path.name.endswith("_full_S1_R1.xml")
    assert parse_valid(path).getroot().get("resend") == "1"


class WritesWhileReading(ThreadedDepositSink):
    """The real writer; at its first batch another connection commits a new domain, as
    EPP would while a long deposit streams."""

    def __init__(self, path: Path, core: Core) -> None:
        super().__init__(path)
        self.core, self.done = core, False

    async def write(self, items: list[Any]) -> None:
        if not self.done:
            self.done = True
            await make_domain(self.core, "late.example")
        await super().write(items)


async def test_a_deposit_is_one_snapshot_across_batches_while_writes_go_on(core: Core, tmp_path: Path) -> None:
    await load_test_data(core, LoadSpec(tld="example", domains=1200, registrars=2, contacts=20, providers=5,
                                        history=True, batch=400, jobs=2))
    await give_addresses(core, *[r.id for r in await registrars.list_registrars(core)])
    base = await escrow.plan_at(core, "example", "full", datetime.now(UTC) - timedelta(minutes=1))
    path = tmp_path / f"{base.stem}.xml"
    written = await escrow.write_deposit(core, base, WritesWhileReading(path, core))
    await escrow.record_deposit(core, written, path.name, move_cursor=False)
    doc = parse_valid(path)
    names = {n.text for n in doc.iterfind(".//rdeDomain:domain/rdeDomain:name", NS)}
    assert len(names) == 1200 and "late.example" not in names and counts(doc)[model.URI_DOMAIN] == 1200
    _, later = await deposit(core, tmp_path, "example", "diff", datetime.now(UTC))
    assert [n.text for n in parse_valid(later).iterfind(".//rdeDomain:domain/rdeDomain:name", NS)] == ["late.example"]


async def test_a_deposit_logged_twice_is_refused_and_the_file_is_private(core: Core, tmp_path: Path) -> None:
    await populate(core)
    written, path = await deposit(core, tmp_path, "example", "full", datetime.now(UTC) - timedelta(minutes=1))
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ObjectExists):  # a second node that made the same deposit at the same time
        await escrow.record_deposit(core, written, path.name, move_cursor=True)
