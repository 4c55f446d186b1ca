"""A deposit holds the state at its watermark however late it is read (RFC 9022: the
watermark is the moment whose data the deposit holds): a deposit at T written after a day
of changes (renew, status and name-server updates, deletes, a new domain, a host readdressed
then another deleted, a contact's new email) holds exactly the objects the same deposit
written before those changes held; a deposit at now holds the changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from registry_core.context import Core
from registry_core.model.contact import ContactUpdate
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.model.host import HostUpdate
from registry_core.services import contacts, domains, hosts
from registry_core.services.domain_update import update_domain
from tests.conftest import actor
from tests.core.helpers import make_domain
from tests.escrow.helpers import NS, deposit, earlier, parse_valid, populate


def objects(doc: etree._ElementTree) -> list[bytes]:
    """The deposit's objects as canonical XML, in a fixed order (the scans meet objects
    deleted since the watermark last)."""
    contents = doc.getroot().find("rde:contents", NS)
    assert contents is not None
    return sorted(etree.tostring(child, method="c14n") for child in contents)


def names(doc: etree._ElementTree, tag: str) -> set[str]:
    prefix = tag.split(":")[0]
    return {str(e.findtext(f"{prefix}:name", None, NS)) for e in doc.iterfind(f".//{tag}", NS)}


async def a_day_of_changes(core: Core) -> None:
    one = await domains.info_domain(core, actor(), "one.example")
    await domains.renew_domain(core, actor(), "one.example", one.expires_at.date(), 1)
    await update_domain(core, actor(), DomainUpdate("two.example", add_statuses=frozenset({"clientHold"}),
                                                    add_nameservers=("ns1.outside.net",)))
    await update_domain(core, actor(), DomainUpdate("two.example", rem_nameservers=("ns1.outside.net",)))
    await update_domain(core, actor(), DomainUpdate("one.example", rem_nameservers=("ns1.outside.net",)))
    await hosts.delete_host(core, actor(), "ns1.outside.net")  # named by one.example at T, gone now
    await hosts.update_host(core, actor(), HostUpdate("ns1.one.example", add_addresses=("192.0.2.9",),
                                                      rem_addresses=("192.0.2.1",)))
    await contacts.update_contact(core, actor(), ContactUpdate("adm1", email="new-admin@example.net"))
    await domains.delete_domain(core, actor("beta"), "three.example")  # in add grace: purged at once
    await domains.delete_domain(core, actor(), "five.example")  # its contacts, name server and DS go too
    await make_domain(core, "four.example")


async def test_a_deposit_at_a_past_watermark_holds_the_state_then(core: Core, tmp_path: Path) -> None:
    await populate(core)  # two days ago
    with earlier(core):
        await make_domain(core, "five.example", registrant="reg1", contacts_=(("admin", "adm1"),),
                          ns=("ns1.one.example",))
        await update_domain(core, actor(), DomainUpdate("five.example", add_ds=(DsData(54321, 13, 2, "CD" * 32),)))
    at = datetime.now(UTC) - timedelta(days=1)
    _, before_path = await deposit(core, tmp_path, "example", "full", at)
    before = parse_valid(before_path)
    await a_day_of_changes(core)

    _, late_path = await deposit(core, tmp_path, "example", "full", at)  # the same watermark, read a day later
    late = parse_valid(late_path)
    assert late.getroot().get("resend") == "1"
    for was, is_now in zip(objects(before), objects(late), strict=True):
        assert is_now.decode() == was.decode()
    assert names(late, "rdeDomain:domain") == {"one.example", "two.example", "three.example", "five.example"}
    assert "ns1.outside.net" in names(late, "rdeHost:host")

    _, now_path = await deposit(core, tmp_path, "example", "full", datetime.now(UTC))
    now = parse_valid(now_path)
    assert names(now, "rdeDomain:domain") == {"one.example", "two.example", "four.example"}
    assert names(now, "rdeHost:host") == {"ns1.one.example"}
    host = next(now.iterfind(".//rdeHost:host", NS))
    assert [a.text for a in host.iterfind("rdeHost:addr", NS)] == ["192.0.2.9", "2001:db8::1"]
    emails = {c.findtext("rdeContact:id", None, NS): c.findtext("rdeContact:email", None, NS)
              for c in now.iterfind(".//rdeContact:contact", NS)}
    assert emails["adm1"] == "new-admin@example.net"
    two = next(d for d in now.iterfind(".//rdeDomain:domain", NS) if d.findtext("rdeDomain:name", None, NS)
               == "two.example")
    assert "clientHold" in {s.get("s") for s in two.iterfind("rdeDomain:status", NS)}
