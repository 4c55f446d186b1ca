"""knot.conf for the hidden primary, rendered from typed settings (a pure function).

The primary serves one zone per TLD, fed by RFC 2136 UPDATEs signed with the publisher's
TSIG key, signs them (Knot's automatic key management) and sends NOTIFY and IXFR/AXFR,
signed with the transfer key, to every secondary. A generated catalog zone (RFC 9432)
lists the TLD zones, so a catalog consumer learns a new zone without configuration.

Zone contents live in Knot's journal (`journal-content: all`): after the initial zone file
(SOA and apex NS, written by us with serial 1) every change arrives as an UPDATE, and the
journal is the truth between full renders. Knot never writes our zone file back
(`zonefile-sync: -1`). A restart loads the zone from the journal; the unchanged initial
file adds nothing (`zonefile-load: difference`: the file's changes, if any, are applied on
top). A full render writes the zone file with a serial above the served one and asks for
`zone-reload`: Knot applies the difference like an update, re-signs it and secondaries get
an IXFR. (`difference-no-serial` would be wrong here: on restart it makes the stale initial
file the truth and drops every UPDATE; `whole` cannot give secondaries a correct IXFR after
a render.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

POLICY_ID = "registry"
UPDATE_ACL, TRANSFER_ACL = "publisher-update", "secondary-transfer"


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key (RFC 8945): its name is a domain name; the secret is base64."""

    name: str
    secret: str
    algorithm: str = "hmac-sha256"


@dataclass(frozen=True)
class Secondary:
    """A server that transfers our zones; `catalog` if it consumes the catalog zone."""

    id: str
    address: str
    port: int
    catalog: bool = False


@dataclass(frozen=True)
class SigningPolicy:
    """Knot's automatic DNSSEC policy: ECDSA P-256 (algorithm 13), NSEC3 without extra
    iterations or salt (RFC 9276), CDS/CDNSKEY always published. Durations in seconds;
    a lifetime of 0 never rolls that key."""

    ksk_lifetime: int = 0
    zsk_lifetime: int = 30 * 86400
    propagation_delay: int = 3600
    dnskey_ttl: int = 3600
    zone_max_ttl: int = 86400
    rrsig_lifetime: int = 14 * 86400
    rrsig_refresh: int = 0  # 0: Knot's default (propagation delay + zone max TTL)
    rrsig_pre_refresh: int = 3600
    cds_cdnskey_publish: str = "always"


@dataclass(frozen=True)
class KnotSettings:
    directory: Path  # storage, journal, KASP database, zone files, control socket, pid file
    address: str
    port: int
    update_key: TsigKey
    transfer_key: TsigKey
    zones: tuple[str, ...]  # fully qualified, e.g. "example."
    secondaries: tuple[Secondary, ...] = ()
    policy: SigningPolicy = field(default_factory=SigningPolicy)
    catalog: str = "catalog.invalid."  # RFC 9432 section 6: a name under .invalid is fine
    serial_policy: str = "unixtime"
    background_workers: int = 2

    @property
    def socket(self) -> Path:
        return self.directory / "knot.sock"

    @property
    def config_file(self) -> Path:
        return self.directory / "knot.conf"

    def zone_file(self, zone: str) -> Path:
        return self.directory / "zones" / f"{zone.rstrip('.') or 'root'}.zone"


STATS_ID = "activity"


def render(settings: KnotSettings) -> str:
    """The whole knot.conf; the same settings always give the same text."""
    parts = [_server(settings), _log(), _database(settings), _keys(settings), _remotes(settings),
             _acls(settings), _policy(settings.policy), _templates(settings), _zones(settings)]
    return "\n".join(part for part in parts if part)


