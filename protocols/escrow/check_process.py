"""The deposit's check in a process of its own, fed the XML as the writer writes it.

Writing a big deposit and checking it are both CPU work in Python; one after the other they
took the sum of their times, and in one process they would share one interpreter lock. The
writer hands every byte it writes to the file to this process too (through a pipe; a full
pipe makes the writer wait, so memory stays flat), which validates and runs the rules while
the deposit is being written (check.check_stream), and prints its report as one JSON line
when the document ends. A checker that stops reading early (a document it cannot parse)
simply gets no more bytes; its report says why.

`python -m protocols.escrow.check_process FILE_NAME` is the child."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from protocols.escrow.check import CheckReport, check_stream

ROOT = Path(__file__).resolve().parents[2]


class CheckProcess:
    """Blocking: start it, feed it and finish it off the event loop (the writer's thread)."""

    def __init__(self, file_name: str) -> None:
        # our own interpreter and module, and a file name we made: no outside input in argv
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "protocols.escrow.check_process", file_name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        self.listening = True

    def write(self, data: bytes) -> None:
        if not self.listening:
            return
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:  # it died: finish() reports it
            self.listening = False

    def finish(self) -> CheckReport:
        """Close the input and wait for the report."""
        try:
            out, _ = self.proc.communicate()
        except BrokenPipeError:  # the rest of our buffer had nowhere to go
            out, _ = self.proc.communicate()
        if self.proc.returncode != 0 or not out.strip():
            return CheckReport(problems=[f"the check process failed (exit status {self.proc.returncode})"])
        return _report(json.loads(out))

    def abort(self) -> None:
        self.proc.kill()
        with contextlib.suppress(BrokenPipeError):
            self.proc.communicate()


def _report(data: dict[str, Any]) -> CheckReport:
    return CheckReport(problems=[str(p) for p in data["problems"]], counts=Counter(data["counts"]),
                       header={str(k): int(v) for k, v in data["header"].items()},
                       deposit_type=str(data["deposit_type"]), tld=str(data["tld"]))


def main(file_name: str) -> int:
    report = check_stream(sys.stdin.buffer, file_name)
    sys.stdin.buffer.read()  # drain: the writer never blocks on a checker that stopped early
    print(json.dumps({"problems": report.problems, "counts": dict(report.counts), "header": report.header,
                      "deposit_type": report.deposit_type, "tld": report.tld}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
