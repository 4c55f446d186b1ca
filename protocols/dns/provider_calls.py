"""What both provider writers (Route 53, Cloudflare) do around their API calls.

Backing off when the API says "too many requests" (Route 53's Throttling and
PriorRequestNotComplete, Cloudflare's 429): such a call is retried here, waiting twice as
long each time (or as long as the provider asked); any other error goes straight to the
caller, which turns it into a WriterError for the publisher to handle.

Remembering for a while that a zone is served (the publisher asks before leading a TLD and
after a batch failed): providers limit API calls per account (Route 53: five a second), so
a zone found there is not asked for again within `ttl` seconds, unless a change failed since."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

_log = logging.getLogger("registry.dns.publisher")

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 6  # calls of one request while the provider keeps throttling
    first: float = 0.5  # seconds before the second call, doubling
    most: float = 20.0  # seconds, at most, between two calls


async def retrying(call: Callable[[], Awaitable[T]], throttled: Callable[[Exception], float | None],
                   backoff: Backoff, what: str) -> T:
    """The result of `call`, calling again while `throttled(error)` gives a delay (0: ours;
    more: what the provider asked for). The last throttling error is raised as it is."""
    delay = backoff.first
    for attempt in range(1, backoff.attempts + 1):
        try:
            return await call()
        except Exception as exc:
            asked = throttled(exc)
            if asked is None or attempt == backoff.attempts:
                raise
            wait = min(max(asked, delay), backoff.most)
            _log.warning("%s throttled (%s); call %d in %.1f s", what, exc, attempt + 1, wait)
            await asyncio.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")


class ServedZones:
    """TLDs whose zone the provider was seen to serve, and when."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self.seen: dict[str, float] = {}

    def known(self, tld: str) -> bool:
        return time.monotonic() - self.seen.get(tld, float("-inf")) < self.ttl

    def found(self, tld: str) -> None:
        self.seen[tld] = time.monotonic()

    def forget(self, tld: str) -> None:
        self.seen.pop(tld, None)
