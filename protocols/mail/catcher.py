"""The development mail catcher: an SMTP server (aiosmtpd) that keeps every message it is
given as `<directory>/<UTC timestamp>-<id>.eml` and delivers nothing onward, so a
newcomer's `make run` shows the registry's real mails without a relay.

`registry serve` starts it in the supervisor (once per node, whatever the worker count)
when `[mail] catcher = "host:port"` is set; `make run` sets 127.0.0.1:2525 and points the
email channel at it. No TLS, no AUTH: bind it to loopback. Bounded: messages over
`catcher_max_bytes` are refused with 552 (the SIZE it announces, RFC 1870), lines over
1,000 octets too (RFC 5321 section 4.5.3.1.6), idle clients are dropped after a minute.
Each file is written on a thread, to a temporary name and renamed: a reader never sees
half a message. The envelope goes in front as Return-Path and X-Envelope-To."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from protocols.config import Config

_log = logging.getLogger("registry.mail")
# aiosmtpd logs every SMTP command and reply at INFO under "mail.log": in `registry serve`'s
# log that is a dozen lines per mail; its warnings and errors still show
SESSION_LOG = logging.getLogger("mail.log")
IDLE_TIMEOUT = 60.0  # seconds a client may stay silent


class MailCatcher:
    def __init__(self, host: str, port: int, directory: Path, max_bytes: int) -> None:
        self.host, self.port, self.directory, self.max_bytes = host, port, directory, max_bytes
        self.server: asyncio.AbstractServer | None = None
        self._sessions: set[SMTP] = set()
        self._no_sessions = asyncio.Event()
        self._no_sessions.set()
        self.stored = 0

    async def start(self, sock: socket.socket | None = None) -> None:
        await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        if sock is not None:
            self.server = await loop.create_server(self._protocol, sock=sock)
        else:
            self.server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self, grace: float) -> None:
        """Stop accepting; give sessions `grace` seconds to finish, then close them."""
        if self.server is None:
            return
        self.server.close()
        try:
            await asyncio.wait_for(self._no_sessions.wait(), grace)
        except TimeoutError:
            for session in list(self._sessions):
                if session.transport is not None:
                    session.transport.close()
        await self.server.wait_closed()

    def _protocol(self) -> SMTP:
        protocol = _CatcherSmtp(self, data_size_limit=self.max_bytes, hostname="registry-mail-catcher",
                                timeout=IDLE_TIMEOUT, loop=asyncio.get_running_loop())
        self._sessions.add(protocol)
        self._no_sessions.clear()
        return protocol

    def session_ended(self, session: SMTP) -> None:
        self._sessions.discard(session)
        if not self._sessions:
            self._no_sessions.set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        front = f"Return-Path: <{envelope.mail_from}>\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        name = await asyncio.to_thread(self._store, front.encode("utf-8", "replace") + content)
        self.stored += 1
        return f"250 2.0.0 stored as {name}"

    def _store(self, message: bytes) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{secrets.token_hex(6)}.eml"
        temporary = self.directory / f".{name}.tmp"
        with temporary.open("wb") as out:
            out.write(message)
        os.replace(temporary, self.directory / name)
        return name


class _CatcherSmtp(SMTP):
    def __init__(self, catcher: MailCatcher, **kwargs: object) -> None:
        super().__init__(catcher, **kwargs)  # type: ignore[arg-type]
        self.catcher = catcher

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.catcher.session_ended(self)


def catcher_address(config: Config) -> tuple[str, int] | None:
    if not config.mail.catcher:
        return None
    host, _, port = config.mail.catcher.rpartition(":")
    return host.strip("[]"), int(port)


async def start_catcher(config: Config) -> MailCatcher | None:
    """The catcher of `config` ([mail] catcher), started; None when it is off."""
    address = catcher_address(config)
    if address is None:
        return None
    directory = Path(config.mail.catcher_directory or Path(config.paths.var) / "mail")
    catcher = MailCatcher(address[0], address[1], directory, config.mail.catcher_max_bytes)
    SESSION_LOG.setLevel(max(SESSION_LOG.getEffectiveLevel(), logging.WARNING))
    await catcher.start()
    _log.info("mail catcher smtp://%s:%d writing %s", catcher.host, catcher.port, directory,
              extra={"listener": "mail-catcher", "directory": str(directory)})
    return catcher
