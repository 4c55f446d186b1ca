"""DNS operations against a real Knot primary with real NSD and BIND secondaries: the
scheduled reconcile repairs drift injected on the primary (an UPDATE with the publisher's
own key) through the publisher and leaves changes in flight alone; the propagation probe
times every published change until both secondaries serve it, gives up on a server that
never does (recorded as not served, with a warning), measures the primary when there are
no secondaries, and never holds the publisher up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import dns.asyncquery
import dns.rcode
import dns.tsig
import dns.update
import pytest
from prometheus_client import REGISTRY

from protocols.dns.probe import ProbeSettings, PropagationProbe, Server
from protocols.dns.publisher import Publisher
from protocols.dns.reconciler import Reconciler
from registry_core.services import dns_publication
from registry_core.services.dns_propagation import propagation_status
from tests.conftest import fetch
from tests.core.helpers import make_domain, make_host
from tests.dns.answers import FAST, everywhere, ns_set, until, writer
from tests.dns.conftest import Servers, keyring
from tests.dns.servers import free_port

PROBE = ProbeSettings(timeout=15.0, interval=0.2)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def inject(servers: Servers, add: tuple[str, str] | None = None, remove: str | None = None) -> None:
    """Drift: an UPDATE straight to the primary with the publisher's key, behind the registry's back."""
    key = servers.settings.update_key
    update = dns.update.UpdateMessage("example.", keyring=keyring(key), keyname=key.name,
                                      keyalgorithm=dns.tsig.HMAC_SHA256)
    if add is not None:
        update.add(add[0], 3600, "NS", add[1])
    if remove is not None:
        update.delete(remove, "NS")
    reply = await dns.asyncquery.tcp(update, "127.0.0.1", port=servers.settings.port, timeout=5.0)
    assert reply.rcode() == dns.rcode.NOERROR


@pytest.fixture
async def publisher(core: Any, servers: Servers) -> AsyncIterator[Publisher]:
    running = Publisher(core, writer(servers), FAST)
    await running.start()
    yield running
    await running.stop(5.0)


def reconciler_of(core: Any, servers: Servers, publisher: Publisher, interval: float) -> Reconciler:
    return Reconciler(core, lambda: set(publisher.led), ("127.0.0.1", servers.settings.port),
                      servers.settings.transfer_key, interval)


async def test_the_scheduled_reconcile_repairs_drift_through_the_publisher(
        core: Any, servers: Servers, publisher: Publisher, caplog: pytest.LogCaptureFixture) -> None:
    await make_host(core, "ns.kept.net")
    await make_domain(core, "kept.example", ns=("ns.kept.net",))
    await everywhere(servers, lambda port: ns_set(port, "kept.example."), {"ns.kept.net."})
    await inject(servers, add=("stray.example.", "ns.stray.net."), remove="kept.example.")
    assert await ns_set(servers.settings.port, "stray.example.") == {"ns.stray.net."}
    repaired = metric("registry_dns_reconcile_repaired_owners_total", tld="example")
    reconciler = reconciler_of(core, servers, publisher, 0.5)
    caplog.set_level(logging.INFO, "registry.dns.reconcile")
    await reconciler.start()
    try:
        await everywhere(servers, lambda port: ns_set(port, "stray.example."), None)
        await everywhere(servers, lambda port: ns_set(port, "kept.example."), {"ns.kept.net."})
    finally:
        await reconciler.stop(5.0)
    assert metric("registry_dns_reconcile_repaired_owners_total", tld="example") - repaired == 2
    assert "DNS reconcile of example repaired 2 drifted owners: kept.example. (served nothing, wanted NS " \
           "ns.kept.net.), stray.example. (served NS ns.stray.net., wanted nothing)" in caplog.text


async def test_the_reconcile_leaves_a_change_in_flight_to_the_publisher(core: Any, servers: Servers,
                                                                      publisher: Publisher) -> None:
    await until(lambda: _led(publisher), {"example"})
    await dns_publication.set_paused(core, "example", True)
    await make_host(core, "ns.flight.net")
    await make_domain(core, "flight.example", ns=("ns.flight.net",))  # committed, not published: no drift
    repaired = await reconciler_of(core, servers, publisher, 3600).reconcile_once("example")
    assert "flight.example." not in {c.owner for c in repaired}  # (earlier tests' leftovers on Knot are drift)
    assert await fetch(core, "SELECT owner FROM dns_published WHERE owner = 'flight.example'") == []
    await dns_publication.set_paused(core, "example", False)
    await until(lambda: ns_set(servers.settings.port, "flight.example."), {"ns.flight.net."})


async def _led(publisher: Publisher) -> set[str]:
    return set(publisher.led)


def primary_of(servers: Servers) -> Server:
    return Server("127.0.0.1", servers.settings.port)


@pytest.fixture
async def probed(core: Any, servers: Servers) -> AsyncIterator[tuple[Publisher, PropagationProbe]]:
    """A publisher whose probe watches NSD and BIND."""
    probe = PropagationProbe(core, primary_of(servers), [Server("127.0.0.1", servers.nsd.port),
                                                         Server("127.0.0.1", servers.bind.port)], PROBE)
    await probe.start()
    running = Publisher(core, writer(servers), FAST, probe=probe)
    await running.start()
    yield running, probe
    await running.stop(5.0)
    await probe.stop(5.0)


async def served_owners(core: Any) -> set[str]:
    return {r["owner"] for r in await fetch(core, "SELECT owner FROM dns_propagation WHERE seconds IS NOT NULL")}


async def test_every_published_change_is_timed_until_both_secondaries_serve_it(
        core: Any, servers: Servers, probed: tuple[Publisher, PropagationProbe]) -> None:
    observed = metric("registry_dns_propagation_seconds_count", tld="example")
    await make_host(core, "ns.timed.net")
    for name in ("timed.example", "other.example"):
        await make_domain(core, name, ns=("ns.timed.net",))
    await until(lambda: served_owners(core), {"timed.example", "other.example"})
    rows = await fetch(core, "SELECT * FROM dns_propagation ORDER BY id")
    assert all(r["served_at"] >= r["changed_at"] and r["measured_on"] == "secondaries" for r in rows)
    for secondary in (servers.nsd, servers.bind):  # what the probe saw, the secondaries really serve
        assert await ns_set(secondary.port, "timed.example.") == {"ns.timed.net."}
    status = await propagation_status(core, "example")
    assert (status["changes"], status["not_served"], status["measured_on"]) == (2, 0, "secondaries")
    assert 0 <= status["p50"] <= status["p95"] <= status["max"]
    assert [s["server"] for s in status["servers"]] == sorted(
        f"127.0.0.1@{s.port}" for s in (servers.nsd, servers.bind))
    newest = rows[-1]["serial"]
    assert all(s["wanted_serial"] == newest and s["serial"] >= newest and s["lag_seconds"] >= 0
               for s in status["servers"])
    assert metric("registry_dns_propagation_seconds_count", tld="example") - observed == 2


async def test_a_server_that_never_serves_is_given_up_and_recorded_as_not_served(
        core: Any, servers: Servers, caplog: pytest.LogCaptureFixture) -> None:
    dead = Server("127.0.0.1", free_port())  # nothing answers there
    probe = PropagationProbe(core, primary_of(servers), [Server("127.0.0.1", servers.nsd.port), dead],
                             ProbeSettings(timeout=3.0, interval=0.2, query_timeout=0.3))
    await probe.start()
    publisher = Publisher(core, writer(servers), FAST, probe=probe)
    await publisher.start()
    try:
        await make_host(core, "ns.lost.net")
        await make_domain(core, "lost.example", ns=("ns.lost.net",))
        await until(lambda: fetch(core, "SELECT owner, seconds FROM dns_propagation"),
                    [{"owner": "lost.example", "seconds": None}])
    finally:
        await publisher.stop(5.0)
        await probe.stop(5.0)
    status = await propagation_status(core, "example")
    assert status["not_served"] == 1 and status["p50"] is None
    lags = {s["server"]: (s["serial"], s["lag_seconds"]) for s in status["servers"]}
    assert lags[dead.label] == (None, None) and lags[f"127.0.0.1@{servers.nsd.port}"][0] is not None
    assert f"DNS server {dead.label} did not serve example serial" in caplog.text
    assert metric("registry_dns_propagation_not_served_total", tld="example", server=dead.label) == 1


async def test_without_secondaries_the_primary_itself_is_measured(core: Any, servers: Servers) -> None:
    probe = PropagationProbe(core, primary_of(servers), [], PROBE)
    await probe.start()
    publisher = Publisher(core, writer(servers), FAST, probe=probe)
    await publisher.start()
    try:
        await make_host(core, "ns.alone.net")
        await make_domain(core, "alone.example", ns=("ns.alone.net",))
        await until(lambda: served_owners(core), {"alone.example"})
    finally:
        await publisher.stop(5.0)
        await probe.stop(5.0)
    status = await propagation_status(core, "example")
    assert status["measured_on"] == "primary" and status["not_served"] == 0
    assert [s["server"] for s in status["servers"]] == [primary_of(servers).label]


async def test_a_full_probe_never_holds_the_publisher_up(core: Any, servers: Servers) -> None:
    dead = Server("127.0.0.1", free_port())
    probe = PropagationProbe(core, primary_of(servers), [dead], ProbeSettings(timeout=600.0, limit=1))
    await probe.start()
    publisher = Publisher(core, writer(servers), FAST, probe=probe)
    await publisher.start()
    unmeasured = metric("registry_dns_propagation_unmeasured_total", tld="example")
    try:
        await make_host(core, "ns.busy.net")
        for name in ("busy0.example", "busy1.example", "busy2.example"):  # one publication each: the first
            await make_domain(core, name, ns=("ns.busy.net",))  # waits for the dead server, the others are dropped
            await until(lambda name=name: ns_set(servers.settings.port, f"{name}."), {"ns.busy.net."})
            await until(lambda: fetch(core, "SELECT owner FROM dns_change"), [])
    finally:
        await publisher.stop(5.0)
        await asyncio.wait_for(probe.stop(1.0), 10.0)
    assert probe.outstanding == 1
    assert metric("registry_dns_propagation_unmeasured_total", tld="example") - unmeasured == 2
