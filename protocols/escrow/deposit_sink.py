"""The deposit writer behind the core's DepositSink: every call runs the blocking XML
writer (deposit_xml.py) on one thread of its own, so the event loop never waits on the
file and lxml only ever sees that thread. The core reads the next batch from its cursor
while the thread writes the last one at most (one call in flight)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from protocols.escrow.deposit_xml import DepositXmlFile
from registry_core.model.escrow import DepositCounts, DepositPlan


class ThreadedDepositSink:
    def __init__(self, path: Path) -> None:
        self.file = DepositXmlFile(path)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rde-writer")

    async def _run(self, fn: Any, *args: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def begin(self, plan: DepositPlan, menu: tuple[str, ...]) -> None:
        await self._run(self.file.begin, plan, menu)

    async def write(self, items: list[Any]) -> None:
        await self._run(self.file.write, items)

    async def end(self, tld: str, counts: DepositCounts) -> None:
        try:
            await self._run(self.file.end, tld, counts)
        finally:
            self._thread.shutdown(wait=False)

    async def abort(self) -> None:
        await self._run(self.file.abort)
        self._thread.shutdown(wait=False)
