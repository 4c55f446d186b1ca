"""The initial zone file of a TLD on the hidden primary: SOA and apex NS only (a pure
function). Everything else arrives by RFC 2136 UPDATE; Knot adds the DNSSEC records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SoaTimers:
    """SOA timers in seconds (RFC 1035 section 3.3.13; minimum is the negative-caching TTL,
    RFC 2308). Secondaries refresh on NOTIFY; these only bound how stale one can get."""

    refresh: int = 1800
    retry: int = 900
    expire: int = 1209600
    minimum: int = 3600
    ttl: int = 3600


def fqdn(name: str) -> str:
    """Lower-case, with the trailing dot."""
    return name.lower().rstrip(".") + "."


def initial_zone(zone: str, nameservers: tuple[str, ...], timers: SoaTimers = SoaTimers(),
                 serial: int = 1) -> str:
    """SOA (primary name: the first nameserver; contact: hostmaster at the zone) and apex NS."""
    if not nameservers:
        raise ValueError(f"zone {zone}: at least one nameserver is needed for the apex NS set")
    origin, servers = fqdn(zone), [fqdn(ns) for ns in nameservers]
    soa = (f"@ {timers.ttl} IN SOA {servers[0]} hostmaster.{origin} "
           f"{serial} {timers.refresh} {timers.retry} {timers.expire} {timers.minimum}")
    lines = [f"$ORIGIN {origin}", soa, *(f"@ {timers.ttl} IN NS {ns}" for ns in servers)]
    return "\n".join(lines) + "\n"
