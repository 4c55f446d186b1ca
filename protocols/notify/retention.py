"""Outbox retention: `registry serve` (the worker that runs the lifecycle) forgets finished
notifications older than [notify] keep_days, once an hour, so the outbox and its delivery
history do not grow without end."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from registry_core.context import Core
from registry_core.errors import DatabaseUnavailable
from registry_core.services import notifications

_log = logging.getLogger("registry.notify")
PRUNE_INTERVAL = 3600.0  # seconds between two passes


async def run_pruning_forever(core: Core, keep_days: int, interval: float = PRUNE_INTERVAL) -> None:
    """A pass now, then one every `interval` seconds; an outage waits for the next pass."""
    keep = timedelta(days=keep_days)
    while True:
        try:
            pruned = await notifications.prune_notifications(core, keep)
            if pruned:
                _log.info("outbox retention: %d finished notification events older than %d days deleted",
                          pruned, keep_days)
        except DatabaseUnavailable as exc:
            _log.warning("outbox retention skipped: %s", exc)
        await asyncio.sleep(interval)
