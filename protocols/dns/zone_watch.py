"""TLDs added while `registry serve` runs (`registry tld add`): the supervisor, which owns
the Knot primary, looks at the TLDs in the database every [dns] tld_poll_interval and adds
a zone for each new one to the running Knot (knot.conf rewritten, `knotc reload`: the
catalog zone lists it at once, so catalog consumers among the secondaries serve it too).
The publisher leads the new TLD as soon as the primary serves it. A failure is logged and
tried again at the next look."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from protocols.config import Config
from protocols.dns.knot import KnotServer
from protocols.dns.primary import primary_zones
from registry_core.context import Core

_log = logging.getLogger("registry.dns")


class ZoneWatcher:
    """start() begins looking (on a core `opened` gives it); stop(grace) ends it."""

    def __init__(self, config: Config, knot: KnotServer,
                 opened: Callable[[], AbstractAsyncContextManager[Core]]) -> None:
        self.config, self.knot, self.opened = config, knot, opened
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="dns-zone-watch")

    async def stop(self, grace: float) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, grace)

    async def _run(self) -> None:
        while True:
            try:
                async with self.opened() as core:
                    while True:
                        await asyncio.sleep(self.config.dns.tld_poll_interval)
                        await self.add_new_zones(core)
            except Exception as exc:  # the database or Knot is away: look again later
                _log.warning("looking for new TLDs failed (%s); again in %.0f s", exc,
                             self.config.dns.tld_poll_interval)
                await asyncio.sleep(self.config.dns.tld_poll_interval)

    async def add_new_zones(self, core: Core) -> list[str]:
        """Add a zone for every TLD the primary does not serve yet; the zones added."""
        new = [zone for zone in await primary_zones(self.config, core) if zone not in self.knot.settings.zones]
        for zone in new:
            await self.knot.add_zone(zone)
            _log.info("DNS primary now serves zone %s (a TLD added at run time), listed in the catalog", zone)
        return new
