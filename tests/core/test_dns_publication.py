"""The publication side of the change log on real PostgreSQL: the one-query zone state
agrees with the zone rules applied to the objects themselves, a batch is planned as the
difference to what was published, committing it drains only rows whose seq did not move,
the delete guard holds a mass removal back, and settings reach the apex owners."""

from __future__ import annotations

import pytest

from registry_core.errors import InvalidValue
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.model.zone import DomainState, RRset, ZoneSettings, fqdn, zone_of_world
from registry_core.services import dns_publication, dns_zone, domain_update
from tests.conftest import actor, fetch
from tests.core.helpers import make_domain, make_host

DS = DsData(2371, 13, 2, "C0FFEE" * 8)


async def world(core) -> None:
    """Delegated, held, inactive and redemption domains; used, unused and external hosts."""
    await make_domain(core, "parent.example")
    for name, address in (("ns1.parent.example", "192.0.2.1"), ("ns2.parent.example", "2001:db8::2"),
                          ("spare.parent.example", "192.0.2.9")):
        await make_host(core, name, addresses=(address,))
    await make_host(core, "ns.external.net")
    await domain_update.update_domain(core, actor(), DomainUpdate("parent.example", add_nameservers=(
        "ns1.parent.example", "ns.external.net")))
    await make_domain(core, "user.example", ns=("ns2.parent.example", "ns.external.net"))
    await domain_update.update_domain(core, actor(), DomainUpdate("user.example", add_ds=(DS,)))
    await make_domain(core, "held.example", ns=("ns.external.net",))
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "held.example", add_statuses=frozenset({"clientHold"})))
    await make_domain(core, "inactive.example")


async def objects_as_values(core) -> tuple[list[DomainState], list[tuple[str, tuple[str, ...], str | None]]]:
    domains = await fetch(core, """
        SELECT d.name, d.statuses, d.rgp_state,
               ARRAY(SELECT h.name FROM domain_host dh JOIN host h ON h.id = dh.host_id WHERE dh.domain_id = d.id) ns,
               ARRAY(SELECT concat_ws(' ', key_tag, alg, digest_type, digest) FROM ds_record WHERE domain_id = d.id) ds
        FROM domain d WHERE d.deleted_at IS NULL""")
    hosts = await fetch(core, """
        SELECT h.name, ARRAY(SELECT host(address) FROM host_address WHERE host_id = h.id) addresses, s.name sup
        FROM host h LEFT JOIN domain s ON s.id = h.superordinate_id WHERE h.deleted_at IS NULL""")
    return ([DomainState(d["name"], frozenset(d["statuses"]), d["rgp_state"], tuple(d["ns"]), tuple(d["ds"]))
             for d in domains], [(h["name"], tuple(h["addresses"]), h["sup"]) for h in hosts])


async def streamed(core, tld: str = "example") -> dict[str, tuple[RRset, ...]]:
    found: dict[str, tuple[RRset, ...]] = {}

    async def sink(rrsets: tuple[RRset, ...]) -> None:  # the records of one or more owners
        for rrset in rrsets:
            if rrset.type != "SOA":
                found[rrset.owner] = (*found.get(rrset.owner, ()), rrset)
    await dns_zone.stream_zone(core, tld, sink)
    return found


async def test_the_zone_query_agrees_with_the_rules_on_the_objects(core):
    await world(core)
    expected = zone_of_world("example", ZoneSettings(), *await objects_as_values(core))
    assert await streamed(core) == expected
    assert set(expected) == {"parent.example.", "user.example.", "ns1.parent.example.", "ns2.parent.example."}
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None and batch.refusal is None
    assert {c.owner: c.after for c in batch.changes} == expected  # nothing published yet: everything is new


