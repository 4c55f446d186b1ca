"""The DNS publisher: sends every committed zone change to the hidden primary.

One leader per TLD: the worker holding the TLD's advisory lock on its own database session
(`registry serve` runs one publisher per worker; whichever wins a lock publishes that TLD,
the others wait and take over when the session goes). The leader LISTENs on `dns_change`
and polls every few seconds too, then drains the TLD's change log in batches: what each
changed owner should hold (the zone rules) against what was last published; only the
difference goes through the writer (RFC 2136 UPDATE by default). After the writer has
succeeded, one transaction stores what was sent and deletes the drained change rows whose
seq did not move. A crash anywhere in between loses nothing: the rows are still there and
sending them again changes nothing on the primary.

A failing batch is retried with backoff; when the primary does not serve the zone at all
(down, restarting) the batch stays in the log and waits; otherwise it is split in halves,
down to single owners, which are parked with the error (`registry dns status` shows them; `registry dns publish
TLD --parked` retries). A batch the delete guard refuses holds the TLD until the operator
resumes it. Both are logged as errors and counted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import Counter

from registry_core.context import Core
from registry_core.model.zone import relative
from registry_core.model.zone_diff import OwnerChange
from registry_core.services import dns_publication as publication
from registry_core.services.tlds import list_tlds

_log = logging.getLogger("registry.dns.publisher")

PUBLISHED = Counter("registry_dns_published_owners", "Owner names whose records the publisher sent", ["tld"])
BATCHES = Counter("registry_dns_batches", "Publisher batches by outcome (published, retried, split, parked, "
                  "refused)", ["tld", "outcome"])


class WriterError(Exception):
    """The primary refused or did not answer; the message says which."""


class PrimaryUnavailable(Exception):
    """The primary does not serve the zone right now (down, restarting, zone not loaded):
    the changes stay in the log and are sent when it is back."""


class PublicationWatcher(Protocol):
    def published(self, tld: str, changes: Sequence[tuple[str, datetime]]) -> None:
        """A batch of (owner, commit time) changes is on the primary; must not block."""


class ZoneWriter(Protocol):
    async def apply(self, tld: str, changes: Sequence[OwnerChange]) -> None:
        """Make the primary hold `changes`; WriterError if it did not."""

    async def serves(self, tld: str) -> bool:
        """Whether the primary answers authoritatively for the zone."""


@dataclass(frozen=True)
class PublisherSettings:
    batch_size: int = 500  # owners per batch (N)
    batch_wait: float = 0.05  # seconds to let changes gather after a wake-up (T)
    poll_interval: float = 3.0  # seconds between looks when no NOTIFY arrives
    attempts: int = 3  # sends of one batch before it is split
    backoff: float = 0.2  # seconds before the second attempt, doubling
    reconnect: float = 2.0  # seconds before a lost session is opened again


def split_batch(batch: publication.Batch) -> tuple[publication.Batch, publication.Batch]:
    """Two halves of a batch's changes; the change rows go with their owner (rows without a
    difference go with the first half)."""
    half = len(batch.changes) // 2
    first, second = batch.changes[:half], batch.changes[half:]
    later = {relative(c.owner) for c in second}
    return (replace(batch, changes=first, drained=[d for d in batch.drained if d[0] not in later]),
            replace(batch, changes=second, drained=[d for d in batch.drained if d[0] in later]))


class Publisher:
    """start() begins leading and publishing; stop(grace) lets a batch in flight finish."""

    def __init__(self, core: Core, writer: ZoneWriter, settings: PublisherSettings = PublisherSettings(), *,
                 probe: PublicationWatcher | None = None) -> None:
        self.core, self.writer, self.settings, self.probe = core, writer, settings, probe
        self.led: set[str] = set()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="dns-publisher")

    async def stop(self, grace: float) -> None:
        self.stopping = True
        self.wake.set()
        if self.task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self.task), grace)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        while not self.stopping:
            try:
                await self._lead()
            except Exception as exc:  # a lost session or an outage: leadership is gone with it
                _log.warning("DNS publisher lost its database session (%s); retrying in %.0f s",
                             exc, self.settings.reconnect)
                self.led.clear()
                await asyncio.sleep(self.settings.reconnect)

    def _heard(self, *_args: Any) -> None:
        self.wake.set()

    async def _lead(self) -> None:
        """Lead and publish on a dedicated session until stopping; leadership ends with it."""
        try:
            async with publication.leader_session(self.core, self._heard) as session:
                while not self.stopping:
                    await self._take_leads(session)
                    for tld in sorted(self.led):
                        await self.publish_pending(tld)
                    await self._sleep()
        finally:
            self.led.clear()

    async def _take_leads(self, session: Any) -> None:
        """Lead each TLD the primary serves (a TLD added at run time once the supervisor has
        added its zone) and nobody else leads."""
        for tld in [t.name for t in await list_tlds(self.core)]:
            if tld not in self.led and await self.writer.serves(tld) and await publication.try_lead(session, tld):
                _log.info("DNS publisher leads zone %s", tld)
                self.led.add(tld)

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.settings.poll_interval)
        self.wake.clear()
        if not self.stopping:
            await asyncio.sleep(self.settings.batch_wait)  # let a burst of commits gather

    async def publish_pending(self, tld: str) -> int:
        """Drain the TLD's change log; the number of owners sent."""
        sent = 0
        while not self.stopping:
            batch = await publication.plan_batch(self.core, tld, self.settings.batch_size)
            if batch is None:
                return sent
            if batch.refusal is not None:
                await self._refuse(batch)
                return sent
            try:
                sent += await self._publish(batch)
            except PrimaryUnavailable as exc:
                _log.warning("DNS publication of %s waits: %s", tld, exc)
                return sent
        return sent

    async def _refuse(self, batch: publication.Batch) -> None:
        BATCHES.labels(batch.tld, "refused").inc()
        _log.error("DNS publication of %s held back by the delete guard: %s; the zone waits until "
                   "`registry dns resume %s --accept-deletes`", batch.tld, batch.refusal, batch.tld)
        await publication.hold_for_guard(self.core, batch.tld, batch.refusal or "")

    async def _publish(self, batch: publication.Batch) -> int:
        """Send and record the batch; split it when it keeps failing, park single owners."""
        if batch.changes:
            try:
                await self._send(batch)
            except WriterError as exc:
                return await self._split_or_park(batch, str(exc))
        serial = await publication.commit_batch(self.core, batch)
        if self.probe is not None and batch.changes:
            self.probe.published(batch.tld, batch.committed())
        BATCHES.labels(batch.tld, "published").inc()
        PUBLISHED.labels(batch.tld).inc(len(batch.changes))
        _log.debug("published %d owners of %s (publication %d)", len(batch.changes), batch.tld, serial)
        return len(batch.changes)

    async def _send(self, batch: publication.Batch) -> None:
        delay = self.settings.backoff
        for attempt in range(1, self.settings.attempts + 1):
            try:
                await self.writer.apply(batch.tld, batch.changes)
                return
            except WriterError as exc:
                if attempt == self.settings.attempts or self.stopping:
                    raise
                BATCHES.labels(batch.tld, "retried").inc()
                _log.warning("DNS update of %s failed (%s); attempt %d in %.1f s", batch.tld, exc,
                             attempt + 1, delay)
                await publication.note_error(self.core, batch.tld, str(exc))
                await asyncio.sleep(delay)
                delay *= 2

    async def _split_or_park(self, batch: publication.Batch, error: str) -> int:
        """After the retries: an outage keeps the batch; else the halves go on their own."""
        if not await self.writer.serves(batch.tld):
            raise PrimaryUnavailable(f"the primary does not serve {batch.tld} ({error})")
        if len(batch.changes) > 1:
            BATCHES.labels(batch.tld, "split").inc()
            first, second = split_batch(batch)
            return await self._publish(first) + await self._publish(second)
        BATCHES.labels(batch.tld, "parked").inc()
        owner = batch.changes[0].owner if batch.changes else "?"
        _log.error("DNS publication of %s in %s parked after %d attempts: %s", owner, batch.tld,
                   self.settings.attempts, error)
        await publication.park_batch(self.core, batch, error)
        return 0
