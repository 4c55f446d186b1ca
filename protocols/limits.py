"""Per-IP limits for the public listeners (WHOIS port 43 and RDAP), so that one scraper
cannot starve the rest: a token bucket per client for the request rate, and a cap on
concurrent connections per client. Addresses in the allowlist bypass both.

A client is one IPv4 address, or one IPv6 /64 (a single host usually owns a whole /64, so
counting its addresses one by one would give it 2**64 budgets). A rate of 0 or a cap of
0 switches that limit off. State is bounded: when more than `max_tracked` clients are
known, the idle ones (full bucket, no connection) are forgotten."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LimitPolicy:
    rate_per_second: float
    burst: int
    max_connections_per_ip: int
    allowlist: tuple[str, ...] = ()


@dataclass
class _Client:
    tokens: float
    stamp: float
    connections: int = 0


def client_key(ip: str) -> str:
    """The unit a limit applies to: the IPv4 address or the IPv6 /64 ("" if unparsable)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class IpLimits:
    def __init__(self, policy: LimitPolicy, *, clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = 100_000) -> None:
        self.policy = policy
        self._clock = clock
        self._max_tracked = max_tracked
        self._networks = [ipaddress.ip_network(n, strict=False) for n in policy.allowlist]
        self._clients: dict[str, _Client] = {}
        self._trusted: dict[str, bool] = {}

    def trusted(self, ip: str) -> bool:
        known = self._trusted.get(ip)
        if known is None:
            if len(self._trusted) >= self._max_tracked:
                self._trusted.clear()
            known = self._trusted[ip] = self._in_allowlist(ip)
        return known

    def _in_allowlist(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)

    def _client(self, ip: str) -> _Client:
        key = client_key(ip)
        client = self._clients.get(key)
        if client is None:
            if len(self._clients) >= self._max_tracked:
                self._forget_idle()
            client = self._clients[key] = _Client(float(self.policy.burst), self._clock())
        return client

    def _forget_idle(self) -> None:
        now, rate, burst = self._clock(), self.policy.rate_per_second, self.policy.burst
        self._clients = {key: c for key, c in self._clients.items()
                         if c.connections or c.tokens + (now - c.stamp) * rate < burst}

    def take(self, ip: str) -> float:
        """Spend one request token: 0.0 when allowed, else the seconds until one is due."""
        rate = self.policy.rate_per_second
        if rate <= 0 or self.trusted(ip):
            return 0.0
        client, now = self._client(ip), self._clock()
        client.tokens = min(float(self.policy.burst), client.tokens + (now - client.stamp) * rate)
        client.stamp = now
        if client.tokens >= 1.0:
            client.tokens -= 1.0
            return 0.0
        return (1.0 - client.tokens) / rate

    def connect(self, ip: str) -> bool:
        """Count a new connection; False (and not counted) when the client is at its cap."""
        cap = self.policy.max_connections_per_ip
        if cap <= 0 or self.trusted(ip):
            return True
        client = self._client(ip)
        if client.connections >= cap:
            return False
        client.connections += 1
        return True

    def disconnect(self, ip: str) -> None:
        """Release a connection counted by `connect`."""
        if self.policy.max_connections_per_ip <= 0 or self.trusted(ip):
            return
        client = self._clients.get(client_key(ip))
        if client is not None and client.connections > 0:
            client.connections -= 1
