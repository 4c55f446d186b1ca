"""The abuse case workflow and report rules on values (model/abuse_case.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry_core.errors import InvalidValue, PolicyViolation
from registry_core.model import abuse_case as rules


def test_the_workflow_moves_forward_and_refuses_skipped_steps() -> None:
    assert rules.state_after("new", "triage", 1) == "triaged"
    assert rules.state_after("triaged", "notify", 1) == "registrar-notified"
    assert rules.state_after("registrar-notified", "hold", 1) == "action-taken"
    assert rules.state_after("action-taken", "note", 1) == "action-taken"
    assert rules.state_after("action-taken", "close", 1) == "closed"
    with pytest.raises(PolicyViolation, match="case 7 is new: hold is not possible now"):
        rules.state_after("new", "hold", 7)  # triage first
    with pytest.raises(PolicyViolation):
        rules.state_after("closed", "note", 7)
    with pytest.raises(InvalidValue):
        rules.state_after("new", "delete", 7)


def test_only_cases_waiting_on_someone_are_overdue() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert rules.overdue("registrar-notified", now - timedelta(hours=1), now)
    assert not rules.overdue("registrar-notified", now + timedelta(hours=1), now)
    assert not rules.overdue("action-taken", now - timedelta(hours=1), now)


def test_names_mentioned_in_free_text() -> None:
    text = ("Phish at hxxp://login.phish[.]example/x, WWW.Other.Example and https://bücher.example/; "
            "mail me at bob@mail.example; not a name: 3.14 or foo.")
    assert rules.mentioned_names(text) == ["login.phish.example", "www.other.example", "xn--bcher-kva.example"]
    assert rules.candidate_parents("a.b.phish.example") == ["a.b.phish.example", "b.phish.example", "phish.example"]


def test_a_report_needs_an_address_a_kind_and_a_text() -> None:
    assert rules.reporter_address(" Bob@Example.NET ") == "bob@example.net"
    for bad in ("bob", "bob@localhost", "a b@example.net", "x" * 250 + "@example.net"):
        with pytest.raises(InvalidValue):
            rules.reporter_address(bad)
    with pytest.raises(InvalidValue):
        rules.threat_type("annoying")
    with pytest.raises(InvalidValue):
        rules.report_text("   ")
    assert len(rules.report_text("y" * 10000)) == rules.MAX_REPORT_TEXT
