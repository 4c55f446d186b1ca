"""The publisher as `registry serve` runs it: with [dns] enabled, the worker that runs the
periodic jobs also runs a Publisher writing RFC 2136 UPDATEs to the primary the supervisor
started ([dns] host and port, signed with the publisher's TSIG key), with its propagation
probe and the scheduled reconcile of the TLDs it leads; the [dns] keys batch_size ...
reconcile_interval set them (protocols.config.DnsConfig). Without the key (Knot never
started here) it warns and publishes nothing; the change log keeps every change."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from protocols.config import Config
from protocols.dns.knot import KnotError, KnotServer
from protocols.dns.primary import knot_settings, parse_secondaries, primary_zones, programs, publisher_key, transfer_key
from protocols.dns.probe import ProbeSettings, PropagationProbe, Server
from protocols.dns.publisher import Publisher, PublisherSettings
from protocols.dns.reconciler import Reconciler
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from protocols.dns.tsig import TsigKeyError
from protocols.dns.zone_file import fqdn
from protocols.dns.zonefile import ZoneFileWriter
from registry_core.context import Core

_log = logging.getLogger("registry.dns.publisher")


def publisher_settings(config: Config) -> PublisherSettings:
    dns = config.dns
    return PublisherSettings(batch_size=dns.batch_size, batch_wait=dns.batch_wait, poll_interval=dns.poll_interval,
                             attempts=dns.attempts, backoff=dns.backoff)


def probe_settings(config: Config) -> ProbeSettings:
    dns = config.dns
    return ProbeSettings(timeout=dns.probe_timeout, interval=dns.probe_interval, limit=dns.probe_queue,
                         history=dns.probe_history)


def probe_for(config: Config, core: Core) -> PropagationProbe:
    """The probe of the primary's secondaries (the primary itself without any)."""
    secondaries = [Server(s.address, s.port) for s in parse_secondaries(config.dns.secondaries)]
    return PropagationProbe(core, Server(config.dns.host, config.dns.port), secondaries, probe_settings(config))


@dataclass
class Publication:
    """The publisher with its probe and scheduled reconcile: started in that order, stopped
    in reverse."""

    publisher: Publisher
    probe: PropagationProbe
    reconciler: Reconciler

    async def start(self) -> None:
        await self.probe.start()
        await self.publisher.start()
        await self.reconciler.start()

    async def stop(self, grace: float) -> None:
        await self.reconciler.stop(grace)
        await self.publisher.stop(grace)
        await self.probe.stop(grace)


def rfc2136_writer(config: Config) -> Rfc2136Writer:
    key = publisher_key(config)
    return Rfc2136Writer(config.dns.host, config.dns.port, TsigCredentials(key.name, key.secret, key.algorithm))


async def start_publisher(config: Config, core: Core) -> Publication | None:
    if not config.dns.enabled:
        return None
    try:
        writer, key = rfc2136_writer(config), transfer_key(config)
    except TsigKeyError as exc:
        _log.warning("DNS publisher not started: %s; changes wait in the change log", exc)
        return None
    probe = probe_for(config, core)
    publisher = Publisher(core, writer, publisher_settings(config), probe=probe)
    reconciler = Reconciler(core, lambda: set(publisher.led), (config.dns.host, config.dns.port), key,
                            config.dns.reconcile_interval)
    running = Publication(publisher, probe, reconciler)
    await running.start()
    _log.info("DNS publisher started: UPDATEs to %s@%d; propagation probed on %s; reconcile every %s",
              config.dns.host, config.dns.port, ", ".join(s.label for s in probe.servers) + (
                  "" if config.dns.secondaries else " (the primary: no [dns] secondaries)"),
              f"{config.dns.reconcile_interval:.0f} s" if config.dns.reconcile_interval else "never (off)")
    return running


async def knot_control(config: Config, core: Core) -> KnotServer:
    """The running primary of this node, driven through its control socket (the CLI)."""
    found = programs(config.dns)
    if not config.dns.enabled or found is None:
        raise KnotError("[dns] is not enabled here, or knotc/keymgr are missing (Debian package knot)")
    return KnotServer(knot_settings(config, await primary_zones(config, core)), config.dns.nameservers,
                      programs=found)


def zonefile_writer(config: Config, core: Core, knot: KnotServer) -> ZoneFileWriter:
    return ZoneFileWriter(core, lambda tld: knot.settings.zone_file(fqdn(tld)), knot.zone_reload, knot.zone_serial,
                          apex_nameservers=config.dns.nameservers)
