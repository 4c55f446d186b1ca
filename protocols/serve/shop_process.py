"""The storefront as a child process of the supervisor (when [shop] is enabled, as in
`make run`): started once the workers are ready (its connectors log in over EPP at once),
handed the node's database URL, stopped first at shutdown (its sessions log out while the
EPP listener still answers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

from protocols.config import Config

_log = logging.getLogger("registry.shop")


def shop_settings_path(config: Config) -> Path:
    return Path(config.shop.config) if config.shop.config else Path(config.paths.var) / "storefront.toml"


async def start_shop(config: Config) -> asyncio.subprocess.Process | None:
    if not config.shop.enabled:
        return None
    settings = shop_settings_path(config)
    if not await asyncio.to_thread(settings.is_file):
        _log.error("[shop] is enabled but %s does not exist (`registry demo` writes one); not starting it", settings)
        return None
    env = {**os.environ, "STOREFRONT_DATABASE_URL": config.database.url}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "storefront.serve", "--config",
                                                   str(settings), env=env)
    _log.info("storefront started (pid %d) with %s", process.pid, settings)
    return process


async def stop_shop(process: asyncio.subprocess.Process | None, grace: float = 10.0) -> None:
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        _log.warning("storefront did not stop within %.0f s; killing it", grace)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
