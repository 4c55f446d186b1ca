"""The limit store shared by every node that names the same `[redis] url`.

Token buckets are Redis hashes updated by one Lua script (atomic; the time is Redis's own
`TIME`, so nodes with skewed clocks agree; each key expires once its bucket would be full
again). Leases (connections, sessions) are sorted sets: one member per lease, scored by its
expiry; this node refreshes its members by a heartbeat every lease_ttl/3, so the leases of a
node that died expire within lease_ttl, and a Redis that restarted empty gets them back at
the next beat. Scripts are sent once and then called by SHA (EVALSHA, reloaded on NOSCRIPT).

A pooled connection that broke (Redis restarted) is retried once on a new one; past that,
on any Redis error or timeout the store switches to its fallback (the node store), says so
once in the log and in `describe()` (shown in /readyz), retries Redis in the background with
a growing delay, and switches back (saying so once) when Redis answers. Traffic is never
refused because Redis is down. A lease taken in one store is given back to the same store;
leases a node holds in Redis while it is unreachable expire there by themselves. A single
Redis (or a primary with replicas) is expected, not Redis Cluster: a heartbeat touches many
keys in one script."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from protocols.config import RedisConfig, redacted_url
from protocols.net.limits import Lease, LimitStore

_log = logging.getLogger("registry.limits")
FAILURES = (RedisError, OSError, TimeoutError)
HEARTBEAT_CHUNK = 256  # leases refreshed per script call

_NOW_MS = """local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] bucket; ARGV rate (tokens/s), burst, max_wait (s) -> {admitted 0|1, wait as text}
BUCKET_SCRIPT = _NOW_MS + """
local rate, burst, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 's')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil or stamp == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) / 1000 * rate)
local wait = math.max(0, (1 - tokens) / rate)
local admitted = 0
if wait <= max_wait then
  tokens = tokens - 1
  admitted = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {admitted, tostring(wait)}
"""

