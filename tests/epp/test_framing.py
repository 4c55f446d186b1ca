"""RFC 5734 section 4 framing, tested on bytes fed to a real asyncio.StreamReader."""

from __future__ import annotations

import asyncio
import struct

import pytest

from protocols.epp.framing import (
    DEFAULT_MAX_FRAME,
    HEADER_SIZE,
    MIN_FRAME,
    FrameError,
    decode_header,
    encode_frame,
    read_frame,
)


def stream(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def header(total: int) -> bytes:
    return struct.pack("!I", total)


def test_encode_prefixes_total_length_including_header() -> None:
    frame = encode_frame(b"<epp/>")
    assert frame == b"\x00\x00\x00\x0a<epp/>"
    assert HEADER_SIZE == 4


@pytest.mark.parametrize("total", [0, 1, 2, 3, 4])
def test_header_below_minimum_is_rejected(total: int) -> None:
    assert total < MIN_FRAME == 5
    with pytest.raises(FrameError):
        decode_header(header(total), DEFAULT_MAX_FRAME)


def test_header_bounds_are_inclusive() -> None:
    assert decode_header(header(MIN_FRAME), DEFAULT_MAX_FRAME) == 1
    assert decode_header(header(DEFAULT_MAX_FRAME), DEFAULT_MAX_FRAME) == DEFAULT_MAX_FRAME - HEADER_SIZE


def test_header_above_maximum_is_rejected() -> None:
    with pytest.raises(FrameError):
        decode_header(header(DEFAULT_MAX_FRAME + 1), DEFAULT_MAX_FRAME)
    with pytest.raises(FrameError):
        decode_header(header(0xFFFFFFFF), DEFAULT_MAX_FRAME)


async def test_round_trip_of_several_frames_then_clean_eof() -> None:
    payloads = [b"<epp><hello/></epp>", b"x", "<épp/>".encode()]
    reader = stream(b"".join(encode_frame(p) for p in payloads))
    assert [await read_frame(reader) for _ in payloads] == payloads
    assert await read_frame(reader) is None


async def test_clean_eof_before_any_header_returns_none() -> None:
    assert await read_frame(stream(b"")) is None


async def test_truncated_header_is_an_error() -> None:
    with pytest.raises(FrameError, match="header"):
        await read_frame(stream(b"\x00\x00"))


async def test_truncated_payload_is_an_error() -> None:
    frame = encode_frame(b"<epp><hello/></epp>")
    with pytest.raises(FrameError, match="truncated"):
        await read_frame(stream(frame[:-3]))


async def test_oversized_frame_in_stream_is_rejected_before_reading_payload() -> None:
    reader = stream(header(1025) + b"a" * 1021)
    with pytest.raises(FrameError):
        await read_frame(reader, max_frame=1024)


async def test_header_below_minimum_in_stream_is_rejected() -> None:
    with pytest.raises(FrameError):
        await read_frame(stream(header(HEADER_SIZE) + encode_frame(b"x")))


async def test_frame_split_across_writes_is_reassembled() -> None:
    frame = encode_frame(b"<epp><hello/></epp>")
    reader = stream(frame[:3], eof=False)
    pending = asyncio.ensure_future(read_frame(reader))
    await asyncio.sleep(0)
    assert not pending.done()
    reader.feed_data(frame[3:])
    reader.feed_eof()
    assert await pending == b"<epp><hello/></epp>"
