"""Full publications on real Knot, NSD and BIND: reconciliation finds what the primary
serves that the registry does not say (and what it misses) and fixing it through the
publisher leaves no difference; a full render streamed from the database replaces the
zone by difference and reaches the secondaries; the delete guard refuses a render that
would empty the zone."""

from __future__ import annotations

import dns.rcode
import dns.rdatatype
import pytest

from protocols.dns.publisher import Publisher
from protocols.dns.reconcile import reconcile
from protocols.dns.zone_file import fqdn
from protocols.dns.zonefile import ZoneFileError, ZoneFileWriter
from registry_core.model.domain import DomainUpdate
from registry_core.services import dns_publication, dns_zone, domain_update
from tests.conftest import actor
from tests.core.helpers import make_domain, make_host
from tests.dns.answers import FAST, addresses, ask, everywhere, ns_set, writer
from tests.dns.conftest import NAMESERVERS, Servers
from tests.dns.test_publication import delegation, send_update


def zonefile_writer(core, servers: Servers) -> ZoneFileWriter:
    knot = servers.knot
    return ZoneFileWriter(core, lambda tld: knot.settings.zone_file(fqdn(tld)), knot.zone_reload, knot.zone_serial,
                          apex_nameservers=NAMESERVERS)


async def reconciled(core, servers: Servers, *, fix: bool = False) -> list[str]:
    key = servers.settings.transfer_key
    changes = await reconcile(core, "example", "127.0.0.1", servers.settings.port, key, fix=fix)
    return [c.owner for c in changes]


async def test_reconcile_finds_drift_and_the_fix_goes_through_the_publisher(core, servers: Servers):
    await make_host(core, "ns.hoster.net")
    await make_domain(core, "kept.example", ns=("ns.hoster.net",))
    assert await Publisher(core, writer(servers), FAST).publish_pending("example") > 0
    assert await reconciled(core, servers) == []
    assert await send_update(servers, delegation(servers, "stray")) == 0  # drift: nobody registered it
    await make_domain(core, "unsent.example", ns=("ns.hoster.net",))  # and a change not yet published
    assert await reconciled(core, servers) == ["ns1.stray.example.", "stray.example.", "unsent.example."]
    await reconciled(core, servers, fix=True)
    await Publisher(core, writer(servers), FAST).publish_pending("example")
    await everywhere(servers, lambda port: ns_set(port, "stray.example."), None)
    assert await reconciled(core, servers) == []


async def test_a_full_render_replaces_the_zone_and_the_guard_refuses_emptying_it(core, servers: Servers):
    await make_host(core, "ns.render.net")
    for name in ("one.example", "two.example"):
        await make_domain(core, name, ns=("ns.render.net",))
    assert await send_update(servers, delegation(servers, "extra")) == 0  # not the registry's
    report = await zonefile_writer(core, servers).publish("example")
    assert report.delegations == 2 and report.serial > 1
    await everywhere(servers, lambda port: ns_set(port, "extra.example."), None)
    await everywhere(servers, lambda port: ns_set(port, "two.example."), {"ns.render.net."})
    assert (await dns_publication.zone_status(core, "example"))["full_needed"]  # the published state catches up
    await Publisher(core, writer(servers), FAST).publish_pending("example")
    assert (await dns_publication.zone_status(core, "example"))["delegations"] == 2
    await dns_publication.set_paused(core, "example", True)  # hold the publisher; the render is checked alone
    await core_holds(core, ("one.example", "two.example"), floor="0")
    before = servers.settings.zone_file("example.").read_text()
    with pytest.raises(ZoneFileError, match="empty the zone"):
        await zonefile_writer(core, servers).publish("example")
    assert servers.settings.zone_file("example.").read_text() == before
    assert await ns_set(servers.settings.port, "one.example.") == {"ns.render.net."}
    await zonefile_writer(core, servers).publish("example", accept_deletes=True)
    await everywhere(servers, lambda port: ns_set(port, "one.example."), None)
    answer = await servers.knot.zone_serial("example.")
    assert answer is not None and answer >= report.serial


async def core_holds(core, names: tuple[str, ...], *, floor: str) -> None:
    await dns_zone.configure_zone(core, "example", {"delete_floor": floor})
    for name in names:
        await domain_update.update_domain(core, actor(), DomainUpdate(name, add_statuses=frozenset({"clientHold"})))


async def test_apex_settings_and_operator_records_reach_knot(core, servers: Servers):
    await dns_zone.configure_zone(core, "example", {
        "nic_addresses": "192.0.2.80", "records": '@ TXT "v=spf1 -all"; www A 192.0.2.7'})
    await Publisher(core, writer(servers), FAST).publish_pending("example")
    port = servers.settings.port
    txt = await ask(port, "example.", dns.rdatatype.TXT)
    assert [rd.to_text() for r in txt.answer for rd in r] == ['"v=spf1 -all"']
    assert await addresses(port, "www.example.") == {"192.0.2.7"}
    assert await addresses(port, "nic.example.") == {"192.0.2.80"}
    assert await ns_set(port, "example.") == set(NAMESERVERS)  # the primary's own apex NS set, untouched
    assert await reconciled(core, servers) == []
    await dns_zone.configure_zone(core, "example", {"records": "www A 192.0.2.8", "nic_addresses": ""})
    await Publisher(core, writer(servers), FAST).publish_pending("example")
    assert await addresses(port, "www.example.") == {"192.0.2.8"}
    assert (await ask(port, "nic.example.", dns.rdatatype.A)).rcode() == dns.rcode.NXDOMAIN
    assert not (await ask(port, "example.", dns.rdatatype.TXT)).answer
    assert await reconciled(core, servers) == []
