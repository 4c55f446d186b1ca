"""The EPP listener: TLS with a required client certificate (RFC 5734 section 9), one
task per connection, and a graceful stop that lets commands in flight finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from pathlib import Path

from protocols.config import Config
from protocols.epp import codec
from protocols.epp.connection import Connection
from protocols.epp.dispatch import Dispatcher
from protocols.epp.responses import OFFERED_EXTENSIONS
from protocols.epp.session import Session
from protocols.net.limits import CommandPacer, IpLimits, LimitPolicy, LimitStore, ProcessStore
from protocols.net.proxy_protocol import ProxiedTlsServer, start_proxied_tls_server
from protocols.net.tls import peer_fingerprint, server_context
from registry_core.context import Core

_log = logging.getLogger("registry.epp")


class EppServer:
    def __init__(self, config: Config, core: Core, schema: codec.EppSchema | None = None,
                 ssl_context: ssl.SSLContext | None = None, limits: LimitStore | None = None) -> None:
        """`limits`: where the connection, session and command-rate counts live (default: this process)."""
        self.config = config.epp
        epp = config.epp
        self.ssl_context = ssl_context or server_context(Path(epp.cert), Path(epp.key), Path(epp.ca))
        store = limits or ProcessStore()
        pacer = CommandPacer(epp.command_rate, epp.command_burst, epp.command_rate_action, epp.command_rate_max_delay,
                             store=store)
        self.dispatcher = Dispatcher(core, schema or codec.EppSchema(), OFFERED_EXTENSIONS, epp.max_failed_logins,
                                     epp.max_sessions_per_registrar, pacer=pacer, limits=store)
        self.ip_limits = IpLimits(LimitPolicy(0.0, 0, epp.max_connections_per_ip), store=store, scope="epp")
        self.connections: dict[asyncio.Task, Connection] = {}
        self._server: asyncio.Server | ProxiedTlsServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, sock: socket.socket | None = None) -> None:
        """Listen on `sock` (already listening: inherited from the supervisor) or bind host:port."""
        if self.config.proxy_protocol:  # behind a TCP proxy: the PROXY header, then the TLS handshake
            self._server = await start_proxied_tls_server(
                self._serve_as, self.config.host, self.config.port, self.ssl_context,
                header_timeout=self.config.handshake_timeout, handshake_timeout=self.config.handshake_timeout,
                limit=self.config.max_frame_bytes + 8, sock=sock)
        else:
            host, port = (None, None) if sock is not None else (self.config.host, self.config.port)
            self._server = await asyncio.start_server(
                self._serve, host, port, sock=sock, ssl=self.ssl_context,
                ssl_handshake_timeout=self.config.handshake_timeout, limit=self.config.max_frame_bytes + 8)
        _log.info("EPP listening on %s:%d", self.config.host, self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        # stop() cancels idle sessions; ending quietly keeps Python 3.11's start_server callback
        # (task.exception() without a cancelled() check) from logging each one as an error
        with contextlib.suppress(asyncio.CancelledError):
            await self._serve_as(reader, writer, peer[0] if peer else None)

    async def _serve_as(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer_ip: str | None) -> None:
        """One session; `peer_ip` is the client's address (behind a proxy: from the PROXY header)."""
        if not await self.ip_limits.connect(peer_ip or ""):
            return await self._refuse(writer, peer_ip)
        session = Session(peer_ip, peer_fingerprint(writer.get_extra_info("ssl_object")))
        connection = Connection(reader, writer, session, self.dispatcher, self.config)
        task = asyncio.current_task()
        assert task is not None
        self.connections[task] = connection
        try:
            await connection.run()
        finally:
            self.connections.pop(task, None)
            self.dispatcher.session_closed(session)
            self.ip_limits.disconnect(peer_ip or "")
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    @staticmethod
    async def _refuse(writer: asyncio.StreamWriter, peer_ip: str | None) -> None:
        """Over epp.max_connections_per_ip: close before the greeting."""
        _log.warning("connection limit per address reached peer=%s", peer_ip)
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2)

    async def stop(self, grace: float) -> None:
        """Stop accepting; idle sessions close now, busy ones after their current command;
        whatever is left after `grace` seconds is cancelled."""
        if self._server is not None:
            self._server.close()
        for task, connection in list(self.connections.items()):
            connection.draining = True
            if not connection.busy:
                task.cancel()
        if self.connections:
            _done, pending = await asyncio.wait(list(self.connections), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
