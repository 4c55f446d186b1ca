"""Composition root: load config once, open the core, start the protocol servers on one
event loop, run the periodic jobs, wait for a signal, drain, stop in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, Protocol

from protocols.config import Config
from protocols.epp.server import EppServer
from protocols.runtime import open_cores
from registry_core.context import Core
from registry_core.services.lifecycle import run_lifecycle_forever

_log = logging.getLogger("registry.suite")


class Server(Protocol):
    async def stop(self, grace: float) -> None: ...


async def start_servers(config: Config, core: Core, *, read_core: Core | None = None) -> list[tuple[str, Server]]:
    """Start every enabled listener; the caller stops them in reverse order."""
    started: list[tuple[str, Server]] = []
    if config.epp.enabled:
        epp = EppServer(config, core)
        await epp.start()
        started.append((f"EPP {config.epp.host}:{epp.port} (TLS)", epp))
    if config.whois.enabled:
        from protocols.whois.server import start_whois

        whois: Any = await start_whois(config, read_core or core)
        started.append((f"WHOIS {config.whois.host}:{whois.port}", whois))
    if config.rdap.enabled:
        from protocols.rdap.app import start_rdap

        rdap: Any = await start_rdap(config, read_core or core)
        started.append((f"RDAP http://{config.rdap.host}:{rdap.port}/", rdap))
    return started




async def serve(config: Config) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_cores(config) as (core, read_core):
        servers = await start_servers(config, core, read_core=read_core)
        for label, _server in servers:
            print(f"serving {label}", flush=True)
        jobs = asyncio.create_task(run_lifecycle_forever(core, config.registry.lifecycle_interval_seconds))
        await stop.wait()
        print("stopping: draining sessions", flush=True)
        jobs.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await jobs
        for _label, server in reversed(servers):
            await server.stop(config.epp.shutdown_grace)
    return 0
