"""The records of a whole zone (pure), for full renders and exports: fed the zone's domains
chunk by chunk in name order (C order: code points), it places the zone's other owners
(hosts named inside it, names only the settings fill: nic.<tld>, operator records) at
their names and gives each chunk's records as desired_rrsets would, owner by owner.

What every owner shares is worked out once, and an owner that is a domain and nothing
else (no host of its name, not managed by the apex settings, no operator record), nearly
every owner of a large zone, takes a short path with the same result; the NS rdata of a
set of name servers is kept for the next domain with the same set (a zone of a million
domains has a few thousand sets)."""

from __future__ import annotations

from collections.abc import Iterable

from registry_core.model.zone import (
    DomainState,
    HostState,
    RRset,
    ZoneSettings,
    desired_rrsets,
    fqdn,
    is_delegated,
    nic_name,
    ns_rdata,
    operator_owners,
    relative,
)

KEPT_SETS = 100_000  # NS sets remembered (then forgotten and learned again)


def settings_owners(tld: str, settings: ZoneSettings) -> list[str]:
    """Stored names below the apex that hold records from the settings (nic.<tld>, operator records)."""
    owners = {relative(o) for o in operator_owners(settings)} - {relative(tld)}
    if settings.nic_addresses:
        owners.add(relative(nic_name(tld)))
    return sorted(owners)


class ZoneRecords:
    def __init__(self, tld: str, settings: ZoneSettings, hosts: Iterable[HostState]) -> None:
        self.tld, self.settings = tld, settings
        self.suffix = "." + fqdn(tld)
        self.special = {fqdn(tld), nic_name(tld), *operator_owners(settings)}  # owners of the long path
        self.hosts = {h.name: h for h in hosts}
        self.others = sorted({*settings_owners(tld, settings), *self.hosts}, reverse=True)  # the next one last
        self.ns_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.delegations = 0

    def _other(self, owner: str) -> list[RRset]:
        found = list(desired_rrsets(owner, self.tld, self.settings, None, self.hosts.get(owner)))
        self.delegations += any(r.type == "NS" for r in found)
        return found

    def _ns(self, nameservers: tuple[str, ...]) -> tuple[str, ...]:
        if len(self.ns_sets) >= KEPT_SETS:
            self.ns_sets.clear()
        found = self.ns_sets[nameservers] = ns_rdata(nameservers)
        return found

    def chunk(self, domains: Iterable[DomainState]) -> list[RRset]:
        """The records of these domains (the next ones in name order) and of the other
        owners up to the last of them. One loop, its lookups hoisted: it runs per domain."""
        found: list[RRset] = []
        others, special, suffix, ttl, ns_sets = self.others, self.special, self.suffix, self.settings.ttl, self.ns_sets
        delegations = 0
        for domain in domains:
            owner, host = domain.name, None
            while others and others[-1] <= owner:
                other = others.pop()
                if other == owner:  # a host of the domain's name; settings' records join in desired_rrsets
                    host = self.hosts.get(other)
                else:
                    found += self._other(other)
            name = owner.lower().rstrip(".") + "."  # fqdn, inlined
            if host is not None or name in special:
                records = desired_rrsets(owner, self.tld, self.settings, domain, host)
                delegations += any(r.type == "NS" for r in records)
                found += records
            elif name.endswith(suffix) and is_delegated(domain):  # delegation_rrsets, ordered as desired_rrsets
                ns = RRset(name, "NS", ttl, ns_sets.get(domain.nameservers) or self._ns(domain.nameservers))
                if domain.ds:
                    found.append(RRset(name, "DS", ttl, tuple(sorted({ds.lower() for ds in domain.ds}))))
                found.append(ns)
                delegations += 1
        self.delegations += delegations
        return found

    def rest(self) -> list[RRset]:
        """The other owners after the last domain."""
        found = [r for other in reversed(self.others) for r in self._other(other)]
        self.others = []
        return found
