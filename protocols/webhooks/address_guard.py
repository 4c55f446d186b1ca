"""The SSRF guard: webhook targets must be public addresses, unless allowlisted.

An endpoint URL is a registrar's to choose; without a guard it could make the registry
POST into its own network (metadata services at 169.254.169.254, databases, admin
consoles). Refused: loopback, private (RFC 1918, RFC 4193), shared (RFC 6598), link-local,
multicast, reserved, unspecified and every other address Python's `ipaddress` does not call
global (IANA special-purpose registries, RFC 6890), IPv4-mapped IPv6 judged as its IPv4.

The check happens in the resolver the HTTP client connects through (GuardedResolver), so
the address checked is the address connected to: a name that resolves to a public address
when checked and to a private one a moment later (DNS rebinding) gains nothing. URLs with
an address literal skip resolvers; the channel checks those itself (`refusal`)."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(OSError):
    """The endpoint's address is not one the registry sends webhooks to."""


def networks(allowlist: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowlist)


def refusal(address: IPAddress, allowlist: tuple[Network, ...]) -> str:
    """Why `address` is refused ("" when it is allowed)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allowlist):
        return ""
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    return "" if address.is_global else f"{address} is not a global address"


class GuardedResolver(AbstractResolver):
    """Resolves with the system resolver (getaddrinfo on a thread) and keeps only the
    addresses the guard allows; none left raises TargetRefused."""

    def __init__(self, allowlist: tuple[Network, ...], inner: AbstractResolver | None = None) -> None:
        self.allowlist = allowlist
        self.inner = inner or ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        reasons = [refusal(ipaddress.ip_address(r["host"]), self.allowlist) for r in results]
        allowed = [r for r, reason in zip(results, reasons, strict=True) if not reason]
        if not allowed:
            raise TargetRefused(f"{host}: {'; '.join(sorted(set(reasons))) or 'no address'}")
        return allowed

    async def close(self) -> None:
        await self.inner.close()
