"""`EppClient`: one RFC 5734 EPP session over TLS.

Frames out, frames in, a timeout on every read, and pipelining (`send_many`). Any failure
mid-exchange aborts the connection, because a half-read frame cannot be resynchronised
(RFC 5734 section 4). Helpers return the parsed `Response` whatever its result code; call
`.check()` to turn a 2xxx result into `EppCommandError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Concatenate, ParamSpec

from protocols.epp.client.commands import CommandBuilder
from protocols.epp.client.documents import Greeting, Response
from protocols.epp.client.errors import EppConnectionError, EppError, EppProtocolError, EppTimeout
from protocols.epp.codec import EXTENSION_URIS, OBJECT_URIS
from protocols.epp.framing import DEFAULT_MAX_FRAME, FrameError, encode_frame, read_frame

DEFAULT_TIMEOUT = 60.0  # seconds for a connect, a handshake, or one response
CLOSE_TIMEOUT = 5.0

P = ParamSpec("P")


def _sends(
    build: Callable[Concatenate[CommandBuilder, P], bytes],
) -> Callable[Concatenate[EppClient, P], Awaitable[Response]]:
    """Turn a CommandBuilder method into an EppClient method with the same parameters."""

    @functools.wraps(build)
    async def method(self: EppClient, /, *args: P.args, **kwargs: P.kwargs) -> Response:
        return await self.request(build(self.build, *args, **kwargs))

    return method


class EppClient:
    """One EPP session over TLS (RFC 5734). EPP answers strictly in order, so concurrent
    callers are serialised by a lock; use `send_many` / `request_many` to pipeline."""

    def __init__(
        self,
        *,
        max_frame: int = DEFAULT_MAX_FRAME,
        timeout: float = DEFAULT_TIMEOUT,
        cl_trid_prefix: str = "py",
    ) -> None:
        self.build = CommandBuilder(cl_trid_prefix)
        self.max_frame = max_frame  # bound on a response frame (RFC 5734 section 4)
        self.timeout = timeout
        self.greeting: Greeting | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._writer is not None

    async def __aenter__(self) -> EppClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        *,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds handshake and greeting read separately
    ) -> Greeting:
        """Open the TLS connection and read the greeting (RFC 5730 section 2.4)."""
        if self._writer is not None:
            raise EppError("already connected")
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                self._reader, self._writer = await asyncio.open_connection(
                    host, port, ssl=ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=limit
                )
        except TimeoutError as exc:
            raise EppTimeout(f"connect to {host}:{port}: no answer within {limit:g}s") from exc
        except OSError as exc:
            raise EppConnectionError(f"connect to {host}:{port}: {exc}") from exc
        async with self._guard("greeting", limit):
            self.greeting = Greeting.parse(await self._read(), max_bytes=self.max_frame)
        return self.greeting

    async def send_raw(self, xml: bytes, *, read_timeout: float | None = None) -> bytes:
        """Send one document, return the payload of the next frame."""
        return (await self.send_many([xml], read_timeout=read_timeout))[0]

    async def send_many(self, documents: Sequence[bytes], *, read_timeout: float | None = None) -> list[bytes]:
        """Pipeline: write every frame, then read as many responses, in order. The writes are
        buffered rather than drained first, so a server that answers while we still write
        cannot deadlock us. `read_timeout` (default: the client's) bounds each read."""
        limit = self.timeout if read_timeout is None else read_timeout
        async with self._lock:
            writer = self._require()
            async with self._guard("send", limit):
                writer.write(b"".join(encode_frame(doc) for doc in documents))
            answers = []
            for _ in documents:
                async with self._guard("response", limit):
                    answers.append(await self._read())
            async with self._guard("send", limit):
                await writer.drain()
            return answers

    async def request(self, xml: bytes, *, read_timeout: float | None = None) -> Response:
        return Response.parse(await self.send_raw(xml, read_timeout=read_timeout), max_bytes=self.max_frame)

    async def request_many(self, documents: Sequence[bytes], *, read_timeout: float | None = None) -> list[Response]:
        raw = await self.send_many(documents, read_timeout=read_timeout)
        return [Response.parse(document, max_bytes=self.max_frame) for document in raw]

    async def close(self) -> None:
        """Close the TLS connection (after `logout`, or to abandon the session)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await writer.wait_closed()

    # session

    async def hello(self, *, read_timeout: float | None = None) -> Greeting:
        self.greeting = Greeting.parse(
            await self.send_raw(self.build.hello(), read_timeout=read_timeout), max_bytes=self.max_frame
        )
        return self.greeting

    async def login(
        self,
        clid: str,
        password: str,
        *,
        new_password: str | None = None,
        obj_uris: Sequence[str] | None = None,
        ext_uris: Sequence[str] | None = None,
        version: str = "1.0",
        lang: str = "en",
        cl_trid: str | None = None,
    ) -> Response:
        """URIs default to ours (OBJECT_URIS, EXTENSION_URIS) that the greeting announced."""
        document = self.build.login(
            clid,
            password,
            new_password=new_password,
            obj_uris=self._announced(OBJECT_URIS, "obj_uris") if obj_uris is None else obj_uris,
            ext_uris=self._announced(EXTENSION_URIS, "ext_uris") if ext_uris is None else ext_uris,
            version=version,
            lang=lang,
            cl_trid=cl_trid,
        )
        return await self.request(document)

    async def logout(self, *, cl_trid: str | None = None) -> Response:
        """Logout; the server closes after 1500 (RFC 5730 section 2.9.1.2), so do we."""
        response = await self.request(self.build.logout(cl_trid=cl_trid))
        if response.code == 1500:
            await self.close()
        return response

    poll_request = _sends(CommandBuilder.poll_request)
    poll_ack = _sends(CommandBuilder.poll_ack)
    domain_check = _sends(CommandBuilder.domain_check)
    domain_info = _sends(CommandBuilder.domain_info)
    domain_create = _sends(CommandBuilder.domain_create)
    domain_renew = _sends(CommandBuilder.domain_renew)
    domain_delete = _sends(CommandBuilder.domain_delete)
    domain_update = _sends(CommandBuilder.domain_update)
    domain_restore = _sends(CommandBuilder.domain_restore)
    domain_transfer = _sends(CommandBuilder.domain_transfer)
    contact_check = _sends(CommandBuilder.contact_check)
    contact_info = _sends(CommandBuilder.contact_info)
    contact_create = _sends(CommandBuilder.contact_create)
    contact_delete = _sends(CommandBuilder.contact_delete)
    host_check = _sends(CommandBuilder.host_check)
    host_info = _sends(CommandBuilder.host_info)
    host_create = _sends(CommandBuilder.host_create)
    host_delete = _sends(CommandBuilder.host_delete)
    host_update = _sends(CommandBuilder.host_update)

    # internals

    def _announced(self, ours: Sequence[str], attribute: str) -> list[str]:
        if self.greeting is None:
            return list(ours)
        offered = set(getattr(self.greeting, attribute))
        return [uri for uri in ours if uri in offered]

    def _require(self) -> asyncio.StreamWriter:
        if self._writer is None:
            raise EppConnectionError("not connected")
        return self._writer

    async def _read(self) -> bytes:
        if self._reader is None:
            raise EppConnectionError("not connected")
        payload = await read_frame(self._reader, self.max_frame)
        if payload is None:
            raise EppConnectionError("server closed the connection")
        return payload

    @contextlib.asynccontextmanager
    async def _guard(self, what: str, limit: float) -> AsyncIterator[None]:
        """Bound one step by `limit`; any failure (or cancellation) leaves the stream at an
        unknown frame boundary, so the connection is aborted before the error propagates."""
        try:
            async with asyncio.timeout(limit):
                yield
        except TimeoutError as exc:
            self._abort()
            raise EppTimeout(f"{what}: no answer within {limit:g}s") from exc
        except FrameError as exc:
            self._abort()
            raise EppProtocolError(f"{what}: {exc}") from exc
        except OSError as exc:
            self._abort()
            raise EppConnectionError(f"{what}: {exc}") from exc
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.transport.abort()
