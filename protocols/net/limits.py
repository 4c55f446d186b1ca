"""Limits for the listeners, so that one scraper or one registrar cannot starve the rest:
per-IP request rates (token buckets) and connection caps on WHOIS port 43, RDAP and EPP,
and per registrar the EPP command rate (`CommandPacer`) and the session cap.

The counting lives in a limit store (`LimitStore`), so that a configured value means what it
says for the whole node and, with Redis, for every node:
- `ProcessStore` (here): this process only; what servers started directly use.
- `protocols.net.limit_table.NodeStore`: an mmap'd table shared by the workers of one
  `registry serve` (the supervisor creates it and clears a dead worker's counts).
- `protocols.net.limit_redis.RedisStore`: across nodes, falling back to the node store while
  Redis is unreachable (never refusing traffic because of it).
A store has two kinds of state: token buckets (`reserve`: take the next token, reserving ahead,
so a caller told to wait queues later callers behind it) and counted leases (`acquire` under
a cap, `Lease.release`) for connections and sessions.

A client is one IPv4 address, or one IPv6 /64 (a single host usually owns a whole /64, so
counting its addresses one by one would give it 2**64 budgets). A rate of 0 or a cap of
0 switches that limit off. Addresses in the allowlist bypass the per-IP limits."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LimitPolicy:
    rate_per_second: float
    burst: int
    max_connections_per_ip: int
    allowlist: tuple[str, ...] = ()


class Lease:
    """One counted place (a connection, a session) under a cap; `release` gives it back once."""

    __slots__ = ("key", "_release")

    def __init__(self, key: str, release: Callable[[], None]) -> None:
        self.key = key
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()


class LimitStore(Protocol):
    @property
    def immediate(self) -> bool:
        """Whether `acquire_now` may be called: the store answers without a network round trip."""
        ...

    def acquire_now(self, key: str, cap: int) -> Lease | None:
        """`acquire` without awaiting (only while `immediate`)."""
        ...

    def describe(self) -> str:
        """Which store is in effect, in a few words (shown in /readyz)."""
        ...

    async def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        """Take the next token of `key`: (True, seconds until it is due, 0.0 when it is there now),
        or (False, seconds until one is due) when that is longer than `max_wait`; then nothing
        is taken. `rate` > 0 tokens a second, at most `burst` saved up."""
        ...

    async def acquire(self, key: str, cap: int) -> Lease | None:
        """A place under `cap` (> 0) for `key`, or None when all `cap` are taken."""
        ...


def refill(tokens: float, stamp: float, now: float, rate: float, burst: float,
           max_wait: float) -> tuple[bool, float, float]:
    """The token bucket step every store runs (the Redis one in Lua): (admitted, wait, tokens
    left). Tokens may go negative: those are reserved ahead by callers who wait for them."""
    tokens = min(burst, tokens + max(0.0, now - stamp) * rate)
    wait = max(0.0, (1.0 - tokens) / rate)
    if wait > max_wait:
        return False, wait, tokens
    return True, wait, tokens - 1.0


class ProcessStore:
    """Buckets and counts in this process's memory. Past `max_tracked` keys, the idle ones
    (full bucket, no lease) are forgotten."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_tracked: int = 100_000) -> None:
        self._clock = clock
        self._max_tracked = max_tracked
        self.buckets: dict[str, tuple[float, float, float]] = {}  # key -> (tokens, stamp, full at)
        self.counts: dict[str, int] = {}

    immediate = True

    def describe(self) -> str:
        return "process"

    def reserve_now(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        now = self._clock()
        tokens, stamp, _full = self.buckets.get(key, (burst, now, now))
        admitted, wait, tokens = refill(tokens, stamp, now, rate, burst, max_wait)
        if key not in self.buckets and len(self.buckets) >= self._max_tracked:
            self.buckets = {k: v for k, v in self.buckets.items() if v[2] > now}
        self.buckets[key] = (tokens, now, now + (burst - tokens) / rate)
        return admitted, wait

    async def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        return self.reserve_now(key, rate, burst, max_wait)

    def acquire_now(self, key: str, cap: int) -> Lease | None:
        held = self.counts.get(key, 0)
        if held >= cap:
            return None
        self.counts[key] = held + 1
        return Lease(key, lambda: self._drop(key))

    async def acquire(self, key: str, cap: int) -> Lease | None:
        return self.acquire_now(key, cap)

    def _drop(self, key: str) -> None:
        left = self.counts.get(key, 0) - 1
        if left > 0:
            self.counts[key] = left
        else:
            self.counts.pop(key, None)


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
    """The per-IP limits of one listener (`scope`: "whois", "rdap", "epp"), in `store`."""

    def __init__(self, policy: LimitPolicy, *, store: LimitStore | None = None, scope: str = "ip",
                 clock: Callable[[], float] = time.monotonic, max_tracked: int = 100_000) -> None:
        self.policy = policy
        self.store: LimitStore = store or ProcessStore(clock=clock, max_tracked=max_tracked)
        self._scope = scope
        self._max_tracked = max_tracked
        self._networks = [ipaddress.ip_network(n, strict=False) for n in policy.allowlist]
        self._trusted: dict[str, bool] = {}
        self._keys: dict[str, str] = {}
        self._leases: dict[str, list[Lease]] = {}  # ip -> the connections this process counted

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

    def _key(self, ip: str) -> str:
        key = self._keys.get(ip)
        if key is None:
            if len(self._keys) >= self._max_tracked:
                self._keys.clear()
            key = self._keys[ip] = client_key(ip)
        return key

    async def take(self, ip: str) -> float:
        """Spend one request token: 0.0 when allowed, else the seconds until one is due."""
        rate = self.policy.rate_per_second
        if rate <= 0 or self.trusted(ip):
            return 0.0
        _admitted, wait = await self.store.reserve(f"{self._scope}:rate:{self._key(ip)}", rate,
                                                   float(max(1, self.policy.burst)), 0.0)
        return wait

    def counts_connections(self, ip: str) -> bool:
        """Whether connections from `ip` are counted at all (a cap is set, not allowlisted)."""
        return self.policy.max_connections_per_ip > 0 and not self.trusted(ip)

    async def connect(self, ip: str) -> bool:
        """Count a new connection; False (and not counted) when the client is at its cap."""
        if not self.counts_connections(ip):
            return True
        return self._kept(ip, await self.store.acquire(self._connections(ip), self.policy.max_connections_per_ip))

    def connect_now(self, ip: str) -> bool | None:
        """`connect` decided at once; None when the store must be asked over the network."""
        if not self.counts_connections(ip):
            return True
        if not self.store.immediate:
            return None
        return self._kept(ip, self.store.acquire_now(self._connections(ip), self.policy.max_connections_per_ip))

    def _connections(self, ip: str) -> str:
        return f"{self._scope}:conn:{self._key(ip)}"

    def _kept(self, ip: str, lease: Lease | None) -> bool:
        if lease is None:
            return False
        self._leases.setdefault(ip, []).append(lease)
        return True

    def disconnect(self, ip: str) -> None:
        """Release a connection counted by `connect`."""
        held = self._leases.get(ip)
        if not held:
            return
        held.pop().release()
        if not held:
            del self._leases[ip]


class RateBuckets:
    """One token bucket per key in this process: `rate` tokens a second, at most `burst`
    saved up. A rate of 0 switches it off."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = 10_000) -> None:
        self.rate, self.burst = rate, float(max(1, burst))
        self._store = ProcessStore(clock=clock, max_tracked=max_tracked)

    def reserve(self, key: str, max_wait: float) -> tuple[bool, float]:
        """See `LimitStore.reserve`."""
        if self.rate <= 0:
            return True, 0.0
        return self._store.reserve_now(key, self.rate, self.burst, max_wait)


class CommandPacer:
    """The EPP command rate per registrar. "delay" holds a command until its token is due
    (at most `max_delay` seconds, else it is refused); "refuse" answers at once."""

    def __init__(self, rate: float, burst: int, action: str = "delay", max_delay: float = 5.0, *,
                 store: LimitStore | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, float(max(1, burst))
        self.store: LimitStore = store or ProcessStore(clock=clock, max_tracked=10_000)
        self.max_wait = max_delay if action == "delay" else 0.0

    async def admit(self, registrar_id: str) -> float:
        """0.0 once the command may run (after waiting for its token when delaying); else
        the seconds after which the registrar may try again."""
        if self.rate <= 0:
            return 0.0
        admitted, wait = await self.store.reserve(f"epp:commands:{registrar_id}", self.rate, self.burst,
                                                  self.max_wait)
        if not admitted:
            return wait
        if wait > 0:
            await asyncio.sleep(wait)
        return 0.0
