"""The webhook channel against a real HTTPS receiver (aiohttp on loopback, a certificate
from a CA made here); signatures are verified with the standardwebhooks package, which
nobody here wrote. Every request goes to 127.0.0.1, allowlisted where a test says so."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.config import WebhooksConfig
from protocols.notify.delivery import Delivery, DeliveryFailed
from protocols.webhooks.channel import WebhookChannel
from protocols.webhooks.endpoint import WebhookEndpoint
from protocols.webhooks.signing import new_secret
from tests.webhooks.receiver import Receiver

WHEN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
OLD, NEW = new_secret(), new_secret()


def transfer(delivery_id: str = "wh-1") -> Delivery:
    return Delivery(delivery_id, "domain.transfer.requested", WHEN, "registrar:beta",
                    {"domain": "shop.example", "gaining": "alpha", "losing": "beta"})


@pytest.fixture(scope="module")
def hook_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("hook-certs"), [])


@pytest.fixture
async def receiver(hook_certs: DevCerts) -> AsyncIterator[Receiver]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(hook_certs.server.cert), str(hook_certs.server.key))
    server = Receiver(context)
    await server.start()
    yield server
    await server.stop()


def hooks_config(certs: DevCerts, **changes: object) -> WebhooksConfig:
    base = WebhooksConfig(allowlist=("127.0.0.0/8",), ca_file=str(certs.ca_cert), timeout=2.0, connect_timeout=2.0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def channel(hook_certs: DevCerts) -> AsyncIterator[WebhookChannel]:
    sender = WebhookChannel(hooks_config(hook_certs))
    await sender.start()
    yield sender
    await sender.stop(1.0)


async def test_a_signed_delivery_verifies_with_the_standardwebhooks_package(
        receiver: Receiver, channel: WebhookChannel) -> None:
    await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(), (NEW,)))
    (got,) = receiver.requests
    assert got.headers["webhook-id"] == "wh-1"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("registry-suite-webhooks/")
    data = Webhook(NEW).verify(got.body, got.headers)
    assert data == {"type": "domain.transfer.requested", "timestamp": "2026-12-03T12:00:00Z",
                    "data": {"domain": "shop.example", "gaining": "alpha", "losing": "beta"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(got.body.replace(b"alpha", b"gamma"), got.headers)


async def test_during_a_rotation_both_secrets_verify(receiver: Receiver, channel: WebhookChannel) -> None:
    await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(), (OLD, NEW)))
    (got,) = receiver.requests
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (OLD, NEW):
        assert Webhook(secret).verify(got.body, got.headers)["data"]["domain"] == "shop.example"


async def test_a_500_is_retryable_and_the_retry_carries_the_same_id(
        receiver: Receiver, channel: WebhookChannel) -> None:
    endpoint = WebhookEndpoint("ep-1", receiver.url(), (NEW,))
    receiver.answers = [500, 429]
    for _ in range(2):
        with pytest.raises(DeliveryFailed) as failed:
            await channel.deliver(transfer("wh-9"), endpoint)
        assert failed.value.retryable
    await channel.deliver(dataclasses.replace(transfer("wh-9"), attempt=3), endpoint)
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["wh-9"] * 3
    assert len({r.body for r in receiver.requests}) == 1  # the same bytes on every attempt


async def test_other_4xx_and_redirects_are_not_retried_and_answers_are_bounded(
        receiver: Receiver, channel: WebhookChannel) -> None:
    receiver.answers = [404]
    with pytest.raises(DeliveryFailed) as missing:
        await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(), (NEW,)))
    with pytest.raises(DeliveryFailed) as moved:
        await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url("/moved"), (NEW,)))
    with pytest.raises(DeliveryFailed) as chatty:
        await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url("/chatty"), (NEW,)))
    assert not missing.value.retryable and "404" in missing.value.detail
    assert not moved.value.retryable and "307" in moved.value.detail
    assert not chatty.value.retryable and len(chatty.value.detail) < 300
    assert len(receiver.requests) == 1  # the redirect was not followed to /hook


async def test_a_timeout_and_a_closed_port_are_retryable(receiver: Receiver, hook_certs: DevCerts) -> None:
    channel = WebhookChannel(hooks_config(hook_certs, timeout=0.5))
    await channel.start()
    try:
        with pytest.raises(DeliveryFailed) as slow:
            await channel.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url("/slow"), (NEW,)))
    finally:
        await channel.stop(1.0)
    closed = Receiver(None)
    await closed.start()
    await closed.stop()
    channel = WebhookChannel(hooks_config(hook_certs))
    await channel.start()
    try:
        with pytest.raises(DeliveryFailed) as refused:
            await channel.deliver(transfer(), WebhookEndpoint("ep-1", f"https://127.0.0.1:{closed.port}/hook", (NEW,)))
    finally:
        await channel.stop(1.0)
    assert slow.value.retryable and refused.value.retryable


async def test_private_targets_are_refused_unless_allowlisted(receiver: Receiver, hook_certs: DevCerts) -> None:
    guarded = WebhookChannel(hooks_config(hook_certs, allowlist=()))
    await guarded.start()
    try:
        for url in (receiver.url(host="127.0.0.1"), receiver.url(host="localhost"),  # literal; resolved
                    receiver.url(host="[::ffff:127.0.0.1]")):
            with pytest.raises(DeliveryFailed) as refused:
                await guarded.deliver(transfer(), WebhookEndpoint("ep-1", url, (NEW,)))
            assert not refused.value.retryable and "loopback" in refused.value.detail, url
    finally:
        await guarded.stop(1.0)
    assert receiver.requests == []
    allowed = WebhookChannel(hooks_config(hook_certs, allowlist=("127.0.0.1/32",)))
    await allowed.start()
    try:
        await allowed.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(host="localhost"), (NEW,)))
    finally:
        await allowed.stop(1.0)
    assert len(receiver.requests) == 1


async def test_http_bad_secrets_and_unknown_certificates(receiver: Receiver, hook_certs: DevCerts) -> None:
    plain = Receiver(None)
    await plain.start()
    strict = WebhookChannel(hooks_config(hook_certs))
    lax = WebhookChannel(hooks_config(hook_certs, allow_http=True))
    system_cas = WebhookChannel(hooks_config(hook_certs, ca_file=""))
    for channel in (strict, lax, system_cas):
        await channel.start()
    try:
        with pytest.raises(DeliveryFailed) as http_refused:
            await strict.deliver(transfer(), WebhookEndpoint("ep-1", plain.url(), (NEW,)))
        await lax.deliver(transfer(), WebhookEndpoint("ep-1", plain.url(), (NEW,)))  # development
        with pytest.raises(DeliveryFailed) as bad_secret:
            await strict.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(), ("whsec_c2hvcnQ=",)))
        with pytest.raises(DeliveryFailed) as untrusted:
            await system_cas.deliver(transfer(), WebhookEndpoint("ep-1", receiver.url(), (NEW,)))
    finally:
        for channel in (strict, lax, system_cas):
            await channel.stop(1.0)
        await plain.stop()
    assert not http_refused.value.retryable and not bad_secret.value.retryable
    assert untrusted.value.retryable  # the endpoint may fix its certificate
    assert len(plain.requests) == 1 and json.loads(plain.requests[0].body)["type"] == "domain.transfer.requested"
    assert receiver.requests == []


async def test_a_payload_that_is_not_json_is_not_retried(receiver: Receiver, channel: WebhookChannel) -> None:
    from decimal import Decimal

    odd = dataclasses.replace(transfer(), payload={"amount": Decimal("9.99")})  # the outbox must store JSON
    with pytest.raises(DeliveryFailed) as failed:
        await channel.deliver(odd, WebhookEndpoint("ep-1", receiver.url(), (NEW,)))
    assert not failed.value.retryable and receiver.requests == []
