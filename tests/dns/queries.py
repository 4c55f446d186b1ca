"""DNS queries the tests make: over TCP to a loopback port, DNSSEC records wanted, and
answers validated with dnspython against the zone's own DNSKEY set."""

from __future__ import annotations

import dns.asyncquery
import dns.dnssec
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset


async def ask(port: int, name: str, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=True)
    return await dns.asyncquery.tcp(query, "127.0.0.1", port=port, timeout=3.0)


async def validated(port: int, zone: str, rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset:
    """The zone apex RRset with its RRSIG, checked against the zone's DNSKEY set."""
    keys = await ask(port, zone, dns.rdatatype.DNSKEY)
    answer = await ask(port, zone, rdtype)
    origin = dns.name.from_text(zone)
    keyset = {origin: keys.find_rrset(keys.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)}
    rrset = answer.find_rrset(answer.answer, origin, dns.rdataclass.IN, rdtype)
    sig = answer.find_rrset(answer.answer, origin, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
    dns.dnssec.validate(rrset, sig, keyset)  # type: ignore[arg-type]
    return rrset
