"""The notification dispatcher: delivers the outbox's e-mail and webhook rows.

It claims due rows in one short transaction (FOR UPDATE SKIP LOCKED, so any number of
dispatchers share the queue and each row goes to one of them) and leases them: a claimed
row's next attempt moves to the lease's end, so the rows of a dispatcher that dies come
back by themselves. It delivers after that commit, as many at once per channel as
`max_in_flight` allows (each channel has its own: a relay that hangs cannot hold up the
webhooks) and at most `per_target` to one endpoint or address, and records each outcome as
soon as it is known (a small writer batches the outcomes that arrive together): sent, or
failed with its next attempt (exponential backoff with jitter for about a day), or dead.

Delivery is at least once: a dispatcher killed between sending and recording sends those
few again after the lease, under the same delivery id (the webhook-id, the e-mail's
Message-ID), which is how a receiver recognizes the repeat.

It wakes on NOTIFY after each commit that queued a delivery, and looks every
`poll_interval` (and when the next retry is due) anyway. start() / stop(grace).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter, Gauge

from protocols.config import NotifyConfig
from protocols.notify.channels import Channel, DeliveryFailed
from registry_core.context import Core
from registry_core.model.notification import ClaimedDelivery, DeliveryOutcome, RetryPolicy
from registry_core.services import notifications as outbox

_log = logging.getLogger("registry.notify")
DELIVERED = Counter("registry_notifications_delivered", "Notification deliveries by channel and outcome "
                    "(sent, failed, dead)", ["channel", "outcome"])
# read from the database (the whole outbox): several dispatchers report the same figure, hence livemax
QUEUE = Gauge("registry_notifications", "Outbox deliveries by channel and status", ["channel", "status"],
              multiprocess_mode="livemax")
OLDEST = Gauge("registry_notifications_oldest_seconds", "Age of the oldest delivery still waiting",
               multiprocess_mode="livemax")


@dataclass(frozen=True)
class DispatcherSettings:
    batch: int = 100
    max_in_flight: int = 64
    per_target: int = 4
    lease: float = 120.0
    delivery_timeout: float = 30.0
    poll_interval: float = 5.0
    reconnect: float = 2.0
    metrics_interval: float = 15.0
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def from_config(cls, config: NotifyConfig) -> DispatcherSettings:
        return cls(config.batch, config.max_in_flight, config.per_target, config.lease,
                   min(config.delivery_timeout, config.lease / 2), config.poll_interval,
                   retry=RetryPolicy(base=timedelta(seconds=config.retry_base),
                                     cap=timedelta(seconds=max(config.retry_cap, config.retry_base)),
                                     give_up_after=timedelta(seconds=config.retry_for)))


class Dispatcher:
    def __init__(self, core: Core, channels: Mapping[str, Channel],
                 settings: DispatcherSettings = DispatcherSettings()) -> None:
        self.core, self.channels, self.settings = core, dict(channels), settings
        self.token = uuid.uuid4()  # this dispatcher's lease on what it claims
        self.wake = asyncio.Event()
        self.busy: Tally[str] = Tally()  # channel -> deliveries claimed, not yet finished
        self.per_target: Tally[str] = Tally()  # "channel target" -> claimed, not yet finished
        self.gates: dict[str, asyncio.Semaphore] = {}  # at most per_target of those at once
        self.outcomes: Tally[str] = Tally()  # "sent" / "failed" deliveries of this dispatcher
        self.inflight: set[asyncio.Task[None]] = set()
        self.recorder = _Recorder(core, self.token, settings.retry, self.wake)
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = False

    async def start(self) -> None:
        for channel in self.channels.values():
            await channel.start()
        self.tasks = [asyncio.create_task(self._run(), name="notify-dispatcher"),
                      asyncio.create_task(self.recorder.run(), name="notify-recorder"),
                      asyncio.create_task(self._sample(), name="notify-metrics")]

    async def stop(self, grace: float) -> None:
        """Claim nothing more; let deliveries under way finish within `grace` and record them."""
        self.stopping = True
        self.wake.set()
        await self._finish(self.tasks[0], grace)
        if self.inflight:
            _done, pending = await asyncio.wait(self.inflight, timeout=grace)
            for task in pending:  # their rows come back when the lease runs out
                task.cancel()
        self.recorder.closing = True
        self.recorder.wake.set()
        await self._finish(self.tasks[1], grace)
        self.tasks[2].cancel()
        for channel in self.channels.values():
            await channel.stop(grace)

    @staticmethod
    async def _finish(task: asyncio.Task[None], grace: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self.stopping:
            try:
                async with outbox.listen_session(self.core, lambda *_: self.wake.set()):
                    await self._serve()
            except Exception as exc:  # noqa: BLE001 - an outage: wait and open the session again
                _log.warning("notification dispatcher lost the database (%s); again in %.0f s",
                             exc, self.settings.reconnect)
                await asyncio.sleep(self.settings.reconnect)

    async def _serve(self) -> None:
        while not self.stopping:
            self.wake.clear()
            claimed = [item for channel in self.channels for item in await self._claim(channel)]
            for item in claimed:
                self._launch(item)
            if not claimed:  # nothing due, or every channel full: a finished delivery wakes us
                await self._idle()

    async def _claim(self, channel: str) -> list[ClaimedDelivery]:
        """As many of `channel`'s due deliveries as it has room for (never more: a claimed
        row waits for nothing but its target's turn)."""
        room = min(self.settings.batch, self.settings.max_in_flight - self.busy[channel])
        if room <= 0:
            return []
        full = tuple(key for key, count in self.per_target.items() if count >= self.settings.per_target)
        return await outbox.claim_deliveries(self.core, outbox.ClaimRequest(
            self.token, room, timedelta(seconds=self.settings.lease), (channel,), self.settings.per_target, full))

    def _launch(self, item: ClaimedDelivery) -> None:
        key = f"{item.channel} {item.target_key}"
        self.busy[item.channel] += 1
        self.per_target[key] += 1
        self.gates.setdefault(key, asyncio.Semaphore(self.settings.per_target))
        task = asyncio.create_task(self._deliver(item, key))
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    async def _idle(self) -> None:
        """Until woken (NOTIFY, a slot freed), the next retry is due, or poll_interval."""
        wait = self.settings.poll_interval
        if not self.inflight:
            due = await outbox.next_due(self.core, list(self.channels))
            if due is not None:
                wait = min(wait, max(0.0, (due - self.core.db.clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), wait)

    async def _deliver(self, item: ClaimedDelivery, key: str) -> None:
        try:
            async with self.gates[key]:
                outcome = await self._attempt(item)
        finally:
            self.busy[item.channel] -= 1
            self.per_target[key] -= 1
            if self.per_target[key] <= 0:
                del self.per_target[key], self.gates[key]
            self.wake.set()  # room for more
        result = "sent" if outcome.error is None else "failed"
        self.outcomes[result] += 1
        DELIVERED.labels(item.channel, result).inc()
        self.recorder.add(outcome)

    async def _attempt(self, item: ClaimedDelivery) -> DeliveryOutcome:
        attempt = item.delivery.attempt
        if item.target is None:
            return DeliveryOutcome(item.row_id, "the webhook endpoint was removed", False, attempt)
        try:
            await asyncio.wait_for(self.channels[item.channel].deliver(item.delivery, item.target),
                                   self.settings.delivery_timeout)
        except TimeoutError:
            return DeliveryOutcome(item.row_id, f"no answer within {self.settings.delivery_timeout:.0f} s",
                                   True, attempt)
        except Exception as exc:  # noqa: BLE001 - a failed delivery is recorded, never lost
            if isinstance(exc, DeliveryFailed) or hasattr(exc, "retryable"):
                detail = str(getattr(exc, "detail", "") or exc or "failed")
                return DeliveryOutcome(item.row_id, detail, bool(getattr(exc, "retryable", True)), attempt)
            _log.exception("channel %s failed on delivery %s", item.channel, item.delivery.id)  # a bug: retried
            return DeliveryOutcome(item.row_id, f"{exc.__class__.__name__}: {exc}", True, attempt)
        return DeliveryOutcome(item.row_id, None, True, attempt)

    async def _sample(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                status = await outbox.outbox_status(self.core)
                for key, count in status.counts.items():
                    channel, _, state = key.partition("/")
                    QUEUE.labels(channel, state).set(count)
                OLDEST.set(status.oldest_queued_seconds)
            await asyncio.sleep(self.settings.metrics_interval)


class _Recorder:
    """Writes outcomes as they arrive: whatever gathered while the last write ran goes in
    the next one. An outage keeps them (and retries); rows whose write never happens come
    back after their lease and are sent again."""

    def __init__(self, core: Core, token: uuid.UUID, policy: RetryPolicy, recorded: asyncio.Event) -> None:
        self.core, self.token, self.policy = core, token, policy
        self.recorded = recorded  # set after each write: a retry time may now be the next one due
        self.pending: list[DeliveryOutcome] = []
        self.wake = asyncio.Event()
        self.closing = False

    def add(self, outcome: DeliveryOutcome) -> None:
        self.pending.append(outcome)
        self.wake.set()

    async def run(self) -> None:
        while not (self.closing and not self.pending):
            await self.wake.wait()
            self.wake.clear()
            taken, self.pending = self.pending, []
            if not taken:
                continue
            try:
                await outbox.record_outcomes(self.core, self.token, taken, self.policy)
                self.recorded.set()
            except Exception as exc:  # noqa: BLE001 - keep them and try again shortly
                _log.warning("could not record %d notification outcomes (%s); retrying", len(taken), exc)
                self.pending = taken + self.pending
                if self.closing:
                    return
                await asyncio.sleep(1.0)
                self.wake.set()
