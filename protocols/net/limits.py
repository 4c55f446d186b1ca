"""Per-IP limits for the listeners (WHOIS port 43, RDAP, EPP connections), so that one
scraper cannot starve the rest: a token bucket per client for the request rate, and a cap
on concurrent connections per client. Addresses in the allowlist bypass both. And the EPP
command rate per registrar (`CommandPacer`): a token bucket that holds a command until its
token is due, or refuses it.

A client is one IPv4 address, or one IPv6 /64 (a single host usually owns a whole /64, so
counting its addresses one by one would give it 2**64 budgets). A rate of 0 or a cap of
0 switches that limit off. State is bounded: when more than `max_tracked` clients are
known, the idle ones (full bucket, no connection) are forgotten."""

from __future__ import annotations

import asyncio
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


class RateBuckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` saved up. A rate of
    0 switches it off. Keys with a full bucket are forgotten past `max_tracked` keys."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = 10_000) -> None:
        self.rate, self.burst = rate, float(max(1, burst))
        self._clock = clock
        self._max_tracked = max_tracked
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)

    def reserve(self, key: str, max_wait: float) -> tuple[bool, float]:
        """Take the next token of `key`: (True, seconds until it is due; 0.0 when it is there
        now), or (False, seconds until one is due) when that is longer than `max_wait`, and
        nothing is taken. Tokens reserved ahead make later callers wait behind them."""
        if self.rate <= 0:
            return True, 0.0
        now = self._clock()
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        wait = max(0.0, (1.0 - tokens) / self.rate)
        if wait > max_wait:
            self._store(key, tokens, now)
            return False, wait
        self._store(key, tokens - 1.0, now)
        return True, wait

    def _store(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self._max_tracked:
            self._buckets = {k: (t, s) for k, (t, s) in self._buckets.items()
                             if t + (now - s) * self.rate < self.burst}
        self._buckets[key] = (tokens, now)


class CommandPacer:
    """The EPP command rate per registrar. "delay" holds a command until its token is due
    (at most `max_delay` seconds, else it is refused); "refuse" answers at once."""

    def __init__(self, rate: float, burst: int, action: str = "delay", max_delay: float = 5.0, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.buckets = RateBuckets(rate, burst, clock=clock)
        self.max_wait = max_delay if action == "delay" else 0.0

    async def admit(self, registrar_id: str) -> float:
        """0.0 once the command may run (after waiting for its token when delaying); else
        the seconds after which the registrar may try again."""
        admitted, wait = self.buckets.reserve(registrar_id, self.max_wait)
        if not admitted:
            return wait
        if wait > 0:
            await asyncio.sleep(wait)
        return 0.0
