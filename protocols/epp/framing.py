"""RFC 5734 section 4 data units: a 4-byte big-endian total length (header included),
then one EPP XML instance. Pure helpers plus one small async reader."""

from __future__ import annotations

import asyncio
import struct

HEADER = struct.Struct("!I")
HEADER_SIZE = HEADER.size
# A frame must carry at least one byte of payload; anything shorter cannot resync.
MIN_FRAME = HEADER_SIZE + 1
DEFAULT_MAX_FRAME = 1 << 20  # 1 MiB; configurable per listener


class FrameError(Exception):
    """The stream is unusable: a header out of bounds or a truncated frame (close the connection)."""


def encode_frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload) + HEADER_SIZE) + payload


def decode_header(header: bytes, max_frame: int) -> int:
    """Return the payload length announced by `header`, or raise FrameError."""
    (total,) = HEADER.unpack(header)
    if total < MIN_FRAME or total > max_frame:
        raise FrameError(f"frame length {total} outside {MIN_FRAME}..{max_frame}")
    return total - HEADER_SIZE


async def read_frame(reader: asyncio.StreamReader, max_frame: int = DEFAULT_MAX_FRAME) -> bytes | None:
    """Read one frame's payload; None on a clean end of stream before a header."""
    try:
        header = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise FrameError("truncated frame header") from exc
    size = decode_header(header, max_frame)
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise FrameError(f"truncated frame: {len(exc.partial)} of {size} bytes") from exc
