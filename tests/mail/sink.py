"""A real SMTP server for the tests and the benchmark: aiosmtpd on a loopback port, with
STARTTLS (or implicit TLS) from the dev CA's server certificate and AUTH PLAIN/LOGIN.
It keeps what it received; some recipients get the answers the tests need."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "registry", "relay-Pass1"
# local parts the sink answers specially at RCPT
ANSWERS = {"busy": "451 4.3.0 try again later", "nobody": "550 5.1.1 no such mailbox"}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


@dataclass
class SmtpSink:
    tls_context: ssl.SSLContext | None
    implicit_tls: bool = False
    keep: bool = True  # the benchmark counts, the tests read
    auth: bool = True  # demand AUTH (only where TLS is on: aiosmtpd offers AUTH over TLS only)
    idle_timeout: float = 300.0  # the sink hangs up on a client silent this long
    received: list[Received] = field(default_factory=list)
    count: int = 0
    times: list[float] = field(default_factory=list)  # time.monotonic() of each message taken
    connections: int = 0
    server: asyncio.AbstractServer | None = None
    port: int = 0
    _protocols: list[SMTP] = field(default_factory=list)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._protocol, "127.0.0.1", 0,
                                               ssl=self.tls_context if self.implicit_tls else None)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self, grace: float = 1.0) -> None:
        if self.server is not None:
            self.server.close()
            for protocol in self._protocols:
                if protocol.transport is not None:
                    protocol.transport.close()
            await asyncio.wait_for(self.server.wait_closed(), grace)

    def _protocol(self) -> SMTP:
        self.connections += 1
        starttls = None if self.implicit_tls else self.tls_context
        protocol = SMTP(self, hostname="localhost", tls_context=starttls, require_starttls=starttls is not None,
                    # aiosmtpd counts only STARTTLS as TLS: under implicit TLS it must offer AUTH
                    # without that check (the whole connection is TLS anyway)
                    auth_required=self.auth and not self.implicit_tls, auth_require_tls=not self.implicit_tls,
                    authenticator=_authenticator, timeout=self.idle_timeout,
                    loop=asyncio.get_running_loop())
        self._protocols.append(protocol)
        return protocol

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        answer = ANSWERS.get(address.partition("@")[0])
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        self.times.append(time.monotonic())
        if self.keep:
            assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                          session.ssl is not None or self.implicit_tls, bool(session.authenticated)))
        return "250 2.0.0 queued"


def _authenticator(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=good, handled=False)


def sink_tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