def _quote(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _server(s: KnotSettings) -> str:
    return (f"server:\n    rundir: {_quote(s.directory)}\n    pidfile: {_quote(s.directory / 'knot.pid')}\n"
            f"    listen: {s.address}@{s.port}\n    background-workers: {s.background_workers}\n"
            f"    identity: \"\"\n    version: \"\"\n\ncontrol:\n    listen: {_quote(s.socket)}\n")


def _log() -> str:
    return "log:\n  - target: stderr\n    any: info\n"


def _database(s: KnotSettings) -> str:
    return (f"database:\n    storage: {_quote(s.directory / 'db')}\n"
            f"    kasp-db: {_quote(s.directory / 'db' / 'keys')}\n")


def _keys(s: KnotSettings) -> str:
    lines = ["key:"]
    for key in (s.update_key, s.transfer_key):
        lines += [f"  - id: {key.name}", f"    algorithm: {key.algorithm}", f"    secret: {key.secret}"]
    return "\n".join(lines) + "\n"


def _remotes(s: KnotSettings) -> str:
    if not s.secondaries:
        return ""
    lines = ["remote:"]
    for sec in s.secondaries:
        lines += [f"  - id: {sec.id}", f"    address: {sec.address}@{sec.port}", f"    key: {s.transfer_key.name}"]
    return "\n".join(lines) + "\n"


def _acls(s: KnotSettings) -> str:
    return (f"acl:\n  - id: {UPDATE_ACL}\n    key: {s.update_key.name}\n    action: update\n"
            f"  - id: {TRANSFER_ACL}\n    key: {s.transfer_key.name}\n    action: transfer\n")


def _policy(p: SigningPolicy) -> str:
    refresh = f"    rrsig-refresh: {p.rrsig_refresh}\n" if p.rrsig_refresh else ""
    return (f"policy:\n  - id: {POLICY_ID}\n    algorithm: ecdsap256sha256\n    ksk-size: 256\n    zsk-size: 256\n"
            f"    ksk-lifetime: {p.ksk_lifetime}\n    zsk-lifetime: {p.zsk_lifetime}\n"
            f"    propagation-delay: {p.propagation_delay}\n    dnskey-ttl: {p.dnskey_ttl}\n"
            f"    zone-max-ttl: {p.zone_max_ttl}\n    rrsig-lifetime: {p.rrsig_lifetime}\n{refresh}"
            f"    rrsig-pre-refresh: {p.rrsig_pre_refresh}\n"
            "    nsec3: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 0\n    nsec3-opt-out: off\n"
            f"    cds-cdnskey-publish: {p.cds_cdnskey_publish}\n")


def _templates(s: KnotSettings) -> str:
    notify = [sec.id for sec in s.secondaries]
    catalog_notify = [sec.id for sec in s.secondaries if sec.catalog]
    zones = s.directory / "zones"
    tld = (f"  - id: tld\n    storage: {_quote(zones)}\n    file: \"%s.zone\"\n    zonefile-sync: -1\n"
           "    zonefile-load: difference\n    journal-content: all\n"
           f"    serial-policy: {s.serial_policy}\n    semantic-checks: on\n"
           f"    dnssec-signing: on\n    dnssec-policy: {POLICY_ID}\n"
           f"    acl: {_list([UPDATE_ACL, TRANSFER_ACL])}\n"
           f"    catalog-role: member\n    catalog-zone: {s.catalog}\n"
           f"    module: mod-stats/{STATS_ID}\n")
    catalog = (f"  - id: catalog\n    storage: {_quote(zones)}\n    journal-content: all\n    zonefile-sync: -1\n"
               f"    serial-policy: {s.serial_policy}\n    acl: {_list([TRANSFER_ACL])}\n"
               "    catalog-role: generate\n")
    if notify:
        tld += f"    notify: {_list(notify)}\n"
    if catalog_notify:
        catalog += f"    notify: {_list(catalog_notify)}\n"
    return _stats() + "template:\n" + tld + catalog


def _stats() -> str:
    """Per-zone query counters for ICANN's monthly activity report (knotc zone-stats): only
    the protocol, operation and answer counters, the cheapest ones."""
    return (f"mod-stats:\n  - id: {STATS_ID}\n    request-protocol: on\n    server-operation: on\n"
            "    request-bytes: off\n    response-bytes: off\n    edns-presence: off\n    flag-presence: off\n"
            "    response-code: on\n    request-edns-option: off\n    response-edns-option: off\n"
            "    reply-nodata: off\n    query-type: off\n    query-size: off\n    reply-size: off\n\n")


def _zones(s: KnotSettings) -> str:
    lines = ["zone:", f"  - domain: {s.catalog}", "    template: catalog"]
    for zone in s.zones:
        lines += [f"  - domain: {zone}", "    template: tld"]
    return "\n".join(lines) + "\n"
