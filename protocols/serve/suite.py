"""Composition root of one serving process: open the core, start EPP, WHOIS and RDAP on
this process's event loop (on the listening sockets the supervisor hands down), run the
periodic jobs, wait for the stop signal, drain, stop in reverse order.

`registry serve` runs a supervisor (protocols.serve.supervisor) that starts N of these processes;
one of them also runs the lifecycle runner, the notification dispatcher and, with [dns]
enabled, the DNS publisher (all safe to run twice, but once is enough)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from protocols.config import Config
from protocols.dns.publishing import start_publisher
from protocols.epp.server import EppServer
from protocols.escrow.deposits import escrow_settings, run_escrow_forever
from protocols.net.limits import LimitStore
from protocols.notify.retention import run_pruning_forever
from protocols.notify.running import start_dispatcher
from protocols.serve.activity import flush_once, run_activity_flush_forever
from protocols.serve.checkpoints import audit_signer, run_checkpoints_forever
from protocols.serve.feed_matches import run_feed_matches_forever
from protocols.serve.heap import settle_heap
from protocols.serve.metrics import LifecycleWatch, Sampler
from protocols.serve.runtime import open_cores
from registry_core.context import Core
from registry_core.services.lifecycle import run_lifecycle_forever

_log = logging.getLogger("registry.suite")
Listening = Mapping[str, socket.socket]  # service name ("epp", "whois", "rdap") -> listening socket


class Server(Protocol):
    async def stop(self, grace: float) -> None: ...


async def start_servers(config: Config, core: Core, listening: Listening | None = None, *,
                        read_core: Core | None = None, limits: LimitStore | None = None) -> list[tuple[str, Server]]:
    """Start every enabled listener (on the given sockets, else binding their own), counting
    their limits in `limits` (default: each in this process); the caller stops them in reverse order."""
    sockets = listening or {}
    started: list[tuple[str, Server]] = []
    if config.epp.enabled:
        epp = EppServer(config, core, limits=limits)
        await epp.start(sockets.get("epp"))
        started.append((f"EPP {config.epp.host}:{epp.port} (TLS)", epp))
    if config.whois.enabled:
        from protocols.whois.server import start_whois

        whois: Any = await start_whois(config, read_core or core, sockets.get("whois"), limits)
        started.append((f"WHOIS {config.whois.host}:{whois.port}", whois))
    if config.rdap.enabled:
        from protocols.rdap.app import start_rdap

        rdap: Any = await start_rdap(config, read_core or core, sockets.get("rdap"), limits, write_core=core)
        started.append((f"RDAP http://{config.rdap.host}:{rdap.port}/", rdap))
    for kind, section, label in (("admin", config.admin, "admin"), ("console", config.console, "registrar")):
        if section.enabled:
            from protocols.web.server import start_web

            console: Any = await start_web(kind, config, core, sockets.get(kind))
            started.append((f"{label} console http://{section.host}:{console.port}/", console))
    return started


def _jobs(config: Config, cores: tuple[Core, Core], servers: list[tuple[str, Server]],
          lifecycle: bool) -> list[asyncio.Task]:
    """The process's background tasks: the gauge sampler, the activity counts' flush, and (if
    asked) the lifecycle runner and the audit checkpoints, the daily threat feed match, the
    outbox retention, and the escrow deposits once [escrow] has its keys."""
    core, read_core = cores
    epp = next((server for _label, server in servers if isinstance(server, EppServer)), None)
    watch = LifecycleWatch() if lifecycle else None
    pools = {"primary": core.db.pool, **({"replica": read_core.db.pool} if read_core is not core else {})}
    sampler = Sampler((lambda: len(epp.connections)) if epp is not None else None, pools, watch)
    jobs = [asyncio.create_task(sampler.run_forever()), asyncio.create_task(run_activity_flush_forever(core))]
    if watch is not None:
        jobs.append(asyncio.create_task(run_lifecycle_forever(core, config.registry.lifecycle_interval_seconds,
                                                              on_pass=watch.passed)))
        if config.audit.checkpoint_interval:
            jobs.append(asyncio.create_task(run_checkpoints_forever(core, audit_signer(config),
                                                                    config.audit.checkpoint_interval)))
        jobs.append(asyncio.create_task(run_feed_matches_forever(core)))
        if config.notify.keep_days:
            jobs.append(asyncio.create_task(run_pruning_forever(core, config.notify.keep_days)))
        escrow = escrow_settings(config)
        if config.escrow.interval and escrow.keys is not None:
            jobs.append(asyncio.create_task(run_escrow_forever(core, escrow, config.escrow.interval)))
    return jobs


async def serve_process(config: Config, listening: Listening | None, stop: asyncio.Event, *,
                        lifecycle: bool = True, ready: Callable[[list[str]], None] | None = None,
                        limits: LimitStore | None = None) -> int:
    """Serve until `stop` is set, then drain: stop accepting, let commands in flight finish
    (within epp.shutdown_grace), close the pool last. `ready` gets the listener labels."""
    async with open_cores(config) as (core, read_core):
        servers = await start_servers(config, core, listening, read_core=read_core, limits=limits)
        jobs = _jobs(config, (core, read_core), servers, lifecycle)
        publisher = await start_publisher(config, core) if lifecycle else None  # one worker is enough
        dispatcher = await start_dispatcher(config, core) if lifecycle else None  # `registry notify run` adds more
        settle_heap()
        if ready is not None:
            ready([label for label, _server in servers])
        await stop.wait()
        _log.info("stopping: draining sessions")
        if dispatcher is not None:
            await dispatcher.stop(config.epp.shutdown_grace)
        if publisher is not None:
            await publisher.stop(config.epp.shutdown_grace)
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        for _label, server in reversed(servers):
            await server.stop(config.epp.shutdown_grace)
        await flush_once(core)  # what the drained sessions answered last
    return 0
