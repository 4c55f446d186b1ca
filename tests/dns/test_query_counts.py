"""ICANN's DNS query counts from Knot's own counters (mod-stats), read from a real knotd:
UDP and TCP queries received and responded per TLD, the deltas between readings (a
restart's smaller reading counted from zero), and the counts landing in the monthly
activity report through the same batches as EPP, WHOIS and RDAP."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import dns.asyncquery
import dns.message
import dns.rdatatype

from protocols.dns.knot_stats import QueryCountDeltas, parse, query_counts
from protocols.net.activity import ActivityCounter
from protocols.serve.activity import flush_once
from protocols.serve.dns_activity import read_query_counts
from registry_core.context import Core
from registry_core.model.icann_reports import Month
from registry_core.services import icann_reports
from tests.dns.conftest import Servers

SAMPLE = """[example.] mod-stats.request-protocol[udp4] = 7
[example.] mod-stats.request-protocol[udp6] = 1
[example.] mod-stats.request-protocol[tcp4] = 2
[example.] mod-stats.server-operation[query] = 10
[example.] mod-stats.response-code[NOERROR] = 8
[example.] mod-stats.response-code[NXDOMAIN] = 1
"""


def test_knot_counters_become_the_report_fields_and_deltas() -> None:
    counts = query_counts(parse(SAMPLE))
    assert counts == {"dns-udp-queries-received": 8, "dns-udp-queries-responded": 7,
                      "dns-tcp-queries-received": 2, "dns-tcp-queries-responded": 2}
    deltas = QueryCountDeltas()
    assert deltas.add("example.", counts) == counts
    assert deltas.add("example.", {**counts, "dns-udp-queries-received": 11}) == {"dns-udp-queries-received": 3}
    assert deltas.add("example.", {"dns-udp-queries-received": 2}) == {"dns-udp-queries-received": 2}  # restarted


async def test_queries_to_knot_are_counted_into_the_activity_report(servers: Servers, core: Core) -> None:
    knot, port = servers.knot, servers.settings.port
    deltas, counter = QueryCountDeltas(), ActivityCounter()
    await read_query_counts(knot, deltas, counter)  # what earlier tests asked: the baseline
    counter.take()
    for _ in range(3):
        await dns.asyncquery.udp(dns.message.make_query("example.", dns.rdatatype.SOA), "127.0.0.1", port=port,
                                 timeout=3.0)
    for _ in range(2):
        await dns.asyncquery.tcp(dns.message.make_query("nothere.example.", dns.rdatatype.A), "127.0.0.1",
                                 port=port, timeout=3.0)
    await read_query_counts(knot, deltas, counter)
    counted = dict(counter.counts)
    # NSD and BIND transfer and refresh on their own schedules: at least what we asked
    assert counted[("example", None, "dns-udp-queries-received")] >= 3
    assert counted[("example", None, "dns-tcp-queries-received")] >= 2
    assert counted[("example", None, "dns-tcp-queries-responded")] >= 2
    assert counted[("example", None, "dns-udp-queries-responded")] >= 3
    await flush_once(core, counter)
    now = datetime.now(UTC)
    _, activity = await icann_reports.monthly_reports(core, "example", Month(now.year, now.month))
    rows = list(csv.DictReader(io.StringIO(activity.decode())))
    assert int(rows[0]["dns-udp-queries-received"]) == counted[("example", None, "dns-udp-queries-received")]
    assert int(rows[0]["dns-tcp-queries-responded"]) == counted[("example", None, "dns-tcp-queries-responded")]
