"""One worker process of `registry serve` (started by protocols.serve.supervisor as
`python -m protocols.cli serve --worker`): it reads its plan as one JSON line on stdin (the
loaded config with the resolved DSN, its socket descriptors, whether it runs the lifecycle
runner), serves on its own event loop, says it is ready on a pipe, and drains on SIGTERM,
SIGINT or when the supervisor's end of stdin closes (so no worker outlives its supervisor)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

from protocols.config import Config, config_from_mapping
from protocols.net.limit_redis import RedisStore
from protocols.net.limit_table import NodeStore, NodeTable
from protocols.net.limits import LimitStore
from protocols.serve.listeners import adopt
from protocols.serve.suite import serve_process

_log = logging.getLogger("registry.workers")
READY = b"ready"

class _ParentWatch(asyncio.Protocol):
    """Calls `gone` when the supervisor's end of our stdin closes (it exited or died)."""

    def __init__(self, gone: Any) -> None:
        self.gone = gone

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone()


def _read_plan() -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 65536)
        if not chunk:
            raise SystemExit("registry worker: no plan on stdin (it is started by `registry serve`)")
        data += chunk
    plan: dict[str, Any] = json.loads(data)
    return plan


async def run_worker() -> int:
    """A worker process: read the plan from stdin, serve until SIGTERM/SIGINT or until the
    supervisor is gone, then drain."""
    plan = _read_plan()
    config = config_from_mapping(plan["config"])
    listening = {name: adopt(int(fd)) for name, fd in plan["fds"].items()}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await loop.connect_read_pipe(lambda: _ParentWatch(stop.set), os.fdopen(0, "rb", buffering=0))
    ready_fd = int(plan["ready_fd"])

    def ready(labels: list[str]) -> None:
        os.write(ready_fd, READY + json.dumps(labels).encode() + b"\n")
        os.close(ready_fd)

    _log.info("worker %d (pid %d) starting", plan["index"], os.getpid())
    async with open_limits(config, NodeTable.adopt(int(plan["limits_fd"])), int(plan["index"])) as limits:
        return await serve_process(config, listening, stop, lifecycle=bool(plan["lifecycle"]), ready=ready,
                                   limits=limits)


@contextlib.asynccontextmanager
async def open_limits(config: Config, table: NodeTable, slot: int) -> AsyncIterator[LimitStore]:
    """The node's limit table (made by the supervisor), behind Redis when `[redis] url` is set;
    which one is in effect goes to this slot's status line, for /readyz."""
    node = NodeStore(table, slot)
    try:
        if not config.redis.url:
            table.set_status(slot, node.describe())
            yield node
            return
        shared = RedisStore(config.redis, node, on_change=lambda text: table.set_status(slot, text))
        await shared.start()
        try:
            yield shared
        finally:
            await shared.stop(config.epp.shutdown_grace)
    finally:
        table.close()


def worker_command(flags: list[str]) -> list[str]:
    """How the supervisor starts a worker: this interpreter, the CLI, the same global flags."""
    return [sys.executable, "-m", "protocols.cli", *flags, "serve", "--worker"]
