"""The webhook channel: POST a delivery, signed (Standard Webhooks), to an endpoint.

`deliver(delivery, endpoint)` returns on a 2xx answer, else raises DeliveryFailed:
- 408, 429 and 5xx, timeouts, refused or reset connections, DNS failures -> retryable;
- other 4xx, and 3xx (redirects are never followed: the signed request goes to the
  registered URL or nowhere) -> not retryable;
- an endpoint the registry must not call (http:// unless allowed, a private address unless
  allowlisted, a bad secret) -> not retryable.
The webhook-id is the delivery id, the same on every attempt, so receivers can drop
duplicates; the webhook-timestamp is the attempt's (receivers refuse old ones)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import time

import aiohttp
from yarl import URL

from protocols.config import WebhooksConfig
from protocols.notify.delivery import Delivery, DeliveryFailed
from protocols.webhooks.address_guard import GuardedResolver, TargetRefused, networks, refusal
from protocols.webhooks.endpoint import WebhookEndpoint
from protocols.webhooks.signing import BadSecret, event_body, signed_headers

_log = logging.getLogger("registry.webhooks")
RETRYABLE_STATUSES = frozenset({408, 429})
SHOWN_BODY = 200  # characters of the endpoint's answer kept in the failure detail


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhooksConfig) -> None:
        self.config = config
        self.allowlist = networks(config.allowlist)
        self.session: aiohttp.ClientSession | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        config = self.config
        context = await asyncio.to_thread(_tls_context, config.ca_file)
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.allowlist), ssl=context,
                                         limit=config.max_connections, limit_per_host=config.max_connections_per_host)
        self.session = aiohttp.ClientSession(
            connector=connector, headers={"User-Agent": config.user_agent}, trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # one endpoint's cookies never reach another
            timeout=aiohttp.ClientTimeout(total=config.timeout, sock_connect=config.connect_timeout))

    async def stop(self, grace: float) -> None:
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            _log.warning("%d webhook(s) still being sent after %.1f s", self._in_flight, grace)
        if self.session is not None:
            await self.session.close()

    async def deliver(self, delivery: Delivery, target: WebhookEndpoint) -> None:
        assert self.session is not None, "start() first"
        url = self.checked_url(target.url)
        try:
            body = event_body(delivery.event, delivery.occurred_at, delivery.payload)
            headers = signed_headers(target.secrets, delivery.id, int(time.time()), body)
        except (BadSecret, TypeError) as exc:  # orjson's JSONEncodeError is a TypeError
            raise DeliveryFailed(f"endpoint {target.id}: {exc}", retryable=False) from exc
        self._in_flight += 1
        self._idle.clear()
        try:
            status, answer = await self._post(url, body, headers)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        verdict = failure(status, answer)
        if verdict is not None:
            raise verdict

    def checked_url(self, text: str) -> URL:
        """The endpoint's URL if the registry may call it (address literals checked here;
        names are checked where they resolve)."""
        url = URL(text)
        allowed = ("https", "http") if self.config.allow_http else ("https",)
        if url.scheme not in allowed or not url.host:
            raise DeliveryFailed(f"{text!r}: expected {' or '.join(allowed)}:// with a host", retryable=False)
        try:
            literal = ipaddress.ip_address(url.host)
        except ValueError:
            return url
        reason = refusal(literal, self.allowlist)
        if reason:
            raise DeliveryFailed(f"{text}: {reason} (webhooks.allowlist)", retryable=False)
        return url

    async def _post(self, url: URL, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        assert self.session is not None
        headers = {**headers, "Content-Type": "application/json"}
        try:
            async with self.session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                answer = await _bounded_read(response, self.config.max_response_bytes)
                return response.status, answer.decode("utf-8", "replace")
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, TargetRefused):
                raise DeliveryFailed(f"{url.host}: {exc.os_error} (webhooks.allowlist)", retryable=False) from exc
            raise DeliveryFailed(f"{url.host}: {exc.os_error}", retryable=True) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"{url.host}: {exc!r}", retryable=True) from exc


def failure(status: int, answer: str) -> DeliveryFailed | None:
    """None for a 2xx answer, else the failure with its retry verdict."""
    if 200 <= status < 300:
        return None
    detail = f"endpoint answered {status}: {answer[:SHOWN_BODY]!r}"
    return DeliveryFailed(detail, retryable=status in RETRYABLE_STATUSES or status >= 500)


async def _bounded_read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most `limit` bytes of the answer; the rest is never read (the connection is then
    closed rather than reused)."""
    kept = bytearray()
    async for chunk in response.content.iter_chunked(16384):
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break
    return bytes(kept)


def _tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 9325 section 3.1.1
    return context
