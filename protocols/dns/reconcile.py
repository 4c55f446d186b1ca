"""Reconciliation: what the primary serves (a zone transfer with the transfer key) against
what the registry says the zone should hold. The difference is listed per owner; fixing
takes the served records as the published state of those owners and marks them changed,
so the publisher sends exactly the correction. DNSSEC records, the SOA and the records
Knot makes itself are not ours and are left out of the comparison."""

from __future__ import annotations

import asyncio

import dns.query
import dns.rdatatype
import dns.tsigkeyring
import dns.zone

from protocols.dns.knot_conf import TsigKey
from registry_core.context import Core
from registry_core.model.zone import RRset, fqdn
from registry_core.model.zone_diff import OwnerChange, diff_owners
from registry_core.services import dns_publication, dns_zone

PRIMARY_ONLY = frozenset({"SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "ZONEMD"})
Records = dict[str, tuple[RRset, ...]]


def served_records(zone: dns.zone.Zone) -> Records:
    """Our kind of records in a transferred zone, as model values (absolute, lower case)."""
    found: Records = {}
    for name, node in zone.nodes.items():
        absolute = name if name.is_absolute() or zone.origin is None else name.derelativize(zone.origin)
        owner = fqdn(absolute.to_text())
        rrsets = [RRset(owner, dns.rdatatype.to_text(rds.rdtype), rds.ttl,
                        tuple(sorted(rd.to_text() for rd in rds)))
                  for rds in node.rdatasets if dns.rdatatype.to_text(rds.rdtype) not in PRIMARY_ONLY]
        if rrsets:
            found[owner] = tuple(sorted(rrsets))
    return found


def transfer(host: str, port: int, tld: str, key: TsigKey, timeout: float = 30.0) -> dns.zone.Zone:
    """AXFR (blocking: run it in a thread)."""
    keyring = dns.tsigkeyring.from_text({key.name: (key.algorithm, key.secret)})
    return dns.zone.from_xfr(dns.query.xfr(host, fqdn(tld), port=port, keyring=keyring, keyname=key.name,
                                           keyalgorithm=key.algorithm, timeout=timeout, relativize=False),
                             relativize=False)


async def desired_records(core: Core, tld: str) -> Records:
    found: Records = {}

    async def sink(rrsets: tuple[RRset, ...]) -> None:
        for rrset in rrsets:
            if rrset.type != "SOA":
                found[rrset.owner] = (*found.get(rrset.owner, ()), rrset)
    await dns_zone.stream_zone(core, tld, sink)
    return {owner: tuple(sorted(rrsets)) for owner, rrsets in found.items()}


async def reconcile(core: Core, tld: str, host: str, port: int, key: TsigKey, *,
                    fix: bool = False, spare_in_flight: bool = False) -> list[OwnerChange]:
    """The changes the primary needs to hold what the registry says (served -> desired). The
    apex NS set counts only when the TLD's settings manage it. With `spare_in_flight` (a
    publisher runs meanwhile), owners with a pending change or published since the transfer
    began are no drift: they are left out, and fixing leaves them to the publisher."""
    started = core.db.clock.now()
    served = served_records(await asyncio.to_thread(transfer, host, port, tld, key))
    desired = await desired_records(core, tld)
    apex = fqdn(tld)
    if not any(r.type == "NS" for r in desired.get(apex, ())):  # the apex NS set is the primary's own
        served[apex] = tuple(r for r in served.get(apex, ()) if r.type != "NS")
    changes = diff_owners(served, desired, set(served) | set(desired))
    if fix and changes:
        adopted = await dns_publication.adopt_served(core, tld, {c.owner: served.get(c.owner, ()) for c in changes},
                                                     unless_since=started if spare_in_flight else None)
        changes = [c for c in changes if c.owner in adopted]
    return changes


