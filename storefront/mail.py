"""The shop's outgoing mail: written to the outbox (`storefront.mail_outbox`) in the same
transaction as the change it tells about, sent after commit by the MailSender through an
SMTP relay (protocols/mail/smtp_pool.SmtpPool), retried with backoff.

    [storefront.mail]          # the relay; without relay_host mail stays in the outbox
    relay_host = "127.0.0.1"   relay_port = 2525   tls = "none"   # "starttls" | "tls" | "none"
    from_address = "Domain shop <shop@example.test>"
    username = ""  password_file = ""  ca_file = ""

A sender claims due rows (FOR UPDATE SKIP LOCKED) and leases them for LEASE seconds before
it sends outside any transaction, so two shop processes never send one mail twice unless one
dies mid-send (then the lease runs out and the mail goes again: at least once, never lost).
A 5xx refusal is permanent; anything else is retried, doubling the wait up to an hour."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg

from protocols.config import MailConfig
from protocols.mail.address import BadAddress, checked_address, mailbox
from protocols.mail.smtp_pool import SmtpPool, relay_tls_context

_log = logging.getLogger("storefront.mail")
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12
MAX_SUBJECT = 200
MAX_BODY = 64 * 1024
_KEYS = {"relay_host": str, "relay_port": int, "tls": str, "ca_file": str, "username": str, "password_file": str,
         "local_hostname": str, "from_address": str, "connect_timeout": float, "command_timeout": float,
         "max_connections": int}


class MailSettingsError(ValueError):
    pass


def mail_settings(storefront: Mapping[str, Any]) -> MailConfig:
    """[storefront.mail] as the relay settings SmtpPool takes (defaults: no relay)."""
    raw = storefront.get("mail", {})
    unknown = set(raw) - set(_KEYS)
    if unknown:
        raise MailSettingsError(f"unknown key(s) in [storefront.mail]: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, kind in _KEYS.items():
        if key not in raw:
            continue
        value = float(raw[key]) if kind is float and isinstance(raw[key], int) else raw[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise MailSettingsError(f"storefront.mail.{key}: expected {kind.__name__}, got {raw[key]!r}")
        values[key] = value
    config = dataclasses.replace(MailConfig(from_address="Domain shop <shop@shop.invalid>"), **values)
    if config.tls not in ("starttls", "tls", "none"):
        raise MailSettingsError('storefront.mail.tls: one of "starttls", "tls", "none"')
    try:
        mailbox(config.from_address)
    except BadAddress as exc:
        raise MailSettingsError(f"storefront.mail.from_address: {exc}") from exc
    return config


async def enqueue_mail(conn: asyncpg.Connection, *, to: str, subject: str, text: str, key: str | None = None) -> bool:
    """Write one mail in the caller's transaction; False when `key` was written before."""
    recipient = checked_address(to)
    subject = " ".join(subject.split())[:MAX_SUBJECT]
    if len(text) > MAX_BODY:
        raise ValueError("a shop mail's body is limited to 64 KiB")
    row = await conn.fetchval(
        """INSERT INTO storefront.mail_outbox (key, recipient, subject, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (key) DO NOTHING RETURNING id""", key, recipient, subject, text)
    return row is not None


def build_message(config: MailConfig, recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    sender = mailbox(config.from_address)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain or "shop.invalid")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the shop
    message.set_content(body)
    return message


class MailSender:
    """Sends the outbox's due mails; `wake()` after a commit that wrote one sends it now."""

    def __init__(self, pool: asyncpg.Pool, config: MailConfig, *, interval: float = 5.0, batch: int = 20) -> None:
        self.pool = pool
        self.config = config
        self.interval = interval
        self.batch = batch
        self.smtp: SmtpPool | None = None
        if config.relay_host:
            password = Path(config.password_file).read_text("utf-8").strip() if config.password_file else ""
            self.smtp = SmtpPool(config, relay_tls_context(config), password)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                sent = await self.send_due()
            except (OSError, asyncpg.PostgresError) as exc:
                _log.warning("shop mail: %s", exc)
                sent = 0
            if sent >= self.batch:
                continue
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({waiter, stopper}, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, stopper):
                task.cancel()
            self._wake.clear()

    async def close(self) -> None:
        if self.smtp is not None:
            await self.smtp.close()

    async def send_due(self) -> int:
        """Send what is due now; the number sent."""
        if self.smtp is None:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """UPDATE storefront.mail_outbox SET next_attempt_at = now() + $2::interval, attempts = attempts + 1
                   WHERE id IN (SELECT id FROM storefront.mail_outbox
                                WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
                   RETURNING id, recipient, subject, body, attempts""", self.batch, LEASE)
        results = await asyncio.gather(*(self._send(row) for row in rows))
        return sum(results)

    async def _send(self, row: asyncpg.Record) -> bool:
        assert self.smtp is not None
        message = build_message(self.config, row["recipient"], row["subject"], row["body"])
        envelope = self.config.envelope_from or mailbox(self.config.from_address).addr_spec
        try:
            await self.smtp.send(envelope, row["recipient"], message.as_bytes())
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._failed(row, exc)
            return False
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE storefront.mail_outbox SET sent_at = now(), last_error = NULL WHERE id = $1",
                               row["id"])
        return True

    async def _failed(self, row: asyncpg.Record, exc: BaseException) -> None:
        refused = getattr(exc, "recipients", None)  # SMTPRecipientsRefused: one per recipient
        code = (getattr(refused[0], "code", 0) if refused else getattr(exc, "code", 0)) or 0
        permanent = 500 <= code < 600 or row["attempts"] >= MAX_ATTEMPTS
        wait = timedelta(seconds=min(3600, 5 * 2 ** min(row["attempts"], 10)))
        error = f"{type(exc).__name__}: {exc}"[:500]
        _log.warning("shop mail %d to %s: %s%s", row["id"], row["recipient"], error, " (given up)" if permanent else "")
        async with self.pool.acquire() as conn:
            await conn.execute(
                """UPDATE storefront.mail_outbox SET last_error = $2,
                          failed_at = CASE WHEN $3 THEN now() END, next_attempt_at = now() + $4::interval
                   WHERE id = $1""", row["id"], error, permanent, wait)
