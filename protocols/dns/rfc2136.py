"""The publisher's default writer: RFC 2136 UPDATE messages signed with TSIG (RFC 8945),
sent over TCP to the hidden primary. A batch becomes as many messages as needed to keep
each under the 64 KB a DNS message may carry over TCP (RFC 1035 section 4.2.2: a two-octet
length); an owner's changes always travel in one message, so the primary applies each
owner's change whole. Any RCODE but NOERROR is an error. Messages are built and sent by a
worker thread (apply). We never set the SOA: Knot
increments the serial of its signed zone (`serial-policy`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from protocols.dns.publisher import WriterError
from registry_core.model.zone import fqdn
from registry_core.model.zone_diff import OwnerChange

MESSAGE_BUDGET = 60_000  # octets of records per message, below 65535 with room for header and TSIG
RECORD_OVERHEAD = 12  # type, class, TTL, RDLENGTH, and a length octet or two of slack


@dataclass(frozen=True)
class TsigCredentials:
    name: str  # the key's name, a domain name ("registry-publisher.")
    secret: str  # base64
    algorithm: str = "hmac-sha256"


def _wire_estimate(change: OwnerChange) -> int:
    """An upper bound of the octets the owner's records take (a text name or address is
    never shorter than its wire form plus one)."""
    per_owner = len(change.owner) + 2 + RECORD_OVERHEAD
    deletes = sum(per_owner + len(rdata) + 2 for _type, rdata in change.deletes)
    adds = sum(per_owner + len(rd) + 2 for rrset in change.adds for rd in rrset.rdata)
    return deletes + adds


def chunks(changes: Sequence[OwnerChange], budget: int = MESSAGE_BUDGET) -> Iterator[list[OwnerChange]]:
    """Consecutive groups of whole owners, each within the message budget."""
    group: list[OwnerChange] = []
    size = 0
    for change in changes:
        cost = _wire_estimate(change)
        if group and size + cost > budget:
            yield group
            group, size = [], 0
        group.append(change)
        size += cost
    if group:
        yield group


class Rfc2136Writer:
    def __init__(self, host: str, port: int, key: TsigCredentials, *, timeout: float = 10.0,
                 budget: int = MESSAGE_BUDGET) -> None:
        self.host, self.port, self.timeout, self.budget = host, port, timeout, budget
        self.key = key
        self.keyring = dns.tsigkeyring.from_text({key.name: (key.algorithm, key.secret)})

    def message(self, tld: str, changes: Sequence[OwnerChange]) -> dns.update.UpdateMessage:
        update = dns.update.UpdateMessage(fqdn(tld), keyring=self.keyring, keyname=dns.name.from_text(self.key.name),
                                          keyalgorithm=self.key.algorithm)
        for change in changes:
            owner = dns.name.from_text(change.owner)
            for rtype, rdata in change.deletes:
                update.delete(owner, dns.rdata.from_text(dns.rdataclass.IN, rtype, rdata))
            for rrset in change.adds:
                for text in rrset.rdata:
                    update.add(owner, rrset.ttl, dns.rdata.from_text(dns.rdataclass.IN, rrset.type, text))
        return update

    def messages(self, tld: str, changes: Sequence[OwnerChange]) -> list[dns.update.UpdateMessage]:
        return [self.message(tld, group) for group in chunks(changes, self.budget)]

    async def apply(self, tld: str, changes: Sequence[OwnerChange]) -> None:
        """Build, sign and send in a thread: dnspython spends about 0.1 ms of CPU per record
        on parsing and rendering, too much for the serving event loop on a large batch."""
        await asyncio.to_thread(self.apply_blocking, tld, changes)

    def apply_blocking(self, tld: str, changes: Sequence[OwnerChange]) -> None:
        for update in self.messages(tld, changes):
            self._send(tld, update)

    async def serves(self, tld: str) -> bool:
        return await asyncio.to_thread(self.serves_blocking, tld)

    def serves_blocking(self, tld: str) -> bool:
        """An authoritative SOA answer for the zone (no TSIG needed to ask)."""
        query = dns.message.make_query(fqdn(tld), dns.rdatatype.SOA)
        try:
            reply = dns.query.tcp(query, self.host, port=self.port, timeout=self.timeout)
        except (dns.exception.DNSException, OSError):
            return False
        return reply.rcode() == dns.rcode.NOERROR and bool(reply.flags & dns.flags.AA) and bool(reply.answer)

    def _send(self, tld: str, update: dns.update.UpdateMessage) -> None:
        try:
            reply = dns.query.tcp(update, self.host, port=self.port, timeout=self.timeout)
        except (dns.tsig.PeerError, dns.tsig.BadSignature) as exc:
            raise WriterError(f"UPDATE of {tld} refused: TSIG {exc.__class__.__name__}") from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise WriterError(f"UPDATE of {tld} to {self.host}@{self.port}: {exc.__class__.__name__}: {exc}") from exc
        if reply.rcode() != dns.rcode.NOERROR:
            raise WriterError(f"UPDATE of {tld} answered {dns.rcode.to_text(reply.rcode())}")
