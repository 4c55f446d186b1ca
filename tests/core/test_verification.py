"""Registrant verification (NIS2 Art. 28) against the real database and the real SMTP relay
(tests/notify/peers.py): the state machine with method, fields and who decided; the e-mail
code read out of the mail the relay received; the TLD deadline that puts a domain on
serverHold (lifecycle runner) and the release when the registrant is verified."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from registry_core.errors import InvalidValue, PermissionDenied, PolicyViolation
from registry_core.model.accounts import Principal
from registry_core.services import audit_search, lifecycle, tlds
from registry_core.services import registrant_verification as verification
from tests.conftest import fetch
from tests.core.helpers import make_contact, make_domain
from tests.notify.conftest import eventually, notify_certs, peers, running  # noqa: F401 (SMTP relay fixtures)

STAFF = Principal("user", 1, "clerk@nic.test", "support", None)
OWNER = Principal("user", 2, "owner@alpha.test", "owner", "alpha")
RIVAL = Principal("user", 3, "owner@beta.test", "owner", "beta")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def test_document_verification_walks_the_states_with_fields_method_and_reviewer(core):
    await make_contact(core, "jane")
    assert (await verification.get_verification(core, OWNER, "jane")).state == "unverified"
    with pytest.raises(PermissionDenied):
        await verification.request_verification(core, RIVAL, "jane", "document")
    with pytest.raises(PolicyViolation):  # nothing to review yet
        await verification.review_document(core, STAFF, "jane", True, ["name"], "nothing submitted")
    assert (await verification.request_verification(core, OWNER, "jane", "document")).state == "requested"
    assert (await verification.submit_document(core, OWNER, "jane", "DMS-4711 passport")).state == "pending_review"
    with pytest.raises(PermissionDenied):
        await verification.review_document(core, OWNER, "jane", True, ["name"], "self-approved")
    failed = await verification.review_document(core, STAFF, "jane", False, [], "scan unreadable")
    assert (failed.state, failed.decided_by, failed.fields) == ("failed", "clerk@nic.test", ())
    await verification.request_verification(core, OWNER, "jane", "document")
    await verification.submit_document(core, OWNER, "jane", "DMS-4712 passport, readable")
    done = await verification.review_document(core, STAFF, "jane", True, ["name", "postal"], "matches ID card")
    assert (done.state, done.method, done.fields, done.document_ref) == (
        "verified", "document", ("name", "postal"), "DMS-4712 passport, readable")
    actions = [r.action for r in await audit_search.search_history(core, STAFF, "jane")]
    assert actions == ["verification-approve", "verification-submit-document", "verification-request",
                       "verification-reject", "verification-submit-document", "verification-request", "create"]


async def test_an_open_request_expires(core, clock):
    await make_contact(core, "jane")
    clock.frozen = T0
    await verification.request_verification(core, OWNER, "jane", "document")
    clock.frozen = T0 + timedelta(days=15)
    await lifecycle.run_lifecycle(core)
    assert (await verification.get_verification(core, OWNER, "jane")).state == "expired"
    with pytest.raises(PolicyViolation):
        await verification.submit_document(core, OWNER, "jane", "too late")


async def test_email_verification_with_the_code_from_the_relay(core, peers):  # noqa: F811
    await make_contact(core, "jane")
    await verification.request_verification(core, OWNER, "jane", "email")

    def bodies() -> list[tuple[str, str]]:
        return [(str(m["To"]), m.get_body(("plain",)).get_content().replace("\r\n", "\n")) for m in peers.mails()]

    async def arrived() -> bool:
        return bool(bodies())
    async with running(core, peers):
        await eventually(arrived, bound=30)
    [(to, body)] = bodies()
    assert to == "jane@example.net"
    code = re.search(r"^code: (\S+)$", body, re.MULTILINE)
    assert code, body
    with pytest.raises(InvalidValue):
        await verification.confirm_email(core, "jane", "not-the-code")
    done = await verification.confirm_email(core, "jane", code.group(1))
    assert (done.state, done.method, done.fields, done.decided_by) == ("verified", "email", ("email",), "email-code")
    with pytest.raises(InvalidValue):
        await verification.confirm_email(core, "jane", code.group(1))  # used


async def test_an_unverified_registrant_puts_the_domain_on_server_hold_after_n_days(core, clock):
    await tlds.configure_tld(core, "example", verification="document", verification_days=30)
    clock.frozen = T0
    await make_contact(core, "jane")
    await make_domain(core, "held.example", registrant="jane")
    await make_domain(core, "free.strict", registrant="jane", contacts_=(("admin", "jane"), ("tech", "jane")))
    clock.frozen = T0 + timedelta(days=29)
    assert (await lifecycle.run_lifecycle(core)).verification_holds == 0
    clock.frozen = T0 + timedelta(days=30, minutes=1)
    assert (await lifecycle.run_lifecycle(core)).verification_holds == 1  # .strict asks for no verification
    assert (await lifecycle.run_lifecycle(core)).verification_holds == 0
    rows = await fetch(core, "SELECT name, statuses FROM domain ORDER BY name")
    held = [(r["name"], "serverHold" in r["statuses"]) for r in rows]
    assert held == [("free.strict", False), ("held.example", True)]
    await verification.request_verification(core, OWNER, "jane", "document")
    await verification.submit_document(core, OWNER, "jane", "DMS-1 passport")
    await verification.review_document(core, STAFF, "jane", True, ["name"], "matches")
    statuses = (await fetch(core, "SELECT statuses FROM domain WHERE name = 'held.example'"))[0]["statuses"]
    assert "serverHold" not in statuses
    actions = [r.action for r in await audit_search.search_history(core, STAFF, "held.example")]
    assert actions[:2] == ["verification-release", "verification-hold"]
    assert (await lifecycle.run_lifecycle(core)).verification_holds == 0  # verified now