# KEYS[1] lease set; ARGV cap, ttl (ms), member -> 1 taken, 0 all places taken
ACQUIRE_SCRIPT = _NOW_MS + """
local cap, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= cap then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""

# KEYS lease sets; ARGV[1] ttl (ms), ARGV[i + 1] the member of KEYS[i] -> how many refreshed
HEARTBEAT_SCRIPT = _NOW_MS + """
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[i + 1])
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return #KEYS
"""


class RedisStore:
    """`LimitStore` in Redis, with `fallback` while Redis is unreachable. `on_change` hears
    `describe()` after every switch."""

    def __init__(self, config: RedisConfig, fallback: LimitStore,
                 on_change: Callable[[str], None] = lambda _text: None) -> None:
        self.config = config
        self.fallback = fallback
        self._on_change = on_change
        self._client = aioredis.Redis.from_url(
            config.url, socket_timeout=config.command_timeout, socket_connect_timeout=config.connect_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)), health_check_interval=0)
        self._bucket = self._client.register_script(BUCKET_SCRIPT)
        self._acquire = self._client.register_script(ACQUIRE_SCRIPT)
        self._heartbeat = self._client.register_script(HEARTBEAT_SCRIPT)
        self._ttl_ms = int(config.lease_ttl * 1000)
        self._node = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._ids = itertools.count(1)
        self._leases: dict[str, str] = {}  # member -> key, the leases this process holds in Redis
        self._tasks: set[asyncio.Task[None]] = set()  # the heartbeat and the reconnection
        self._forgetting: set[asyncio.Task[None]] = set()  # leases given back, on their way to Redis
        self.problem: str | None = None  # None while Redis answers

    @property
    def immediate(self) -> bool:
        """While Redis is down the fallback answers, perhaps at once."""
        return self.problem is not None and self.fallback.immediate

    def acquire_now(self, key: str, cap: int) -> Lease | None:
        return self.fallback.acquire_now(key, cap)

    def describe(self) -> str:
        if self.problem is None:
            return "redis"
        return f"{self.fallback.describe()} (redis unreachable: {self.problem})"

    async def start(self) -> None:
        try:
            async with asyncio.timeout(self.config.connect_timeout + self.config.command_timeout):
                await self._client.ping()
        except FAILURES as exc:
            self._down(exc)
        else:
            self._on_change(self.describe())
        self._spawn(self._beat_forever())

    async def stop(self, grace: float) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._forgetting:
            await asyncio.wait(set(self._forgetting), timeout=max(0.1, min(grace, 2.0)))
        if self.problem is None and self._leases:
            with contextlib.suppress(*FAILURES):
                async with asyncio.timeout(max(0.1, min(grace, 2.0))):
                    await self._forget(list(self._leases.items()))
        await self._client.aclose()

    async def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> tuple[bool, float]:
        if self.problem is None:
            try:
                async with asyncio.timeout(self.config.command_timeout):
                    admitted, wait = await self._bucket(keys=[self._name(key)], args=[rate, burst, max_wait])
                return bool(admitted), float(wait)
            except FAILURES as exc:
                self._down(exc)
        return await self.fallback.reserve(key, rate, burst, max_wait)

    async def acquire(self, key: str, cap: int) -> Lease | None:
        if self.problem is None:
            member = f"{self._node}:{next(self._ids)}"
            try:
                async with asyncio.timeout(self.config.command_timeout):
                    taken = await self._acquire(keys=[self._name(key)], args=[cap, self._ttl_ms, member])
            except FAILURES as exc:
                self._down(exc)
            else:
                if not taken:
                    return None
                self._leases[member] = key
                return Lease(key, lambda: self._release(member))
        return await self.fallback.acquire(key, cap)

    def _name(self, key: str) -> str:
        return self.config.key_prefix + key

    def _release(self, member: str) -> None:
        key = self._leases.pop(member, None)
        if key is not None and self.problem is None:  # while Redis is down it expires there by itself
            self._spawn(self._forget_quietly([(member, key)]), self._forgetting)

    async def _forget_quietly(self, leases: list[tuple[str, str]]) -> None:
        try:
            async with asyncio.timeout(self.config.command_timeout):
                await self._forget(leases)
        except FAILURES as exc:
            self._down(exc)

    async def _forget(self, leases: list[tuple[str, str]]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for member, key in leases:
                pipe.zrem(self._name(key), member)
            await pipe.execute()

    def _down(self, exc: BaseException) -> None:
        if self.problem is not None:
            return
        self.problem = f"{type(exc).__name__}: {exc}"[:100] if str(exc) else type(exc).__name__
        _log.warning("redis %s unreachable (%s); limits are counted by this node alone until it answers",
                     redacted_url(self.config.url), self.problem)
        self._on_change(self.describe())
        self._spawn(self._recover())

    async def _recover(self) -> None:
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(self.config.connect_timeout + self.config.command_timeout):
                    await self._client.ping()
                    await self._refresh()
            except FAILURES:
                delay = min(delay * 2, self.config.retry_max)
                continue
            self.problem = None
            _log.warning("redis %s answers again; limits are shared across nodes again", redacted_url(self.config.url))
            self._on_change(self.describe())
            return

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.lease_ttl / 3)
            if self.problem is None and self._leases:
                try:
                    async with asyncio.timeout(self.config.command_timeout * 4):
                        await self._refresh()
                except FAILURES as exc:
                    self._down(exc)

    async def _refresh(self) -> None:
        """Push the expiry of every lease this process holds (re-adding those Redis lost)."""
        leases = list(self._leases.items())
        for start in range(0, len(leases), HEARTBEAT_CHUNK):
            chunk = leases[start:start + HEARTBEAT_CHUNK]
            await self._heartbeat(keys=[self._name(key) for _member, key in chunk],
                                  args=[self._ttl_ms, *(member for member, _key in chunk)])

    def _spawn(self, job: Coroutine[Any, Any, None], tasks: set[asyncio.Task[None]] | None = None) -> None:
        held = self._tasks if tasks is None else tasks
        task = asyncio.create_task(job)
        held.add(task)
        task.add_done_callback(held.discard)

