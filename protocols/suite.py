"""Composition root: load config once, open the core, start the protocol servers on one
event loop, wait for a signal, drain, stop in reverse order."""

from __future__ import annotations

from protocols.config import Config
from protocols.runtime import open_core


async def serve(config: Config) -> int:
    async with open_core(config):
        print("registry core is set up (database migrated); protocol servers are not built yet")
    return 0