async def test_commit_drains_only_rows_whose_seq_did_not_move(core):
    await world(core)
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None
    await domain_update.update_domain(core, actor(), DomainUpdate("user.example", rem_ds=(DS,)))  # meanwhile
    await dns_publication.commit_batch(core, batch)
    left = {r["owner"] for r in await fetch(core, "SELECT owner FROM dns_change")}
    assert left == {"user.example", "ns2.parent.example"}
    again = await dns_publication.plan_batch(core, "example")
    assert again is not None
    assert [(c.owner, c.deletes, c.adds) for c in again.changes] == [
        ("user.example.", (("DS", "2371 13 2 " + "c0ffee" * 8),), ())]
    await dns_publication.commit_batch(core, again)
    assert await dns_publication.plan_batch(core, "example") is None
    assert (await dns_publication.zone_status(core, "example"))["serial"] == 2


async def test_a_paused_tld_plans_nothing_until_resumed(core):
    await world(core)
    await dns_publication.set_paused(core, "example", True)
    assert await dns_publication.plan_batch(core, "example") is None
    await dns_publication.set_paused(core, "example", False)
    assert await dns_publication.plan_batch(core, "example") is not None


async def test_the_guard_holds_back_a_mass_removal(core):
    names = [f"d{i}.example" for i in range(8)]
    await make_host(core, "ns.external.net")
    for name in names:
        await make_domain(core, name, ns=("ns.external.net",))
    await dns_zone.configure_zone(core, "example", {"delete_floor": "2", "max_delete_share": "0.5"})
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None
    await dns_publication.commit_batch(core, batch)
    for name in names[:5]:
        await domain_update.update_domain(core, actor(), DomainUpdate(name, add_statuses=frozenset({"clientHold"})))
    held = await dns_publication.plan_batch(core, "example")
    assert held is not None and held.removed_delegations == 5 and "5 of 8" in (held.refusal or "")
    await dns_publication.hold_for_guard(core, "example", held.refusal or "")
    assert await dns_publication.plan_batch(core, "example") is None  # waits for the operator
    await dns_publication.set_paused(core, "example", False, accept_deletes=True)
    accepted = await dns_publication.plan_batch(core, "example")
    assert accepted is not None and accepted.refusal is None and accepted.removed_delegations == 5


async def test_apex_settings_are_checked_stored_and_published(core):
    with pytest.raises(InvalidValue):
        await dns_zone.configure_zone(core, "example", {"soa_refresh": "soon"})
    with pytest.raises(InvalidValue):
        await dns_zone.configure_zone(core, "example", {"colour": "blue"})
    settings = await dns_zone.configure_zone(core, "example", {
        "nameservers": "a.nic.example,B.NIC.example.", "nic_addresses": "192.0.2.53,2001:DB8::53", "ttl": "600"})
    assert settings.nameservers == ("a.nic.example", "b.nic.example") and settings.ttl == 600
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None
    assert {c.owner: c.after for c in batch.changes} == {
        "example.": (RRset("example.", "NS", 600, ("a.nic.example.", "b.nic.example.")),),
        fqdn("nic.example"): (RRset("nic.example.", "A", 600, ("192.0.2.53",)),
                              RRset("nic.example.", "AAAA", 600, ("2001:db8::53",)))}


async def test_parked_owners_leave_the_queue_and_come_back_on_request(core):
    await world(core)
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None
    await dns_publication.park_batch(core, batch, "REFUSED")
    status = await dns_publication.zone_status(core, "example")
    assert status["pending"] == 0 and len(status["parked"]) == len(batch.drained)
    assert status["last_error"] == "REFUSED"
    await dns_publication.request_full_publication(core, "example", parked=True)
    status = await dns_publication.zone_status(core, "example")
    assert status["pending"] == len(batch.drained) and status["parked"] == []


async def test_a_sink_that_fails_stops_the_stream_and_leaves_the_pool_usable(core):
    await world(core)

    async def failing(rrsets: tuple[RRset, ...]) -> None:
        if rrsets[0].type != "SOA" and rrsets[0].owner != "example.":
            raise RuntimeError("disk full")
    with pytest.raises(RuntimeError, match="disk full"):
        await dns_zone.stream_zone(core, "example", failing)
    assert set(await streamed(core)) == {"parent.example.", "user.example.", "ns1.parent.example.",
                                         "ns2.parent.example."}
