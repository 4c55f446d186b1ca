"""The email channel: render a delivery with its templates, build the message, sign it
(DKIM, optional), hand it to the relay. `deliver(delivery, address)` returns once the relay
accepted the message (250 after DATA), else raises DeliveryFailed:

- the relay's 4xx (RFC 5321 section 4.2.1: transient) -> retryable; its 5xx -> not retryable,
  except AUTH refused (535) and a missing STARTTLS, which are our configuration: retryable,
  so the operator's fix lets the queue drain rather than dead-letter every mail;
- connection refused, TLS failures, timeouts, a relay that hangs up -> retryable;
- a bad address or a template that cannot render this payload -> not retryable."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib

from protocols.config import MailConfig
from protocols.mail.address import BadAddress, checked_address, mailbox
from protocols.mail.dkim_signing import DkimKeyProblem, DkimSigner
from protocols.mail.message import build_message, sender_for, unsubscribe_target
from protocols.mail.smtp_pool import SmtpPool, relay_tls_context
from protocols.mail.templates import TEMPLATES, MailTemplates, TemplateProblem
from protocols.notify.delivery import Delivery, DeliveryFailed

_log = logging.getLogger("registry.mail")


class EmailChannel:
    name = "email"

    def __init__(self, config: MailConfig, *, templates: Path = TEMPLATES) -> None:
        self.config = config
        self.templates = MailTemplates(templates)
        self.pool: SmtpPool | None = None
        self._signer: DkimSigner | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Compile the templates, read the password and DKIM key, check the addresses: a
        mistake stops start-up here, not a delivery later. No connection is opened yet."""
        await asyncio.to_thread(self._prepare)

    def _prepare(self) -> None:
        config = self.config
        if not config.relay_host:
            raise ValueError("mail.relay_host is not set")
        if config.tls == "none" and not _loopback(config.relay_host):
            raise ValueError(f"mail.tls = \"none\" is for a relay on loopback, not {config.relay_host}")
        self.templates.compile()
        self._default_from = mailbox(config.from_address)
        self._by_tld = {tld.strip().lower().strip("."): mailbox(address.strip())
                        for tld, _, address in (entry.partition("=") for entry in config.tld_from)}
        self._envelope_from = checked_address(config.envelope_from) if config.envelope_from else ""
        if config.dkim_key_file:
            self._signer = DkimSigner(Path(config.dkim_key_file), config.dkim_selector, config.dkim_domain)
            self._signer.load()
        password = Path(config.password_file).read_text("utf-8").strip() if config.password_file else ""
        self.pool = SmtpPool(config, relay_tls_context(config), password)

    async def stop(self, grace: float) -> None:
        """Let deliveries in flight finish (for up to `grace` seconds), then QUIT."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            _log.warning("%d mail(s) still being sent after %.1f s", self._in_flight, grace)
        if self.pool is not None:
            await self.pool.close()

    async def deliver(self, delivery: Delivery, target: str) -> None:
        assert self.pool is not None, "start() first"
        raw, sender_address, recipient = await self.message_bytes(delivery, target)
        self._in_flight += 1
        self._idle.clear()
        try:
            await self.pool.send(self._envelope_from or sender_address, recipient, raw)
        except aiosmtplib.SMTPException as exc:
            raise failure(exc) from exc
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            raise DeliveryFailed(f"relay {self.config.relay_host}: {exc!r}", retryable=True) from exc
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def message_bytes(self, delivery: Delivery, target: str) -> tuple[bytes, str, str]:
        """The message as sent (CRLF, signed when DKIM is on), its From address and the
        checked recipient, made on a thread: rendering, MIME building and RSA signing take
        a millisecond or more."""
        try:
            recipient = checked_address(target)
            raw, sender = await asyncio.to_thread(self._compose, delivery, recipient)
        except (BadAddress, TemplateProblem, DkimKeyProblem) as exc:
            raise DeliveryFailed(str(exc), retryable=False) from exc
        return raw, sender, recipient

    def _compose(self, delivery: Delivery, recipient: str) -> tuple[bytes, str]:
        rendered = self.templates.render(delivery)
        sender = sender_for(delivery, self._default_from, self._by_tld)
        unsubscribe = unsubscribe_target(self.config.unsubscribe_url, self.config.unsubscribe_events, delivery)
        raw = build_message(delivery, rendered, sender, recipient, now=datetime.now(UTC), unsubscribe=unsubscribe)
        if self._signer is not None:
            raw = self._signer.signed(raw, sender.domain)
        return raw, sender.addr_spec


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def failure(exc: aiosmtplib.SMTPException) -> DeliveryFailed:
    """The relay's word on a transaction as a DeliveryFailed (see the module's rules)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPNotSupported):
        return DeliveryFailed(f"relay refused our configuration: {exc}", retryable=True)
    code = getattr(exc, "code", 0)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= code < 600:
        return DeliveryFailed(f"relay answered {code} {exc.message}", retryable=False)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryFailed(f"relay answered {code} {exc.message}", retryable=True)
    return DeliveryFailed(f"relay: {exc!r}", retryable=True)
