"""`registry serve`'s daily match of the threat feeds against every delegated domain
(services/abuse.match_feeds): each new match opens an abuse case."""

from __future__ import annotations

import asyncio
import logging

from registry_core.context import Core
from registry_core.errors import DatabaseUnavailable
from registry_core.services import abuse

_log = logging.getLogger("registry.abuse")
MATCH_INTERVAL = 86400.0


async def run_feed_matches_forever(core: Core, interval: float = MATCH_INTERVAL) -> None:
    while True:
        try:
            opened = await abuse.match_feeds(core)
            if opened:
                _log.warning("threat feeds: %d new abuse cases (registry abuse cases)", len(opened))
        except DatabaseUnavailable as exc:
            _log.warning("threat feed match skipped: %s", exc)
        await asyncio.sleep(interval)
