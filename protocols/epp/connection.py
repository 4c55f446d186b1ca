"""One EPP session on one TLS connection (RFC 5734): greet, then read a frame, answer it,
repeat; pipelined frames are answered in order. Every peer-controlled wait is bounded."""

from __future__ import annotations

import asyncio
import logging
import time

from protocols.config import EppConfig
from protocols.epp.dispatch import Dispatcher
from protocols.epp.framing import FrameError, encode_frame, read_frame
from protocols.epp.session import Session

_log = logging.getLogger("registry.epp.connection")


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: Session,
                 dispatcher: Dispatcher, config: EppConfig) -> None:
        self.reader = reader
        self.writer = writer
        self.session = session
        self.dispatcher = dispatcher
        self.config = config
        self.busy = False
        self.draining = False

    async def _send(self, payload: bytes) -> None:
        self.writer.write(encode_frame(payload))
        # a client that stops reading fills our buffer; give up on it after write_timeout
        # (asyncio.timeout, not wait_for: on Python 3.11 wait_for wraps each wait in a new task)
        async with asyncio.timeout(self.config.write_timeout):
            await self.writer.drain()

    async def run(self) -> None:
        try:
            await self._send(self.dispatcher.greeting())
            while not self.draining:
                if not await self._one_command():
                    break
        except (FrameError, TimeoutError, ConnectionError) as exc:
            _log.info("closing session peer=%s registrar=%s: %s", self.session.peer_ip,
                      self.session.registrar_id or "-", exc.__class__.__name__)

    async def _one_command(self) -> bool:
        # RFC 5734 leaves idle limits to the server: an idle session is closed.
        async with asyncio.timeout(self.config.idle_timeout):
            data = await read_frame(self.reader, self.config.max_frame_bytes)
        if data is None:
            return False
        self.busy = True
        try:
            outcome = await self.dispatcher.handle(data, self.session)
            await self._send(outcome.data)
        finally:
            self.busy = False
        if outcome.close or self.session.closing:
            return False
        return time.monotonic() - self.session.started < self.config.max_session_seconds
