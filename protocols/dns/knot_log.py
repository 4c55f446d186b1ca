"""Knot's log: knotd writes it to standard error, which we read line by line. Every line goes
to knot.log under the Knot directory, rotated by size (knot.log.1 is the newest old file;
[dns] log_max_bytes and log_keep), and the warnings, errors and critical lines also go to
the registry's own log (logger registry.dns.knot), where an operator watching `registry
serve` sees them. The last error lines are kept for the message that says knotd stopped."""

from __future__ import annotations

import asyncio
import collections
import logging
import re
from pathlib import Path
from typing import IO

_log = logging.getLogger("registry.dns.knot")
LEVELS = {"warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}
_LINE = re.compile(r"^\S+ (debug|info|notice|warning|error|critical): (.*)$")
LINE_LIMIT = 64 * 1024  # octets of one log line we read; a longer one is cut


def forwarded(line: str) -> tuple[int, str] | None:
    """(level, message) of a knotd log line worth the registry's log; None for the others."""
    match = _LINE.match(line)
    if match is None or match.group(1) not in LEVELS:
        return None
    return LEVELS[match.group(1)], match.group(2)


class RotatingFile:
    """A log file renamed to path.1 (path.1 to path.2 ...) once it reaches max_bytes; the
    oldest of `keep` old files goes. max_bytes 0 never rotates."""

    def __init__(self, path: Path, max_bytes: int, keep: int) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self.out: IO[bytes] = path.open("ab")
        self.size = self.out.tell()

    def write(self, line: bytes) -> None:
        self.out.write(line)
        self.out.flush()
        self.size += len(line)
        if self.max_bytes and self.size >= self.max_bytes:
            self.rotate()

    def rotate(self) -> None:
        self.out.close()
        for number in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{number + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        self.out, self.size = self.path.open("ab"), 0

    def close(self) -> None:
        self.out.close()


class KnotLog:
    """Reads knotd's output until it closes it (run() as a task)."""

    def __init__(self, path: Path, max_bytes: int, keep: int) -> None:
        self.file = RotatingFile(path, max_bytes, keep)
        self.errors: collections.deque[str] = collections.deque(maxlen=2)

    async def run(self, stream: asyncio.StreamReader) -> None:
        try:
            while line := await _read_line(stream):
                self.file.write(line if line.endswith(b"\n") else line + b"\n")
                self._forward(line.decode("utf-8", errors="replace").rstrip("\n"))
        finally:
            self.file.close()

    def _forward(self, text: str) -> None:
        found = forwarded(text)
        if found is None:
            return
        level, message = found
        _log.log(level, "knotd: %s", message)
        if level >= logging.ERROR:
            self.errors.append(message)


async def _read_line(stream: asyncio.StreamReader) -> bytes:
    """One line, or the first LINE_LIMIT octets of a longer one (b"" at the end)."""
    try:
        return await stream.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except asyncio.LimitOverrunError as exc:
        return await stream.readexactly(min(exc.consumed, LINE_LIMIT))
