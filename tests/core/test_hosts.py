"""RFC 5732 host rules against real PostgreSQL."""

import pytest

from registry_core.errors import (
    ExternalHostHasAddress,
    NotSponsor,
    ObjectExists,
    ObjectLinked,
    ObjectNotFound,
    PolicyViolation,
    SubordinateHostNeedsAddress,
)
from registry_core.model.host import HostUpdate
from registry_core.services import hosts
from tests.conftest import actor
from tests.core.helpers import make_domain, make_host


async def test_external_host_without_addresses_is_created(core):
    await make_host(core, "NS1.Provider.NET")
    info = await hosts.info_host(core, actor("beta"), "ns1.provider.net")
    assert info.name == "ns1.provider.net" and info.addresses == () and info.statuses == ("ok",)
    assert info.roid.endswith("-TEST")


async def test_external_host_must_not_have_addresses(core):
    with pytest.raises(ExternalHostHasAddress):
        await make_host(core, "ns1.provider.net", addresses=("192.0.2.1",))


async def test_subordinate_host_needs_its_domain(core):
    with pytest.raises(ObjectNotFound):
        await make_host(core, "ns1.missing.example", addresses=("192.0.2.1",))


async def test_subordinate_host_needs_an_address(core):
    await make_domain(core, "parent.example")
    with pytest.raises(SubordinateHostNeedsAddress):
        await make_host(core, "ns1.parent.example")


async def test_subordinate_host_belongs_to_the_domain_sponsor(core):
    await make_domain(core, "parent.example")
    with pytest.raises(NotSponsor):
        await make_host(core, "ns1.parent.example", "beta", addresses=("192.0.2.1",))
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1", "2001:db8::1"))
    info = await hosts.info_host(core, actor(), "ns1.parent.example")
    assert info.superordinate == "parent.example"
    assert info.addresses == ("192.0.2.1", "2001:db8::1")


async def test_private_addresses_are_refused(core):
    await make_domain(core, "parent.example")
    with pytest.raises(PolicyViolation):
        await make_host(core, "ns1.parent.example", addresses=("10.1.2.3",))


async def test_duplicate_host_is_object_exists(core):
    await make_host(core, "ns1.provider.net")
    with pytest.raises(ObjectExists):
        await make_host(core, "ns1.provider.net", "beta")


async def test_linked_host_cannot_be_deleted(core):
    await make_host(core, "ns1.provider.net")
    await make_domain(core, "uses.example", ns=("ns1.provider.net",))
    assert "linked" in (await hosts.info_host(core, actor(), "ns1.provider.net")).statuses
    with pytest.raises(ObjectLinked):
        await hosts.delete_host(core, actor(), "ns1.provider.net")


async def test_update_adds_and_removes_addresses_but_keeps_one(core):
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    await hosts.update_host(core, actor(), HostUpdate("ns1.parent.example", add_addresses=("192.0.2.2",),
                                                      rem_addresses=("192.0.2.1",)))
    assert (await hosts.info_host(core, actor(), "ns1.parent.example")).addresses == ("192.0.2.2",)
    with pytest.raises(SubordinateHostNeedsAddress):
        await hosts.update_host(core, actor(), HostUpdate("ns1.parent.example", rem_addresses=("192.0.2.2",)))


async def test_rename_moves_an_unlinked_host(core):
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    await hosts.update_host(core, actor(), HostUpdate("ns1.parent.example", new_name="dns.parent.example"))
    assert (await hosts.info_host(core, actor(), "dns.parent.example")).addresses == ("192.0.2.1",)


async def test_only_the_sponsor_deletes(core):
    await make_host(core, "ns1.provider.net")
    with pytest.raises(NotSponsor):
        await hosts.delete_host(core, actor("beta"), "ns1.provider.net")
    await hosts.delete_host(core, actor(), "ns1.provider.net")
    assert (await hosts.check_hosts(core, actor(), ["ns1.provider.net"]))[0].available
