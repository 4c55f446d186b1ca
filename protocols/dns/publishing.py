"""The publisher as `registry serve` runs it: with [dns] enabled, the worker that runs the
periodic jobs also runs a Publisher writing RFC 2136 UPDATEs to the primary the supervisor
started ([dns] host and port, signed with the publisher's TSIG key). Without the key (Knot
never started here) it warns and publishes nothing; the change log keeps every change."""

from __future__ import annotations

import logging

from protocols.config import Config
from protocols.dns.knot import KnotError, KnotServer
from protocols.dns.primary import knot_settings, primary_zones, programs, publisher_key
from protocols.dns.publisher import Publisher, PublisherSettings
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from protocols.dns.tsig import TsigKeyError
from protocols.dns.zone_file import fqdn
from protocols.dns.zonefile import ZoneFileWriter
from registry_core.context import Core

_log = logging.getLogger("registry.dns.publisher")


def rfc2136_writer(config: Config) -> Rfc2136Writer:
    key = publisher_key(config)
    return Rfc2136Writer(config.dns.host, config.dns.port, TsigCredentials(key.name, key.secret, key.algorithm))


async def start_publisher(config: Config, core: Core, settings: PublisherSettings = PublisherSettings()
                          ) -> Publisher | None:
    if not config.dns.enabled:
        return None
    try:
        writer = rfc2136_writer(config)
    except TsigKeyError as exc:
        _log.warning("DNS publisher not started: %s; changes wait in the change log", exc)
        return None
    publisher = Publisher(core, writer, settings)
    await publisher.start()
    _log.info("DNS publisher started: UPDATEs to %s@%d", config.dns.host, config.dns.port)
    return publisher


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
