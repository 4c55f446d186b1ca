"""The publisher end to end: EPP commands over TLS change the registry, the publisher (its
leader loop, LISTEN and RFC 2136 UPDATEs with the publisher's TSIG key) sends the
difference to a real Knot primary, which signs it and NOTIFYs real NSD and BIND
secondaries. Each test asks the servers what they answer, never the publisher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import dns.asyncquery
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from protocols.dns.publisher import Publisher
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from protocols.epp.client.elements import DsData
from protocols.epp.client.extensions import secdns_create
from registry_core.services import dns_publication, dns_zone
from tests.conftest import fetch
from tests.dns.answers import DEADLINE, FAST, addresses, ask, everywhere, ns_set, until, writer
from tests.dns.conftest import Servers
from tests.epp.conftest import Clients

pytest_plugins = ["tests.epp.conftest"]  # EPP over TLS: dev_certs, epp_server, registry, clients
DS = DsData(4242, 13, 2, "AB" * 32)


@pytest.fixture
async def publisher(registry: Any, servers: Servers) -> AsyncIterator[Publisher]:
    running = Publisher(registry, writer(servers), FAST)
    await running.start()
    yield running
    await running.stop(5.0)


async def ok(response: Any) -> None:
    assert response.code in (1000, 1001), response.raw


async def test_create_update_hold_and_delete_reach_every_server(clients: Clients, servers: Servers,
                                                                publisher: Publisher) -> None:
    epp = await clients.login()
    await ok(await epp.host_create("ns1.hoster.net"))
    await ok(await epp.host_create("ns2.hoster.net"))
    await ok(await epp.domain_create("life.example", nameservers=["ns1.hoster.net"],
                                     extensions=[secdns_create([DS])]))
    await everywhere(servers, lambda port: ns_set(port, "life.example."), {"ns1.hoster.net."})
    reply = await ask(servers.settings.port, "life.example.", dns.rdatatype.DS)
    assert [rd.to_text() for r in reply.answer for rd in r] == ["4242 13 2 " + "ab" * 32]
    await ok(await epp.domain_update("life.example", add_ns=["ns2.hoster.net"], rem_ns=["ns1.hoster.net"]))
    await everywhere(servers, lambda port: ns_set(port, "life.example."), {"ns2.hoster.net."})
    await ok(await epp.domain_update("life.example", add_status=["clientHold"]))
    await everywhere(servers, lambda port: ns_set(port, "life.example."), None)
    await ok(await epp.domain_update("life.example", rem_status=["clientHold"]))
    await everywhere(servers, lambda port: ns_set(port, "life.example."), {"ns2.hoster.net."})
    await ok(await epp.domain_delete("life.example"))  # inside the add grace period: gone at once
    await everywhere(servers, lambda port: ns_set(port, "life.example."), None)


async def test_glue_follows_the_host_address(clients: Clients, servers: Servers, publisher: Publisher) -> None:
    epp = await clients.login()
    await ok(await epp.host_create("ns.outside.net"))
    await ok(await epp.domain_create("glue.example", nameservers=["ns.outside.net"]))
    await ok(await epp.host_create("ns1.glue.example", addresses=["192.0.2.10"]))
    await ok(await epp.host_create("spare.glue.example", addresses=["192.0.2.99"]))  # never used: no glue
    await ok(await epp.domain_update("glue.example", add_ns=["ns1.glue.example"]))
    await everywhere(servers, lambda port: addresses(port, "ns1.glue.example."), {"192.0.2.10"})
    await ok(await epp.host_update("ns1.glue.example", add_addrs=["192.0.2.11"], rem_addrs=["192.0.2.10"]))
    await everywhere(servers, lambda port: addresses(port, "ns1.glue.example."), {"192.0.2.11"})
    assert await addresses(servers.settings.port, "spare.glue.example.") == set()
    await ok(await epp.domain_update("glue.example", rem_ns=["ns1.glue.example"]))  # unused again: glue goes
    await everywhere(servers, lambda port: addresses(port, "ns1.glue.example."), set())


async def test_a_publisher_killed_between_sending_and_recording_loses_nothing(
        clients: Clients, servers: Servers, registry: Any) -> None:
    sent = asyncio.Event()

    class KilledAfterSending(Rfc2136Writer):  # the real writer; the process "dies" right after it
        async def apply(self, tld: str, changes: Any) -> None:
            await super().apply(tld, changes)
            sent.set()
            await asyncio.Event().wait()  # never records: the task is cancelled here

    key = servers.settings.update_key
    doomed = Publisher(registry, KilledAfterSending("127.0.0.1", servers.settings.port,
                                                    TsigCredentials(key.name, key.secret)), FAST)
    await doomed.start()
    epp = await clients.login()
    await ok(await epp.host_create("ns.crash.net"))
    await ok(await epp.domain_create("crash.example", nameservers=["ns.crash.net"]))
    await asyncio.wait_for(sent.wait(), DEADLINE)
    assert doomed.task is not None
    doomed.task.cancel()  # killed: the change rows are still there
    await ok(await epp.domain_create("later.example", nameservers=["ns.crash.net"]))  # while nobody publishes
    assert {r["owner"] for r in await fetch(registry, "SELECT owner FROM dns_change")} == {
        "crash.example", "later.example"}
    successor = Publisher(registry, writer(servers), FAST)
    await successor.start()
    try:
        await everywhere(servers, lambda port: ns_set(port, "later.example."), {"ns.crash.net."})
        assert await ns_set(servers.settings.port, "crash.example.") == {"ns.crash.net."}
        await until(lambda: fetch(registry, "SELECT owner FROM dns_change"), [])
    finally:
        await successor.stop(5.0)


async def test_the_guard_refuses_a_mass_delete_until_the_operator_accepts_it(
        clients: Clients, servers: Servers, publisher: Publisher, registry: Any) -> None:
    await dns_zone.configure_zone(registry, "example", {"delete_floor": "1", "max_delete_share": "0.5"})
    epp = await clients.login()
    await ok(await epp.host_create("ns.mass.net"))
    names = [f"mass{i}.example" for i in range(4)]
    for name in names:
        await ok(await epp.domain_create(name, nameservers=["ns.mass.net"]))
    await everywhere(servers, lambda port: ns_set(port, "mass3.example."), {"ns.mass.net."})
    await until(lambda: fetch(registry, "SELECT owner FROM dns_change"), [])
    await dns_publication.set_paused(registry, "example", True)
    for name in names[:3]:
        await ok(await epp.domain_update(name, add_status=["clientHold"]))
    await dns_publication.set_paused(registry, "example", False)
    await until(lambda: _guard(registry), True)
    assert await ns_set(servers.settings.port, "mass0.example.") == {"ns.mass.net."}  # refused: still served
    await dns_publication.set_paused(registry, "example", False, accept_deletes=True)
    await everywhere(servers, lambda port: ns_set(port, "mass0.example."), None)
    assert await ns_set(servers.settings.port, "mass3.example.") == {"ns.mass.net."}


async def _guard(core: Any) -> bool:
    return bool((await dns_publication.zone_status(core, "example"))["guard_tripped"])


async def test_a_refused_update_is_split_and_parked_then_retried(clients: Clients, servers: Servers,
                                                                 registry: Any) -> None:
    transfer = servers.settings.transfer_key  # a key Knot knows, but not for UPDATE: every UPDATE is refused
    refused = Rfc2136Writer("127.0.0.1", servers.settings.port,
                            TsigCredentials(transfer.name, transfer.secret, transfer.algorithm))
    epp = await clients.login()
    await ok(await epp.host_create("ns.parked.net"))
    for name in ("p1.example", "p2.example"):
        await ok(await epp.domain_create(name, nameservers=["ns.parked.net"]))
    assert await Publisher(registry, refused, FAST).publish_pending("example") == 0
    status = await dns_publication.zone_status(registry, "example")
    assert [p["owner"] for p in status["parked"]] == ["p1.example", "p2.example"] and status["pending"] == 0
    assert "refused" in status["last_error"]  # Knot 3.2: a key without the update ACL is answered BADKEY
    await dns_publication.request_full_publication(registry, "example", parked=True)  # dns publish --parked
    assert await Publisher(registry, writer(servers), FAST).publish_pending("example") == 2
    await everywhere(servers, lambda port: ns_set(port, "p2.example."), {"ns.parked.net."})


async def test_one_publisher_leads_and_another_takes_over_when_it_stops(clients: Clients, servers: Servers,
                                                                         registry: Any) -> None:
    first, second = (Publisher(registry, writer(servers), FAST) for _ in range(2))
    await first.start()
    await until(lambda: _led(first), {"example"})  # the fixture's Knot serves example only
    await second.start()
    try:
        await asyncio.sleep(2 * FAST.poll_interval)
        assert second.led == set()
        await first.stop(5.0)
        await until(lambda: _led(second), {"example"})
        epp = await clients.login()
        await ok(await epp.host_create("ns.failover.net"))
        await ok(await epp.domain_create("failover.example", nameservers=["ns.failover.net"]))
        await everywhere(servers, lambda port: ns_set(port, "failover.example."), {"ns.failover.net."})
    finally:
        await first.stop(5.0)
        await second.stop(5.0)


async def _led(publisher: Publisher) -> set[str]:
    return set(publisher.led)
