"""Access requests for redacted data (NIS2 Art. 28(5)) against the real database: due 72 hours
after receipt, overdue after that (listed as such and alerted to the operator once, through
the notification outbox), decided with the fields disclosed and who decided; each step in
the audit search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry_core.errors import PermissionDenied, PolicyViolation
from registry_core.model.accounts import Principal
from registry_core.services import access_requests, audit_search, lifecycle
from tests.conftest import fetch

STAFF = Principal("user", 1, "clerk@nic.test", "support", None)
REGISTRAR = Principal("user", 2, "owner@alpha.test", "owner", "alpha")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def _received(core, clock, name: str = "Shop.Example") -> int:
    clock.frozen = T0
    got = await access_requests.receive_access_request(core, STAFF, name, "CERT-EE", "cert@cert.test",
                                                       "phishing investigation", ["email", "name"])
    assert (got.received_at, got.due_at, got.domain) == (T0, T0 + timedelta(hours=72), "shop.example")
    return got.id


async def test_a_request_past_72_hours_is_overdue_and_alerts_the_operator_once(core, clock):
    request_id = await _received(core, clock)
    clock.frozen = T0 + timedelta(hours=71, minutes=59)
    assert await access_requests.list_access_requests(core, STAFF, overdue_only=True) == []
    assert (await lifecycle.run_lifecycle(core)).access_alerts == 0
    clock.frozen = T0 + timedelta(hours=72, minutes=1)
    overdue = await access_requests.list_access_requests(core, STAFF, overdue_only=True)
    assert [(r.id, r.overdue) for r in overdue] == [(request_id, True)]
    assert (await lifecycle.run_lifecycle(core)).access_alerts == 1
    assert (await lifecycle.run_lifecycle(core)).access_alerts == 0  # once per request
    alerts = await fetch(core, "SELECT type, audience, payload FROM notification_event WHERE type LIKE '%access%'")
    assert [(a["type"], a["audience"], a["payload"]["request"]) for a in alerts] == [
        ("operator.alert.access_request_overdue", "operator", request_id)]


async def test_a_decision_records_fields_and_who_and_shows_in_the_audit_search(core, clock):
    request_id = await _received(core, clock)
    clock.frozen = T0 + timedelta(hours=5)
    with pytest.raises(PolicyViolation):
        await access_requests.decide_access_request(core, STAFF, request_id, "partial", ["voice"], "not asked")
    done = await access_requests.decide_access_request(core, STAFF, request_id, "partial", ["email"],
                                                       "name withheld: natural person")
    assert (done.decision, done.fields_disclosed, done.decided_by, done.overdue) == (
        "partial", ("email",), "clerk@nic.test", False)
    with pytest.raises(PolicyViolation, match="decided already"):
        await access_requests.decide_access_request(core, STAFF, request_id, "refused", [], "again")
    rows = await audit_search.search_history(core, STAFF, "shop.example")
    assert [r.action for r in rows] == ["access-request-decided", "access-request-received"]
    assert rows[0].via == {"user": "clerk@nic.test"} and rows[0].after["fields_disclosed"] == ["email"]


async def test_only_registry_staff_handle_access_requests(core, clock):
    with pytest.raises(PermissionDenied):
        await access_requests.receive_access_request(core, REGISTRAR, "a.example", "x", "x@x.test", "y", ["email"])
    with pytest.raises(PermissionDenied):
        await access_requests.list_access_requests(core, REGISTRAR)
