"""The deposit writer behind the core's DepositSink: every call runs the blocking XML
writer (deposit_xml.py) on one thread of its own, so the event loop never waits on the
file and lxml only ever sees that thread. The core reads the next batch from its cursor
while the thread writes the last one at most (one call in flight)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from protocols.escrow.deposit_xml import DepositXmlFile
from registry_core.model.escrow import DepositCounts, DepositPlan


class ThreadedDepositSink:
    def __init__(self, path: Path, tee: Callable[[bytes], None] | None = None) -> None:
        self.file = DepositXmlFile(path, tee)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rde-writer")
        self._in_flight: asyncio.Future[None] | None = None

    async def _run(self, fn: Any, *args: Any) -> None:
        await self._drain()
        await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def _drain(self) -> None:
        if self._in_flight is not None:
            pending, self._in_flight = self._in_flight, None
            await pending

    async def begin(self, plan: DepositPlan, menu: tuple[str, ...]) -> None:
        await self._run(self.file.begin, plan, menu)

    async def write(self, items: list[Any]) -> None:
        """Hand the batch over and return: the next batch is read while this one is written
        (a failure of this one surfaces at the next call)."""
        await self._drain()
        self._in_flight = asyncio.get_running_loop().run_in_executor(self._thread, self.file.write, items)

    async def end(self, tld: str, counts: DepositCounts) -> None:
        try:
            await self._run(self.file.end, tld, counts)
        finally:
            self._thread.shutdown(wait=False)

    async def abort(self) -> None:
        with contextlib.suppress(Exception):
            await self._drain()
        await asyncio.get_running_loop().run_in_executor(self._thread, self.file.abort)
        self._thread.shutdown(wait=False)
