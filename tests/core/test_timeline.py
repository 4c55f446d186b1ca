"""The state of a domain at a time T, from the history alone, on the real database: each
transform moves the clock, then the state at each moment between them is what the registry
held then; a name deleted and registered again is two registrations, and T picks the live one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols.rdap.past import domain_then
from registry_core.errors import ObjectNotFound
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.services import domain_update, domains, timeline
from tests.conftest import TestClock, actor, fetch
from tests.core.helpers import make_contact, make_domain, make_host

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def test_the_state_at_each_moment_is_what_the_registry_held_then(core, clock: TestClock) -> None:
    await make_contact(core, "reg-1")
    await make_host(core, "ns1.elsewhere.net")
    await make_host(core, "ns2.elsewhere.net")
    clock.frozen = T0
    created = await make_domain(core, "past.example", ns=("ns1.elsewhere.net",), registrant="reg-1")
    clock.frozen = T0 + timedelta(days=10)
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "past.example", add_nameservers=("ns2.elsewhere.net",), add_statuses=frozenset({"clientHold"}),
        add_ds=(DsData(12345, 13, 2, "AB" * 32),)))
    clock.frozen = T0 + timedelta(days=20)
    renewed = await domains.renew_domain(core, actor(), "past.example", created.expires_at.date(), 2)
    clock.frozen = T0 + timedelta(days=30)
    await domains.delete_domain(core, actor(), "past.example")
    clock.frozen = None

    first = await timeline.domain_state_at(core, "past.example", T0 + timedelta(days=5))
    assert (first.nameservers, first.statuses, first.ds, first.registrant) == (("ns1.elsewhere.net",), (), (),
                                                                               "reg-1")
    assert first.created_at == T0 and first.updated_at is None and first.expires_at == created.expires_at
    second = await timeline.domain_state_at(core, "past.example", T0 + timedelta(days=15))
    assert second.nameservers == ("ns1.elsewhere.net", "ns2.elsewhere.net") and "clientHold" in second.statuses
    assert second.ds == ((12345, 13, 2, "AB" * 32),) and second.updated_at == T0 + timedelta(days=10)
    third = await timeline.domain_state_at(core, "past.example", T0 + timedelta(days=25))
    assert third.expires_at == renewed.expires_at and third.updated_at == T0 + timedelta(days=20)
    with pytest.raises(ObjectNotFound):  # before the create
        await timeline.domain_state_at(core, "past.example", T0 - timedelta(seconds=1))
    deleted = await timeline.domain_state_at(core, "past.example", T0 + timedelta(days=31))  # out of grace: redeemable
    assert deleted.rgp_state == "redemptionPeriod" and "pendingDelete" in deleted.statuses
    assert "redemption period" in domain_then(deleted)["status"]

    answer = domain_then(second)
    [row] = await fetch(core, "SELECT roid FROM domain WHERE name = 'past.example'")
    assert answer["ldhName"] == "past.example" and answer["handle"] == row["roid"]
    assert answer["status"] == ["client hold"]
    assert domain_then(first)["status"] == ["active"]
    assert [n["ldhName"] for n in answer["nameservers"]] == ["ns1.elsewhere.net", "ns2.elsewhere.net"]
    assert answer["secureDNS"]["dsData"][0]["keyTag"] == 12345
    assert {e["eventAction"] for e in answer["events"]} >= {"registration", "expiration", "last changed"}
    assert [e["roles"] for e in answer["entities"]] == [["registrar"], ["registrant"]]


async def test_a_name_registered_again_is_a_new_registration(core, clock: TestClock) -> None:
    clock.frozen = T0
    await make_domain(core, "again.example")
    [first] = await fetch(core, "SELECT roid FROM domain WHERE name = 'again.example'")
    clock.frozen = T0 + timedelta(days=1)
    await domains.delete_domain(core, actor(), "again.example")
    clock.frozen = T0 + timedelta(days=2)
    await make_domain(core, "again.example", registrar="beta")
    [second] = await fetch(core, "SELECT roid FROM domain WHERE name = 'again.example' AND deleted_at IS NULL")
    clock.frozen = None
    assert (await timeline.domain_state_at(core, "again.example", T0 + timedelta(hours=1))).roid == first["roid"]
    later = await timeline.domain_state_at(core, "again.example", T0 + timedelta(days=3))
    assert (later.roid, later.sponsor) == (second["roid"], "beta") and second["roid"] != first["roid"]
    rows = await timeline.domain_history(core, "again.example")
    assert [r.action for r in rows][:1] == ["create"] and len({r.object_id for r in rows}) == 2
    with pytest.raises(ObjectNotFound):
        await timeline.domain_history(core, "never.example")
