"""Knot's per-zone query counters (mod-stats, read with `knotc zone-stats`) turned into the
DNS fields of ICANN's registry functions activity report (Specification 3): UDP and TCP
queries received and responded, per TLD. Knot counts since it started; the deltas between
two readings are what the period adds (a smaller reading means knotd restarted).

Received is Knot's request count per transport. Knot answers every query it parses with
a response code (counted apart from the transport); queries left unanswered are put on
UDP, where loss and dropping happen, so responded = received for TCP and the rest of the
answers for UDP."""

from __future__ import annotations

import re
from collections.abc import Mapping

_LINE = re.compile(r"^\[(?P<zone>[^\]]+)\] mod-stats\.(?P<counter>[a-z-]+)\[(?P<item>[^\]]+)\] = (?P<value>\d+)$")
FIELDS = ("dns-udp-queries-received", "dns-udp-queries-responded", "dns-tcp-queries-received",
          "dns-tcp-queries-responded")


def parse(output: str) -> dict[tuple[str, str], int]:
    """{(counter, item): value} of one zone's `knotc zone-stats ZONE mod-stats` output."""
    found: dict[tuple[str, str], int] = {}
    for line in output.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found[(match["counter"], match["item"])] = int(match["value"])
    return found


def query_counts(counters: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """The four report fields from one zone's counters (cumulative)."""
    udp = sum(v for (c, item), v in counters.items() if c == "request-protocol" and item.startswith("udp"))
    tcp = sum(v for (c, item), v in counters.items() if c == "request-protocol" and item.startswith("tcp"))
    answered = sum(v for (c, _), v in counters.items() if c == "response-code")
    tcp_answered = min(tcp, answered)
    return {"dns-udp-queries-received": udp, "dns-udp-queries-responded": min(udp, answered - tcp_answered),
            "dns-tcp-queries-received": tcp, "dns-tcp-queries-responded": tcp_answered}


class QueryCountDeltas:
    """What each reading adds to the last one, per (zone, field)."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], int] = {}

    def add(self, zone: str, counts: Mapping[str, int]) -> dict[str, int]:
        added = {}
        for field, value in counts.items():
            before = self.last.get((zone, field), 0)
            added[field] = value - before if value >= before else value  # smaller: knotd started again
            self.last[(zone, field)] = value
        return {f: n for f, n in added.items() if n}
