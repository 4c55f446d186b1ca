"""Backing off when a DNS provider's API says "too many requests" (Route 53's Throttling and
PriorRequestNotComplete, Cloudflare's 429): the provider writers retry such a call here,
waiting twice as long each time (or as long as the provider asked); any other error goes
straight to the caller, which turns it into a WriterError for the publisher to handle."""

from __future__ import annotations

import asyncio
import logging
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
