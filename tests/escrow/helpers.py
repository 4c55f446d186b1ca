"""Builders for the escrow tests: a registry with objects of every kind, and deposits
written to a folder through the real writer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from protocols.escrow.deposit_sink import ThreadedDepositSink
from registry_core.context import Core
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.services import escrow, registrars
from registry_core.services.domain_update import update_domain
from tests.conftest import ROOT, TestClock, actor
from tests.core.helpers import make_contact, make_domain, make_host

SCHEMA = etree.XMLSchema(etree.parse(str(ROOT / "schemas" / "rde" / "bundle.xsd")))
NS = {"rde": "urn:ietf:params:xml:ns:rde-1.0", "rdeDomain": "urn:ietf:params:xml:ns:rdeDomain-1.0",
      "rdeHost": "urn:ietf:params:xml:ns:rdeHost-1.0", "rdeContact": "urn:ietf:params:xml:ns:rdeContact-1.0",
      "rdeRegistrar": "urn:ietf:params:xml:ns:rdeRegistrar-1.0",
      "rdeHeader": "urn:ietf:params:xml:ns:rdeHeader-1.0", "domain": "urn:ietf:params:xml:ns:domain-1.0",
      "secDNS": "urn:ietf:params:xml:ns:secDNS-1.1"}


async def give_addresses(core: Core, *ids: str) -> None:
    for rid in ids or ("alpha", "beta"):
        await registrars.update_registrar(core, rid, street=["1 Registrar Way"], city="Springfield", cc="US",
                                          email=f"{rid}@registrar.test", voice="+1.5555550100")


@contextlib.contextmanager
def earlier(core: Core, by: timedelta = timedelta(days=2), before: datetime | None = None) -> Iterator[datetime]:
    """Transforms run inside are dated `by` before `before` (the test clock's time if it is
    held, else now): a deposit holds the state at its watermark, so what it should hold
    must be older than the watermark."""
    clock = core.db.clock
    assert isinstance(clock, TestClock)
    held = clock.frozen
    clock.frozen = (before or held or datetime.now(UTC)) - by
    try:
        yield clock.frozen
    finally:
        clock.frozen = held


async def populate(core: Core, before: datetime | None = None) -> None:
    """example: a domain with contacts, NS (one subordinate with glue) and DS; a bare one;
    one of beta's; strict gets a domain with contacts too. All made two days before
    `before` (default: the clock's now)."""
    with earlier(core, before=before):
        await _populate(core)


async def _populate(core: Core) -> None:
    await give_addresses(core)
    for handle in ("reg1", "adm1"):
        await make_contact(core, handle)
    await make_host(core, "ns1.outside.net")
    await make_domain(core, "one.example", registrant="reg1", contacts_=(("admin", "adm1"), ("tech", "adm1")),
                      ns=("ns1.outside.net",))
    await make_host(core, "ns1.one.example", addresses=("192.0.2.1", "2001:db8::1"))
    await add_ds(core, "one.example")
    await make_domain(core, "two.example")
    await make_domain(core, "three.example", "beta")
    await make_contact(core, "str1")
    await make_domain(core, "s.strict", registrant="str1", contacts_=(("admin", "str1"), ("tech", "str1")))


async def add_ds(core: Core, name: str) -> None:
    """DS data and the subordinate name server ns1.<name>."""
    await update_domain(core, actor(), DomainUpdate(name, add_nameservers=(f"ns1.{name}",),
                                                    add_ds=(DsData(12345, 13, 2, "AB" * 32),)))


async def deposit(core: Core, folder: Path, tld: str, mode: str, watermark: datetime | None = None
                  ) -> tuple[escrow.WrittenDeposit, Path]:
    """Write one deposit of `mode` (at `watermark`, else the cursor's next) and log it."""
    plan = (await escrow.plan_at(core, tld, mode, watermark) if watermark is not None
            else await escrow.next_plan(core, tld, mode))
    assert plan is not None
    path = folder / f"{plan.stem}.xml"
    written = await escrow.write_deposit(core, plan, ThreadedDepositSink(path))
    await escrow.record_deposit(core, written, path.name, move_cursor=watermark is None)
    return written, path


def parse_valid(path: Path) -> etree._ElementTree:
    doc = etree.parse(str(path))
    SCHEMA.assertValid(doc)
    return doc
