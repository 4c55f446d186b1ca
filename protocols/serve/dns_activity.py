"""The DNS part of ICANN's monthly activity counts: the supervisor (which runs the Knot
primary) reads each zone's query counters every FLUSH_INTERVAL seconds and appends what
they added to the activity counts, as the workers do for EPP, WHOIS and RDAP. Counts are
the primary's own: secondaries (NSD, BIND) keep theirs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from protocols.dns.knot import KnotError, KnotServer
from protocols.dns.knot_stats import QueryCountDeltas
from protocols.net.activity import ActivityCounter
from protocols.serve.activity import FLUSH_INTERVAL, flush_once
from registry_core.context import Core

_log = logging.getLogger("registry.activity")


async def read_query_counts(knot: KnotServer, deltas: QueryCountDeltas, counter: ActivityCounter) -> None:
    """Add what every zone's counters grew by since the last reading (TLD = zone name)."""
    for zone in knot.settings.zones:
        try:
            counts = await knot.zone_query_counts(zone)
        except KnotError as exc:
            _log.warning("DNS query counts of %s not read: %s", zone, exc)
            continue
        for field, added in deltas.add(zone, counts).items():
            counter.add(zone.rstrip(".").lower(), None, field, added)


async def run_dns_counts_forever(knot: KnotServer, open_core: Callable[[], AbstractAsyncContextManager[Core]],
                                 interval: float = FLUSH_INTERVAL) -> None:
    deltas, counter = QueryCountDeltas(), ActivityCounter()
    async with open_core() as core:
        try:
            while True:
                await asyncio.sleep(interval)
                await read_query_counts(knot, deltas, counter)
                await flush_once(core, counter)
        finally:  # at shutdown: the last reading too
            with contextlib.suppress(Exception):
                await asyncio.shield(read_query_counts(knot, deltas, counter))
            await asyncio.shield(flush_once(core, counter))
