"""The serving process's activity counts (protocols/net/activity.py) go to the database
every FLUSH_INTERVAL seconds as one batch, and once more when the process stops; a batch
the database did not take is kept and tried again with the next."""

from __future__ import annotations

import asyncio
import logging

from protocols.net.activity import COUNTS, ActivityCounter
from registry_core.context import Core
from registry_core.errors import CoreError
from registry_core.services.icann_reports import flush_activity

_log = logging.getLogger("registry.activity")
FLUSH_INTERVAL = 10.0


async def flush_once(core: Core, counter: ActivityCounter = COUNTS) -> None:
    taken = counter.take()
    try:
        await flush_activity(core, taken)
    except CoreError as exc:  # an outage: counted again, written with the next batch
        counter.give_back(taken)
        _log.warning("activity counts not written (kept for the next flush): %s", exc)


async def run_activity_flush_forever(core: Core, interval: float = FLUSH_INTERVAL,
                                     counter: ActivityCounter = COUNTS) -> None:
    try:
        while True:
            await asyncio.sleep(interval)
            await flush_once(core, counter)
    finally:  # cancelled at shutdown: what was counted since the last flush is written too
        await asyncio.shield(flush_once(core, counter))
