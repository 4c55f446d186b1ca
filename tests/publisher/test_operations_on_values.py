"""The pure parts of the DNS operations on values: RFC 1982 serial comparison, the commit
times a batch reports to the probe, the [dns] keys read into the publisher's and the
probe's settings, the status lines, the reconcile's log text, and knot.log (which lines
reach our log, size rotation keeping a few files)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocols.cli.dns import propagation_lines
from protocols.config import ConfigError, config_from_mapping
from protocols.dns.knot_log import RotatingFile, forwarded
from protocols.dns.probe import serial_reached
from protocols.dns.publishing import probe_settings, publisher_settings
from protocols.dns.reconciler import describe
from registry_core.model.zone import RRset
from registry_core.model.zone_diff import diff_owner
from registry_core.services.dns_publication import Batch

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("served", "wanted", "reached"), [
    (7, 7, True), (8, 7, True), (6, 7, False),
    (0, 2 ** 32 - 1, True),  # wrapped around: 0 comes after 4294967295
    (2 ** 32 - 1, 0, False),
    (5 + 2 ** 31 - 1, 5, True),  # the farthest serial still "after"
    (5 + 2 ** 31, 5, False),  # exactly half the space away is undefined in RFC 1982: not reached
])
def test_serials_compare_with_rfc_1982_arithmetic(served: int, wanted: int, reached: bool) -> None:
    assert serial_reached(served, wanted) is reached


def test_a_batch_reports_the_commit_time_of_each_owner_it_changes() -> None:
    ns = (RRset("a.example.", "NS", 3600, ("ns.x.net.",)),)
    batch = Batch("example", [("a.example", 1), ("same.example", 2)], [diff_owner("a.example.", (), ns)],
                  changed_at={"a.example": AT, "same.example": AT})
    assert batch.committed() == [("a.example", AT)]  # same.example had no difference: nothing propagates


def test_the_dns_keys_set_the_publisher_and_the_probe() -> None:
    config = config_from_mapping({"dns": {"batch_size": "50", "batch_wait": "0.5", "poll_interval": "7",
                                          "attempts": "5", "backoff": "1", "probe_timeout": "60",
                                          "probe_interval": "2", "probe_queue": "10", "probe_history": "100",
                                          "reconcile_interval": "0"}})
    settings = publisher_settings(config)
    assert (settings.batch_size, settings.batch_wait, settings.poll_interval, settings.attempts,
            settings.backoff) == (50, 0.5, 7.0, 5, 1.0)
    probe = probe_settings(config)
    assert (probe.timeout, probe.interval, probe.limit, probe.history) == (60.0, 2.0, 10, 100)
    assert config.dns.reconcile_interval == 0
    for key in ("batch_size", "attempts", "probe_timeout", "probe_interval"):
        with pytest.raises(ConfigError, match=f"dns.{key}: must be more than 0"):
            config_from_mapping({"dns": {key: "0"}})


def test_status_lines_name_where_propagation_was_measured() -> None:
    server = {"server": "127.0.0.1@5301", "serial": 12, "checked_at": AT, "wanted_serial": 12, "lag_seconds": 0.25}
    late = {**server, "server": "127.0.0.1@5302", "serial": 11, "lag_seconds": None}
    found = {"changes": 3, "not_served": 1, "p50": 0.5, "p95": 0.9, "max": 1.0, "measured_on": "secondaries",
             "servers": [server, late]}
    assert propagation_lines(found) == [
        "propagation          last 3 changes, commit to served by every secondary: p50 0.50 s  p95 0.90 s  "
        "max 1.00 s  not served 1",
        "server               127.0.0.1@5301  serial 12  lag 0.25 s  (wanted 12, checked 2026-12-03T12:00:00Z)",
        "server               127.0.0.1@5302  serial 11  lag not served in time  (wanted 12, checked "
        "2026-12-03T12:00:00Z)"]
    primary = propagation_lines({**found, "measured_on": "primary", "servers": []})
    assert "by the primary (no [dns] secondaries configured)" in primary[0]
    assert propagation_lines({**found, "changes": 0}) == ["propagation          nothing measured yet"]


def test_the_reconcile_log_names_the_drifted_owners() -> None:
    stray = diff_owner("stray.example.", (RRset("stray.example.", "NS", 3600, ("ns.x.net.",)),), ())
    assert describe([stray]) == "stray.example. (served NS ns.x.net., wanted nothing)"
    assert describe([stray] * 12).endswith(" and 2 more")


def test_knot_warnings_and_errors_reach_our_log_info_stays_in_knot_log() -> None:
    assert forwarded("2026-12-03T12:23:55+0000 info: Knot DNS 3.2.6 starting") is None
    assert forwarded("2026-12-03T12:23:55+0000 warning: [example.] DNSSEC, key expiring") == (
        logging.WARNING, "[example.] DNSSEC, key expiring")
    assert forwarded("2026-12-03T12:23:55+0000 error: cannot bind address") == (logging.ERROR, "cannot bind address")
    assert forwarded("garbage without a level") is None


def test_knot_log_rotates_by_size_keeping_a_few_files(tmp_path: Path) -> None:
    path = tmp_path / "knot.log"
    log = RotatingFile(path, max_bytes=100, keep=2)
    for i in range(30):
        log.write(f"line {i:02d} {'x' * 20}\n".encode())  # 29 octets a line: a rotation every 4 lines
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knot.log", "knot.log.1", "knot.log.2"]
    assert path.read_text().splitlines()[-1].startswith("line 29")
    assert (tmp_path / "knot.log.1").read_text().splitlines()[-1].startswith("line 27")
    assert (tmp_path / "knot.log.2").read_text().splitlines()[0].startswith("line 20")
