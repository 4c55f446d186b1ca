"""The DNS change log on real PostgreSQL: each transform that changes what a zone holds
leaves exactly the affected owner names in dns_change, in its own transaction (a refused
command leaves none), coalesced per owner, with a NOTIFY on `dns_change` at commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from registry_core.errors import CoreError
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.model.host import HostUpdate
from registry_core.services import domain_update, domains, hosts, lifecycle, restore, transfers
from tests.conftest import actor, fetch
from tests.core.helpers import make_domain, make_host
from tests.core.test_lifecycle import REPORT

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DS = DsData(12345, 13, 2, "AB" * 32)


async def owners(core, tld: str = "example") -> set[str]:
    return {r["owner"] for r in await fetch(core, "SELECT owner FROM dns_change WHERE tld = $1", tld)}


async def clear(core) -> None:
    await fetch(core, "DELETE FROM dns_change")


async def world(core) -> None:
    """parent.example with ns1/ns2.parent.example (used by parent and user), external ns."""
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    await make_host(core, "ns2.parent.example", addresses=("192.0.2.2", "2001:db8::2"))
    await make_host(core, "ns.external.net")
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "parent.example", add_nameservers=("ns1.parent.example", "ns2.parent.example")))
    await make_domain(core, "user.example", ns=("ns1.parent.example", "ns.external.net"))
    await clear(core)


async def test_create_marks_the_domain_and_its_in_registry_name_servers(core):
    await world(core)
    await make_domain(core, "new.example", ns=("ns2.parent.example", "ns.external.net"))
    assert await owners(core) == {"new.example", "ns2.parent.example"}


async def test_an_update_of_ns_marks_added_and_removed_hosts(core):
    await world(core)
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "user.example", add_nameservers=("ns2.parent.example",), rem_nameservers=("ns1.parent.example",)))
    assert await owners(core) == {"user.example", "ns1.parent.example", "ns2.parent.example"}


async def test_hold_and_ds_changes_mark_the_domain_with_its_hosts(core):
    await world(core)
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "parent.example", add_statuses=frozenset({"clientHold"})))
    assert await owners(core) == {"parent.example", "ns1.parent.example", "ns2.parent.example"}
    await clear(core)
    await domain_update.update_domain(core, actor(), DomainUpdate("user.example", add_ds=(DS,)))
    assert await owners(core) == {"user.example", "ns1.parent.example"}


async def test_an_update_that_leaves_the_zone_alone_marks_nothing(core):
    await world(core)
    await domain_update.update_domain(core, actor(), DomainUpdate("user.example", auth_info="Other-Auth1"))
    assert await owners(core) == set()
    await transfers.request_transfer(core, actor("beta"), "domain", "user.example", "Other-Auth1")
    await transfers.act_on_transfer(core, actor(), "domain", "user.example", "approve")
    assert await owners(core) == set()  # a transfer changes no DNS record


async def test_a_refused_command_marks_nothing(core):
    await world(core)
    with pytest.raises(CoreError):  # the second name server does not exist: the whole command fails
        await domain_update.update_domain(core, actor(), DomainUpdate(
            "user.example", add_nameservers=("ns2.parent.example", "ns9.parent.example")))
    with pytest.raises(CoreError):  # subordinate hosts: refused
        await domains.delete_domain(core, actor(), "parent.example")
    assert await owners(core) == set()


async def test_host_address_change_and_rename(core):
    await world(core)
    await hosts.update_host(core, actor(), HostUpdate("ns1.parent.example", add_addresses=("192.0.2.11",)))
    assert await owners(core) == {"ns1.parent.example"}
    await clear(core)
    await hosts.update_host(core, actor(), HostUpdate("ns1.parent.example", new_name="dns1.parent.example"))
    assert await owners(core) == {"ns1.parent.example", "dns1.parent.example", "parent.example", "user.example"}
    await clear(core)
    await hosts.update_host(core, actor(), HostUpdate(
        "ns.external.net", add_statuses=frozenset({"clientUpdateProhibited"})))
    assert await owners(core) == set()


async def test_delete_redemption_restore_and_purge(core, clock):
    clock.frozen = T0
    await world(core)
    await make_domain(core, "other.example", ns=("ns1.parent.example",))
    clock.frozen = T0 + 10 * DAY  # past the add grace period
    await clear(core)
    await domains.delete_domain(core, actor(), "other.example")
    assert await owners(core) == {"other.example", "ns1.parent.example"}
    await clear(core)
    await restore.restore_request(core, actor(), "other.example")
    assert await owners(core) == set()  # still out of the zone
    await restore.restore_report(core, actor(), "other.example", REPORT)
    assert await owners(core) == {"other.example", "ns1.parent.example"}


async def test_delete_in_add_grace_and_a_purge_withdraw_subordinate_glue(core, clock):
    clock.frozen = T0
    await world(core)
    await make_domain(core, "quick.example", ns=("ns.external.net",))
    await clear(core)
    await domains.delete_domain(core, actor(), "quick.example")  # add grace: purged at once
    assert await owners(core) == {"quick.example"}
    await clear(core)
    clock.frozen = T0 + 400 * DAY  # expired, and the TLD does not auto-renew
    await fetch(core, "UPDATE tld SET auto_renew = false")
    core.db.tld_cache.invalidate()
    await lifecycle.run_lifecycle(core, T0 + 400 * DAY)
    assert {"parent.example", "ns1.parent.example", "ns2.parent.example", "user.example"} <= await owners(core)
    await clear(core)
    await lifecycle.run_lifecycle(core, T0 + 450 * DAY)  # redemption and pending delete over: purged
    assert await owners(core) == {"parent.example", "ns1.parent.example", "ns2.parent.example", "user.example"}
    assert await fetch(core, "SELECT name FROM host WHERE name LIKE '%parent.example' AND deleted_at IS NULL") == []


async def test_changes_coalesce_per_owner_and_bump_seq(core):
    await world(core)
    await make_domain(core, "twice.example")
    first = await fetch(core, "SELECT seq FROM dns_change WHERE owner = 'twice.example'")
    await domain_update.update_domain(core, actor(), DomainUpdate("twice.example", add_ds=(DS,)))
    second = await fetch(core, "SELECT seq FROM dns_change WHERE owner = 'twice.example'")
    assert len(second) == 1 and second[0]["seq"] > first[0]["seq"]


async def test_a_commit_notifies_the_publisher_with_the_tld(core, test_dsn):
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(test_dsn)
    try:
        await listener.add_listener("dns_change", lambda *args: heard.put_nowait(args[3]))
        await make_domain(core, "heard.example")
        assert await asyncio.wait_for(heard.get(), 5.0) == "example"
    finally:
        await listener.close()
