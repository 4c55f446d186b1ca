"""A bounded set of SMTP connections to one relay (aiosmtplib), reused between messages.

At most `max_connections` are open; a sender waits for a free one. A connection idle longer
than `idle_reuse` or having sent `messages_per_connection` is closed rather than reused
(relays drop idle clients; RFC 5321 section 4.5.3.2.7 lets a server time out after 5
minutes, many do sooner). A reused connection the relay closed meanwhile is replaced once.
Any other error closes the connection: its state after a failed transaction is unknown."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass

import aiosmtplib

from protocols.config import MailConfig

QUIT_TIMEOUT = 2.0


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    last_used: float
    sent: int = 0


class SmtpPool:
    def __init__(self, config: MailConfig, tls_context: ssl.SSLContext | None, password: str) -> None:
        self.config = config
        self.tls_context = tls_context
        self.password = password
        self._slots = asyncio.Semaphore(config.max_connections)
        self._idle: list[_Connection] = []
        self.opened = 0  # connections opened so far (tests and metrics see the reuse)

    async def send(self, envelope_from: str, recipient: str, raw: bytes) -> None:
        """One mail transaction; aiosmtplib's errors pass through to the caller."""
        async with self._slots:
            connection = self._take_idle()
            if connection is not None:
                try:
                    await self._send_on(connection, envelope_from, recipient, raw)
                    return
                except aiosmtplib.SMTPServerDisconnected:
                    pass  # closed while idle: once more on a new connection
            await self._send_on(await self._open(), envelope_from, recipient, raw)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(c.client) for c in idle))

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.last_used <= self.config.idle_reuse and connection.client.is_connected:
                return connection
            connection.client.close()
        return None

    async def _send_on(self, connection: _Connection, envelope_from: str, recipient: str, raw: bytes) -> None:
        try:
            await connection.client.sendmail(envelope_from, [recipient], raw)
        except BaseException:
            connection.client.close()
            raise
        connection.sent += 1
        connection.last_used = time.monotonic()
        if connection.sent < self.config.messages_per_connection:
            self._idle.append(connection)
        else:
            await _quit(connection.client)

    async def _open(self) -> _Connection:
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.relay_host, port=config.relay_port, username=config.username or None,
            password=self.password if config.username else None, local_hostname=config.local_hostname or None,
            timeout=config.command_timeout, use_tls=config.tls == "tls", start_tls=config.tls == "starttls",
            tls_context=self.tls_context)
        await client.connect(timeout=config.connect_timeout)
        self.opened += 1
        return _Connection(client, time.monotonic())


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await client.quit(timeout=QUIT_TIMEOUT)
    client.close()


def relay_tls_context(config: MailConfig) -> ssl.SSLContext | None:
    """Verifying context for the relay (its name checked), None for tls = "none"."""
    if config.tls == "none":
        return None
    context = ssl.create_default_context(cafile=config.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8314 section 4.1, RFC 9325
    return context
