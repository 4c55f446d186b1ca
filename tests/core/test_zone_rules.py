"""Zone rules and the publication diff on values: delegation, NS and DS sets, narrow glue,
apex records, record-level differences and the delete guard; a property test that no
address of an unused or undelegated subordinate host is ever published, and one that a
whole zone rendered chunk by chunk holds what the rules give owner by owner."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry_core.model.zone import (
    DomainState,
    HostState,
    RRset,
    ZoneSettings,
    delegation_rrsets,
    desired_rrsets,
    glue_rrsets,
    is_delegated,
    soa_rrset,
    zone_of_world,
)
from registry_core.model.zone_diff import DeleteGuard, diff_owner, diff_owners, guard_refusal
from registry_core.model.zone_records import ZoneRecords, settings_owners

DS = "12345 13 2 " + "AB" * 32
LIVE = DomainState("a.example", frozenset(), None, ("NS1.a.example", "ns.other.net"), (DS,))


def test_a_domain_is_delegated_unless_held_deleted_or_inactive():
    assert is_delegated(LIVE)
    for status in ("clientHold", "serverHold", "pendingDelete"):
        assert not is_delegated(DomainState("a.example", frozenset({status}), None, ("ns.x.net",)))
    assert not is_delegated(DomainState("a.example", frozenset(), "redemptionPeriod", ("ns.x.net",)))
    assert not is_delegated(DomainState("a.example", frozenset(), None, ()))  # inactive
    assert is_delegated(DomainState("a.example", frozenset({"clientTransferProhibited"}), None, ("ns.x.net",)))


def test_delegation_records_are_absolute_lower_case_and_sorted():
    assert delegation_rrsets(LIVE, 300) == (
        RRset("a.example.", "NS", 300, ("ns.other.net.", "ns1.a.example.")),
        RRset("a.example.", "DS", 300, ("12345 13 2 " + "ab" * 32,)))


def test_narrow_glue_needs_a_used_host_below_a_delegated_domain_of_the_zone():
    host = HostState("ns1.a.example", ("192.0.2.1", "2001:DB8::1"), LIVE, True)
    assert glue_rrsets(host, "example", 60) == (RRset("ns1.a.example.", "A", 60, ("192.0.2.1",)),
                                                 RRset("ns1.a.example.", "AAAA", 60, ("2001:db8::1",)))
    assert glue_rrsets(HostState("ns1.a.example", ("192.0.2.1",), LIVE, False), "example", 60) == ()
    held = DomainState("a.example", frozenset({"serverHold"}), None, LIVE.nameservers)
    assert glue_rrsets(HostState("ns1.a.example", ("192.0.2.1",), held, True), "example", 60) == ()
    assert glue_rrsets(host, "other", 60) == ()  # not this zone's


def test_apex_records_come_from_the_settings():
    zone = ZoneSettings(nameservers=("b.nic.example", "a.nic.example"), nic_addresses=("192.0.2.80",), ttl=7200)
    assert desired_rrsets("example", "example", zone, None, None) == (
        RRset("example.", "NS", 7200, ("a.nic.example.", "b.nic.example.")),)
    assert desired_rrsets("nic.example", "example", zone, None, None) == (
        RRset("nic.example.", "A", 7200, ("192.0.2.80",)),)
    assert desired_rrsets("example", "example", ZoneSettings(), None, None) == ()  # the primary's own set
    assert soa_rrset("example", zone, 7).rdata == ("a.nic.example. hostmaster.example. 7 1800 900 1209600 3600",)


def test_diff_deletes_and_adds_single_records_and_readds_on_a_new_ttl():
    before = (RRset("a.example.", "NS", 300, ("ns1.x.net.", "ns2.x.net.")),)
    after = (RRset("a.example.", "NS", 300, ("ns2.x.net.", "ns3.x.net.")),
             RRset("a.example.", "DS", 300, ("1 13 2 ab",)))
    change = diff_owner("a.example", before, after)
    assert change.deletes == (("NS", "ns1.x.net."),)
    assert change.adds == (RRset("a.example.", "DS", 300, ("1 13 2 ab",)),
                           RRset("a.example.", "NS", 300, ("ns3.x.net.",)))
    longer = diff_owner("a.example", before, (RRset("a.example.", "NS", 600, ("ns1.x.net.", "ns2.x.net.")),))
    assert longer.deletes == () and longer.adds == (RRset("a.example.", "NS", 600, ("ns1.x.net.", "ns2.x.net.")),)
    assert diff_owner("a.example", (), ()).empty
    gone = diff_owner("a.example", before, ())
    assert gone.removes_delegation and gone.deletes == (("NS", "ns1.x.net."), ("NS", "ns2.x.net."))


def test_diff_owners_skips_owners_without_a_difference():
    same = {"a.example.": (RRset("a.example.", "NS", 1, ("n.",)),)}
    assert diff_owners(same, same, ["a.example.", "b.example."]) == []


def test_the_guard_refuses_mass_deletes_and_emptying_the_zone():
    guard = DeleteGuard(max_share=0.05, floor=10)
    assert guard_refusal(guard, 1000, 10, 990) is None  # up to the floor is always fine
    assert guard_refusal(guard, 1000, 50, 950) is None  # 5 %
    assert "share" in (guard_refusal(guard, 1000, 51, 949) or "")
    assert "empty" in (guard_refusal(guard, 11, 11, 0) or "")
    assert "empty" in (guard_refusal(DeleteGuard(1.0, 0), 3, 3, 0) or "")


# --- property: narrow glue -------------------------------------------------------------------
LABELS = st.sampled_from(["a", "b", "c", "d"])
STATUS_SETS = st.frozensets(st.sampled_from(["clientHold", "serverHold", "pendingDelete", "clientUpdateProhibited"]),
                            max_size=2)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[DomainState], list[tuple[str, tuple[str, ...], str | None]]]:
    domain_names = sorted(draw(st.sets(LABELS, min_size=1)))
    host_names = sorted({f"ns{i}.{d}.example" for d in domain_names for i in draw(st.sets(st.integers(1, 2)))})
    candidates = host_names + ["ns.other.net"]
    domains = [DomainState(f"{d}.example", draw(STATUS_SETS), draw(st.sampled_from([None, None, "redemptionPeriod"])),
                           tuple(draw(st.sets(st.sampled_from(candidates), max_size=3))))
               for d in domain_names]
    hosts = [(h, (f"192.0.2.{n}",), h.split(".", 1)[1]) for n, h in enumerate(host_names, 1)]
    return domains, hosts


@settings(max_examples=300, deadline=None, database=None)
@given(worlds())
def test_no_unlinked_or_undelegated_subordinate_address_is_ever_published(world):
    domains, hosts = world
    zone = zone_of_world("example", ZoneSettings(), domains, hosts)
    delegated = {d.name + "." for d in domains if is_delegated(d)}
    used = {ns.lower() + "." for d in domains if is_delegated(d) for ns in d.nameservers}
    for owner, rrsets in zone.items():
        for rrset in rrsets:
            if rrset.type in ("A", "AAAA"):
                assert owner in used, f"{owner} published but no delegation uses it"
                assert owner.split(".", 1)[1] in delegated, f"{owner} published below an undelegated domain"
            else:
                assert owner in delegated
    for d in domains:  # and every delegation is there, with its NS set
        assert (d.name + "." in zone) == is_delegated(d)


WITH_EXTRAS = ZoneSettings(nameservers=("ns1.nic.example",), nic_addresses=("192.0.2.53",),
                           records=("aa.example. TXT \"at a domain\"", "zz-only.example. A 192.0.2.9",
                                    "example. MX 10 mail.example."))


@settings(max_examples=200, deadline=None, database=None)
@given(worlds(), st.lists(st.integers(0, 40), max_size=4), st.sampled_from([ZoneSettings(), WITH_EXTRAS]))
def test_the_whole_zone_chunk_by_chunk_holds_what_the_rules_say_owner_by_owner(world, cuts, zone_settings):
    """ZoneRecords (full renders: a short path for plain domains) against desired_rrsets."""
    domains, hosts = world
    domains = [*domains, DomainState("aa.example", frozenset(), None, ("ns.other.net",))]
    domains.sort(key=lambda d: d.name)
    by_name = {d.name: d for d in domains}
    users = {ns for d in domains if is_delegated(d) for ns in d.nameservers}
    host_states = [HostState(name, addresses, by_name[sup], name in users) for name, addresses, sup in hosts]
    zone = ZoneRecords("example", zone_settings, host_states)
    found = []
    for start, end in zip([0, *sorted(cuts)], [*sorted(cuts), len(domains)], strict=True):
        found += zone.chunk(domains[start:end])
    found += zone.rest()
    hosts_by_name = {h.name: h for h in host_states}
    owners = sorted({*by_name, *hosts_by_name, *settings_owners("example", zone_settings)})
    expected = [r for o in owners for r in desired_rrsets(o, "example", zone_settings, by_name.get(o),
                                                          hosts_by_name.get(o))]
    assert found == expected
    assert zone.delegations == sum(r.type == "NS" for r in expected)
