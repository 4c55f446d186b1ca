"""The full-render writer, for bootstrap and disaster recovery: the whole zone streamed
from a database cursor into a master file next to the primary's zone file (SOA, apex,
delegations, DS, glue, in owner order), checked with `kzonecheck` (Debian package knot)
when it is installed, fsynced and renamed over the zone file, then `knotc zone-reload`.
Knot applies the difference to the served zone, signs it and sends IXFRs (the dns
package's knot_conf explains `zonefile-load: difference`); the file's serial is therefore
above the one Knot serves.

The delete guard applies as to a batch: a render that would remove more than the allowed
share of the published delegations, or empty the zone, is refused. After the reload every
owner is marked for publication, so the published state catches up through the normal path
(each UPDATE then finds its records already there)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from protocols.dns.zone_text import master_text
from registry_core.context import Core
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import DeleteGuard, guard_refusal
from registry_core.services import dns_publication, dns_zone

CHECK_TIMEOUT = 120.0  # seconds kzonecheck may take on a large zone
BULK_GC_THRESHOLD = 50_000  # container objects allocated (net) between cyclic collections while streaming a zone
_bulk_depth = 0


class ZoneFileError(Exception):
    pass


@dataclass(frozen=True)
class RenderReport:
    path: Path
    serial: int
    delegations: int
    checked: bool  # kzonecheck ran and passed


def next_serial(served: int | None, now: float) -> int:
    """Above the served serial, and the Unix time when that is larger (Knot's unixtime policy)."""
    return max((served or 0) + 1, int(now)) % 2**32


class ZoneFileWriter:
    def __init__(self, core: Core, zone_file: Callable[[str], Path], reload: Callable[[str], Awaitable[None]],
                 served_serial: Callable[[str], Awaitable[int | None]], *, apex_nameservers: tuple[str, ...] = (),
                 kzonecheck: str | None = None) -> None:
        self.core, self.zone_file, self.reload, self.served_serial = core, zone_file, reload, served_serial
        self.apex_nameservers = apex_nameservers
        self.kzonecheck = kzonecheck or shutil.which("kzonecheck") or shutil.which("kzonecheck", path="/usr/sbin")

    async def publish(self, tld: str, *, accept_deletes: bool = False) -> RenderReport:
        serial = next_serial(await self.served_serial(tld), time.time())
        path = self.zone_file(tld)
        temporary = path.with_name(path.name + ".new")
        delegations = await self.render(tld, temporary, serial)
        try:
            await self._guard(tld, delegations, accept_deletes)
            checked = await self._check(tld, temporary)
            await asyncio.to_thread(os.replace, temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        await self.reload(tld)
        await dns_publication.request_full_publication(self.core, tld)
        return RenderReport(path, serial, delegations, checked)

    async def render(self, tld: str, path: Path, serial: int) -> int:
        """Write the whole zone with `serial` to `path` (fsynced); the number of delegations."""
        out = await asyncio.to_thread(_open, path)
        try:
            async def sink(rrsets: tuple[RRset, ...]) -> None:
                out.write(master_text(rrsets))
            with bulk_gc():
                delegations = await dns_zone.stream_zone(self.core, tld, sink, serial=serial,
                                                         apex_nameservers=self.apex_nameservers)
            await asyncio.to_thread(_sync, out)
        finally:
            out.close()
        return delegations

    async def _guard(self, tld: str, delegations: int, accept_deletes: bool) -> None:
        if accept_deletes:
            return
        settings = await dns_zone.zone_settings(self.core, tld)
        published = (await dns_publication.zone_status(self.core, tld))["delegations"]
        refusal = guard_refusal(DeleteGuard(settings.max_delete_share, settings.delete_floor), published,
                                max(published - delegations, 0), delegations)
        if refusal:
            raise ZoneFileError(f"full render of {tld} refused by the delete guard: {refusal}")

    async def _check(self, tld: str, path: Path) -> bool:
        if self.kzonecheck is None:
            return False
        process = await asyncio.create_subprocess_exec(
            self.kzonecheck, "-o", tld.rstrip(".") + ".", str(path), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), CHECK_TIMEOUT)
        if process.returncode != 0:
            raise ZoneFileError(f"kzonecheck refused the render of {tld}: {out.decode(errors='replace')[-2000:]}")
        return True


@contextlib.contextmanager
def bulk_gc() -> Iterator[None]:
    """Fewer cyclic garbage collections while a whole zone streams through: each chunk of
    rows keeps thousands of objects alive at once, so at the default first threshold (700)
    a million-domain render ran some 8,000 collections, 70 of them full ones, a third of
    its CPU time. Nothing of a render is cyclic; other tasks of the process just wait a
    little longer for their next collection. Nested or concurrent uses share one change."""
    global _bulk_depth
    first = gc.get_threshold()
    if _bulk_depth == 0:
        gc.set_threshold(max(first[0], BULK_GC_THRESHOLD), *first[1:])
    _bulk_depth += 1
    try:
        yield
    finally:
        _bulk_depth -= 1
        if _bulk_depth == 0:
            gc.set_threshold(*first)


def _open(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="ascii", buffering=1 << 20)


def _sync(out: IO[str]) -> None:
    out.flush()
    os.fsync(out.fileno())
