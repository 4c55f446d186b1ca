"""Ceilings for the notification benchmark (issue 11), measured in the same run as the
figures they bound: how fast aiosmtplib alone hands ready-made messages to the SMTP sink,
and how fast aiohttp alone POSTs to the webhook receiver, both on loopback with the same
connection counts, against our channels doing the same deliveries (render, build, sign
and send). The outbox benchmark reports its messages/s as a share of these.

    python -m tests.bench_notify_ceiling    (BENCH_NOTIFY_MESSAGES, default 2000)

Results print and go to var/bench/notify_ceiling.json."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import aiosmtplib

from protocols.config import MailConfig, WebhooksConfig
from protocols.mail.channel import EmailChannel
from protocols.notify.delivery import Delivery
from protocols.webhooks.channel import WebhookChannel
from protocols.webhooks.endpoint import WebhookEndpoint
from protocols.webhooks.signing import new_secret
from tests.mail.sink import SmtpSink
from tests.webhooks.receiver import Receiver

OUT = Path(__file__).resolve().parents[1] / "var" / "bench"
CONNECTIONS = 4  # the email channel's default max_connections


def deliveries(count: int) -> list[Delivery]:
    when = datetime.now(UTC)
    return [Delivery(f"bench-{i}", "domain.created", when, "registrar:demo",
                     {"domain": f"d{i}.example", "registrar": "demo", "expiry": "2027-12-03"}) for i in range(count)]


async def rate(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Messages per second of `count` calls one(i) spread over `concurrency` loops."""
    queue = iter(range(count))

    async def loop() -> None:
        for i in queue:
            await one(i)
    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def smtp_ceiling(port: int, raw: bytes, count: int, connections: int = CONNECTIONS) -> float:
    """aiosmtplib straight to the sink: one ready message, `connections` reused connections."""
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) for _ in range(connections)]
    return await send_through(clients, "noreply@registry.test", "tech{}@demo.test", raw, count)


async def send_through(clients: list[aiosmtplib.SMTP], sender: str, recipient: str, raw: bytes, count: int) -> float:
    """Messages per second sending `raw` `count` times over `clients` (connected here, each
    reused as soon as it is free, quit after); `recipient` has a {} for the message number."""
    for client in clients:
        await client.connect()
    free = asyncio.Queue[aiosmtplib.SMTP]()
    for client in clients:
        free.put_nowait(client)

    async def one(i: int) -> None:
        client = await free.get()
        await client.sendmail(sender, [recipient.format(i)], raw)
        free.put_nowait(client)
    try:
        return await rate(count, len(clients), one)
    finally:
        for client in clients:
            await client.quit()


async def email_figures(count: int) -> dict[str, float]:
    sink = SmtpSink(None, keep=False, auth=False)
    await sink.start()
    channel = EmailChannel(MailConfig(relay_host="127.0.0.1", relay_port=sink.port, tls="none",
                                      from_address="noreply@registry.test", max_connections=CONNECTIONS))
    await channel.start()
    try:
        items = deliveries(count)
        raw, _, _ = await channel.message_bytes(items[0], "tech@demo.test")
        ceiling = await smtp_ceiling(sink.port, raw, count)
        ours = await rate(count, CONNECTIONS, lambda i: channel.deliver(items[i], f"tech{i}@demo.test"))
    finally:
        await channel.stop(1.0)
        await sink.stop()
    return {"smtp_ceiling_per_second": ceiling, "email_channel_per_second": ours, "email_share": ours / ceiling}


async def webhook_figures(count: int) -> dict[str, float]:
    receiver = Receiver(None, keep=False)
    await receiver.start()
    channel = WebhookChannel(WebhooksConfig(allow_http=True, allowlist=("127.0.0.1/32",),
                                            max_connections_per_host=CONNECTIONS))
    await channel.start()
    endpoint = WebhookEndpoint("bench", receiver.url(host="127.0.0.1"), (new_secret(),))
    body = b'{"type":"domain.created","timestamp":"2026-12-03T00:00:00Z","data":{"domain":"d.example"}}'
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as session:
            async def bare(i: int) -> None:
                async with session.post(endpoint.url, data=body) as response:
                    await response.read()
            ceiling = await rate(count, CONNECTIONS, bare)
        items = deliveries(count)
        ours = await rate(count, CONNECTIONS, lambda i: channel.deliver(items[i], endpoint))
    finally:
        await channel.stop(1.0)
        await receiver.stop()
    return {"http_ceiling_per_second": ceiling, "webhook_channel_per_second": ours, "webhook_share": ours / ceiling}


async def measure(count: int) -> dict[str, float]:
    return {**await email_figures(count), **await webhook_figures(count), "messages": count}


def main() -> None:
    count = int(os.environ.get("BENCH_NOTIFY_MESSAGES", "2000"))
    figures = asyncio.run(measure(count))
    for name, value in figures.items():
        print(f"{name:32} {value:12.2f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "notify_ceiling.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
