"""Zone rules (pure): which domains are delegated, their NS and DS records, narrow glue,
and the apex records of a TLD zone.

A domain is delegated unless it is on hold (clientHold, serverHold), being deleted
(pendingDelete, any RGP state: redemption, pending restore, pending delete) or inactive
(no name servers). An A/AAAA record is published only for a host subordinate to a
delegated domain of this TLD and used as a name server by some delegated domain of this
TLD (narrow glue, as ICANN's RST integration tests 04/05 check): an address nobody needs
is never in the zone. Names are absolute, lower case, with the trailing dot; rdata is in
presentation format, lower case."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

NOT_DELEGATED_STATUSES = ("clientHold", "serverHold", "pendingDelete")
_NOT_DELEGATED = frozenset(NOT_DELEGATED_STATUSES)


def fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def relative(name: str) -> str:
    """The stored form: lower case, no trailing dot."""
    return name.lower().rstrip(".")


# RRset, DomainState and HostState are named tuples rather than dataclasses: a full render
# makes a few of them per domain, millions in all, and a tuple is built several times faster.
class RRset(NamedTuple):
    """Ordered by owner, type, TTL, rdata."""

    owner: str  # absolute, lower case
    type: str  # "NS", "DS", "A", "AAAA", "SOA"
    ttl: int
    rdata: tuple[str, ...]  # sorted, presentation format, lower case


class DomainState(NamedTuple):
    """What the zone needs to know of one live domain."""

    name: str
    statuses: frozenset[str] = frozenset()
    rgp_state: str | None = None
    nameservers: tuple[str, ...] = ()
    ds: tuple[str, ...] = ()  # "key_tag alg digest_type DIGEST"


class HostState(NamedTuple):
    """A live host named inside this TLD: its addresses, its superordinate domain, and
    whether some delegated domain of this TLD uses it as a name server."""

    name: str
    addresses: tuple[str, ...]
    superordinate: DomainState
    used: bool


@dataclass(frozen=True)
class ZoneSettings:
    """Apex and publication settings of one TLD zone (`registry dns set`)."""

    ttl: int = 3600
    soa_ttl: int = 3600
    soa_mname: str | None = None
    soa_rname: str | None = None
    soa_refresh: int = 1800
    soa_retry: int = 900
    soa_expire: int = 1209600
    soa_minimum: int = 3600
    nameservers: tuple[str, ...] = ()
    nic_addresses: tuple[str, ...] = field(default=())
    records: tuple[str, ...] = ()  # operator records, "owner TYPE rdata" (absolute owner, presentation format)
    max_delete_share: float = 0.05
    delete_floor: int = 10


def is_delegated(domain: DomainState) -> bool:
    return bool(domain.nameservers) and domain.rgp_state is None and domain.statuses.isdisjoint(_NOT_DELEGATED)


def in_zone(name: str, tld: str) -> bool:
    return fqdn(name).endswith("." + fqdn(tld))


def ns_rdata(nameservers: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({fqdn(ns) for ns in nameservers}))


def delegation_rrsets(domain: DomainState, ttl: int) -> tuple[RRset, ...]:
    if not is_delegated(domain):
        return ()
    owner = fqdn(domain.name)
    found = [RRset(owner, "NS", ttl, ns_rdata(domain.nameservers))]
    if domain.ds:
        found.append(RRset(owner, "DS", ttl, tuple(sorted({ds.lower() for ds in domain.ds}))))
    return tuple(found)


def address_rrsets(owner: str, addresses: Iterable[str], ttl: int) -> tuple[RRset, ...]:
    parsed = [ipaddress.ip_address(a) for a in addresses]
    found = []
    for rtype, version in (("A", 4), ("AAAA", 6)):
        rdata = tuple(sorted({a.compressed for a in parsed if a.version == version}))
        if rdata:
            found.append(RRset(fqdn(owner), rtype, ttl, rdata))
    return tuple(found)


def glue_rrsets(host: HostState, tld: str, ttl: int) -> tuple[RRset, ...]:
    """Narrow glue: addresses only for a used host below a delegated domain of this TLD."""
    below = fqdn(host.name) == fqdn(host.superordinate.name) or in_zone(host.name, host.superordinate.name)
    if not (host.used and below and in_zone(host.superordinate.name, tld) and is_delegated(host.superordinate)):
        return ()
    return address_rrsets(host.name, host.addresses, ttl)


def nic_name(tld: str) -> str:
    return fqdn("nic." + relative(tld))


def apex_rrsets(owner: str, tld: str, settings: ZoneSettings) -> tuple[RRset, ...] | None:
    """The records of an apex-managed owner (the TLD's NS set, nic.<tld>), or None when
    the owner is not managed by the apex settings. The SOA is Knot's (serial policy)."""
    if fqdn(owner) == fqdn(tld):
        if not settings.nameservers:
            return None  # the primary's start-up apex NS set stays as it is
        return (RRset(fqdn(tld), "NS", settings.ttl, tuple(sorted({fqdn(n) for n in settings.nameservers}))),)
    if fqdn(owner) == nic_name(tld) and settings.nic_addresses:
        return address_rrsets(owner, settings.nic_addresses, settings.ttl)
    return None


OPERATOR_TYPES = ("A", "AAAA", "TXT", "MX", "CAA", "SRV")  # what an operator may add (no NS, DS, CNAME)


def operator_record(text: str) -> tuple[str, str, str]:
    """(absolute owner, type, rdata) of one stored operator record."""
    owner, rtype, rdata = text.split(" ", 2)
    return fqdn(owner), rtype.upper(), rdata


def operator_owners(settings: ZoneSettings) -> list[str]:
    return sorted({operator_record(r)[0] for r in settings.records})


def operator_rrsets(owner: str, settings: ZoneSettings) -> list[RRset]:
    by_type: dict[str, set[str]] = {}
    for record in settings.records:
        at, rtype, rdata = operator_record(record)
        if at == fqdn(owner):
            by_type.setdefault(rtype, set()).add(rdata)
    return [RRset(fqdn(owner), t, settings.ttl, tuple(sorted(rd))) for t, rd in sorted(by_type.items())]


def _merged(rrsets: list[RRset]) -> tuple[RRset, ...]:
    """One RRset per type (an operator record at a managed name joins its set)."""
    by_type: dict[str, RRset] = {}
    for r in rrsets:
        seen = by_type.get(r.type)
        by_type[r.type] = r if seen is None else RRset(r.owner, r.type, seen.ttl,
                                                        tuple(sorted(set(seen.rdata) | set(r.rdata))))
    return tuple(sorted(by_type.values()))


def desired_rrsets(owner: str, tld: str, settings: ZoneSettings, domain: DomainState | None,
                   host: HostState | None) -> tuple[RRset, ...]:
    """Everything the zone should hold at `owner` (apart from DNSSEC records and the SOA)."""
    found = operator_rrsets(owner, settings) if settings.records else []
    apex = apex_rrsets(owner, tld, settings)
    if apex is not None:
        return _merged([*apex, *found])
    if domain is not None and in_zone(domain.name, tld):
        found += delegation_rrsets(domain, settings.ttl)
    if host is not None:
        found += glue_rrsets(host, tld, settings.ttl)
    return _merged(found)


def soa_rrset(tld: str, settings: ZoneSettings, serial: int) -> RRset:
    mname = fqdn(settings.soa_mname or (sorted(settings.nameservers) or ["ns1.nic." + relative(tld)])[0])
    rname = fqdn(settings.soa_rname or "hostmaster." + relative(tld))
    text = (f"{mname} {rname} {serial} {settings.soa_refresh} {settings.soa_retry} "
            f"{settings.soa_expire} {settings.soa_minimum}")
    return RRset(fqdn(tld), "SOA", settings.soa_ttl, (text,))


def zone_of_world(tld: str, settings: ZoneSettings, domains: Iterable[DomainState],
                  hosts: Iterable[tuple[str, tuple[str, ...], str | None]]) -> dict[str, tuple[RRset, ...]]:
    """The desired records of a whole registry, computed from its objects alone: domains
    and (host name, addresses, superordinate domain name or None). For tests and checks."""
    by_name = {relative(d.name): d for d in domains}
    users = {relative(ns) for d in by_name.values() if in_zone(d.name, tld) and is_delegated(d)
             for ns in d.nameservers}
    zone: dict[str, tuple[RRset, ...]] = {}
    host_states = {relative(name): HostState(name, addresses, by_name[relative(sup)], relative(name) in users)
                   for name, addresses, sup in hosts if sup is not None and relative(sup) in by_name}
    for owner in sorted(set(by_name) | set(host_states)):
        records = desired_rrsets(owner, tld, settings, by_name.get(owner), host_states.get(owner))
        if records:
            zone[fqdn(owner)] = records
    return zone
