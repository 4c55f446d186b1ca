"""The hidden primary of one `registry serve` node: from the [dns] config section to a
running Knot DNS serving one signed zone per TLD in the database.

The supervisor calls primary_zones() while it has the database open, start_primary()
before it starts the workers and stop_primary() after they are gone. A missing knotd, or a
Knot that will not start, is logged and the rest of the suite serves on."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from protocols.config import Config, ConfigError, DnsConfig
from protocols.dns.knot import KnotError, KnotPrograms, KnotServer
from protocols.dns.knot_conf import KnotSettings, Secondary, SigningPolicy, TsigKey
from protocols.dns.tsig import TsigKeyError, ensure_key, read_key
from protocols.dns.zone_file import fqdn
from registry_core.context import Core
from registry_core.services.tlds import list_tlds

_log = logging.getLogger("registry.dns")
SYSTEM_DIRS = "/usr/sbin:/sbin:/usr/local/sbin"  # Debian installs knotd and keymgr here, off a user's PATH


def find_program(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SYSTEM_DIRS)


def dns_directory(config: Config) -> Path:
    return Path(config.dns.directory or Path(config.paths.var) / "dns" / "knot")


def key_file(config: Config, configured: str, default_name: str) -> Path:
    return Path(configured or Path(config.paths.var) / "dns" / default_name)


def publisher_key(config: Config) -> TsigKey:
    """The key the DNS publisher signs its UPDATEs with (the primary creates it on first start)."""
    return read_key(key_file(config, config.dns.update_key_file, "publisher.tsig"), fqdn(config.dns.update_key_name))


def transfer_key(config: Config) -> TsigKey:
    """The key secondaries (and the reconcile's AXFR) transfer the zones with."""
    return read_key(key_file(config, config.dns.transfer_key_file, "transfer.tsig"), fqdn(config.dns.transfer_key_name))


def parse_secondaries(entries: Iterable[str]) -> tuple[Secondary, ...]:
    """"address@port" entries (IPv6 addresses as is: the port follows the last @)."""
    found = []
    for number, entry in enumerate(entries, 1):
        address, sep, port = entry.rpartition("@")
        if not sep or not address or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"dns.secondaries: expected address@port, got {entry!r}")
        found.append(Secondary(f"secondary{number}", address, int(port), catalog=True))
    return tuple(found)


def policy(dns: DnsConfig) -> SigningPolicy:
    return SigningPolicy(ksk_lifetime=dns.ksk_lifetime, zsk_lifetime=dns.zsk_lifetime,
                         propagation_delay=dns.propagation_delay)


def knot_settings(config: Config, zones: Iterable[str]) -> KnotSettings:
    """Settings for Knot; TSIG key files are created on first use (development)."""
    dns = config.dns
    update = ensure_key(key_file(config, dns.update_key_file, "publisher.tsig"), fqdn(dns.update_key_name))
    transfer = ensure_key(key_file(config, dns.transfer_key_file, "transfer.tsig"), fqdn(dns.transfer_key_name))
    return KnotSettings(directory=dns_directory(config).resolve(), address=dns.host, port=dns.port,
                        update_key=update, transfer_key=transfer, zones=tuple(fqdn(z) for z in zones),
                        secondaries=parse_secondaries(dns.secondaries), policy=policy(dns),
                        catalog=fqdn(dns.catalog_zone))


async def primary_zones(config: Config, core: Core) -> tuple[str, ...]:
    """One zone per TLD in the database (none when [dns] is off)."""
    if not config.dns.enabled:
        return ()
    return tuple(fqdn(tld.name) for tld in await list_tlds(core))


def programs(dns: DnsConfig) -> KnotPrograms | None:
    found = [find_program(name) for name in (dns.knotd, dns.knotc, dns.keymgr)]
    if None in found:
        return None
    knotd, knotc, keymgr = (str(path) for path in found)
    return KnotPrograms(knotd, knotc, keymgr)


async def start_primary(config: Config, zones: Iterable[str]) -> KnotServer | None:
    """A running Knot for this node, or None: [dns] is off, knotd is missing, or it failed."""
    dns = config.dns
    if not dns.enabled:
        return None
    found = programs(dns)
    if found is None:
        _log.warning("DNS primary not started: %s, %s or %s not found (Debian package knot; "
                     "`make test-deps` installs it); serving everything else", dns.knotd, dns.knotc, dns.keymgr)
        return None
    try:
        server = KnotServer(knot_settings(config, zones), dns.nameservers, programs=found,
                            load_timeout=dns.start_timeout, log_max_bytes=dns.log_max_bytes, log_keep=dns.log_keep)
        await server.start()
    except (KnotError, TsigKeyError, OSError, ValueError) as exc:
        _log.error("DNS primary not started: %s; serving everything else", exc)
        return None
    _log.info("serving DNS (Knot) %s@%d, zones: %s; log %s", dns.host, dns.port,
              ", ".join(server.settings.zones) or "none yet", server.log_file)
    return server


async def stop_primary(server: KnotServer | None, config: Config) -> None:
    if server is not None:
        await server.stop(config.dns.stop_grace)
