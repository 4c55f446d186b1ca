"""FRED's habit against real PostgreSQL: a create or update with several independent
problems is refused once, with every problem in the order found; nothing is written. Checks
that depend on one another (existence, sponsorship, prohibiting statuses) still stop at the
first, and a single problem is raised as itself."""

from __future__ import annotations

import pytest

from registry_core.errors import (
    ContactPolicyViolation,
    CoreError,
    InvalidValue,
    NotSponsor,
    ObjectNotFound,
    PolicyErrors,
    PolicyViolation,
    StatusProhibits,
    SubordinateHostNeedsAddress,
    ValueOutOfRange,
)
from registry_core.model.contact import ContactCreate, ContactUpdate, PostalInfo
from registry_core.model.domain import DomainCreate, DomainUpdate, DsData
from registry_core.model.host import HostCreate, HostUpdate
from registry_core.services import contacts, domain_update, domains, hosts
from tests.conftest import actor, fetch
from tests.core.helpers import make_contact, make_domain, make_host


def summary(errors: tuple[CoreError, ...]) -> list[tuple[type[CoreError], str, str]]:
    return [(type(e), e.field, e.value) for e in errors]


async def test_domain_create_answers_every_independent_problem_at_once(core):
    await make_contact(core, "sh8013")
    with pytest.raises(PolicyErrors) as caught:
        await domains.create_domain(core, actor(), DomainCreate(
            "three.strict", 11, None, (("tech", "sh8013"),), ("ns1.nowhere.net",), "Domain-Auth1",
            (DsData(1, 8, 2, "ABC"),)))
    assert summary(caught.value.errors) == [
        (ValueOutOfRange, "period", "11"),
        (ContactPolicyViolation, "registrant", ""),  # .strict wants registrant and admin too
        (InvalidValue, "digest", "ABC"),
        (ObjectNotFound, "", ""),
    ]
    assert caught.value.errors[-1].object_type == "host" and caught.value.errors[-1].name == "ns1.nowhere.net"
    assert "requires registrant, admin" in caught.value.errors[1].detail
    assert await fetch(core, "SELECT 1 FROM domain") == []
    assert await fetch(core, "SELECT 1 FROM ledger WHERE action = 'create'") == []


async def test_domain_create_with_one_problem_raises_it_alone(core):
    with pytest.raises(ValueOutOfRange):
        await make_domain(core, "one.example", years=11)


async def test_domain_create_reports_each_unknown_contact_and_host_once(core):
    with pytest.raises(PolicyErrors) as caught:
        await domains.create_domain(core, actor(), DomainCreate(
            "ghosts.example", 1, "ghost1", (("admin", "ghost1"), ("tech", "ghost2")),
            ("ns1.nowhere.net", "NS1.nowhere.net", "-bad-.net"), "Domain-Auth1"))
    assert [(type(e), e.object_type, e.name) for e in caught.value.errors] == [
        (ObjectNotFound, "contact", "ghost1"), (ObjectNotFound, "contact", "ghost2"),
        (InvalidValue, "host", "-bad-.net"), (ObjectNotFound, "host", "ns1.nowhere.net")]


async def test_domain_create_in_a_wrong_tld_stops_there(core):
    with pytest.raises(PolicyViolation) as caught:
        await domains.create_domain(core, actor(), DomainCreate("x.other", 11, None, (), ("ns1.nowhere.net",)))
    assert not isinstance(caught.value, PolicyErrors)


async def test_domain_update_answers_every_independent_problem_at_once(core):
    await make_contact(core, "sh8013")
    await make_host(core, "ns1.example.net")
    await make_domain(core, "upd.strict", registrant="sh8013", ns=("ns1.example.net",),
                      contacts_=(("admin", "sh8013"), ("tech", "sh8013")))
    with pytest.raises(PolicyErrors) as caught:
        await domain_update.update_domain(core, actor(), DomainUpdate(
            "upd.strict", add_nameservers=("ns1.example.net", "ns9.nowhere.net"),
            rem_contacts=(("tech", "sh8013"),), add_statuses=frozenset({"serverHold"}),
            add_ds=(DsData(1, 8, 2, "ABC"),)))
    assert summary(caught.value.errors) == [
        (PolicyViolation, "status", "serverHold"),
        (ObjectNotFound, "", ""),
        (PolicyViolation, "hostObj", "ns1.example.net"),
        (ContactPolicyViolation, "tech", ""),
        (InvalidValue, "digest", "ABC"),
    ]
    rows = await fetch(core, "SELECT statuses FROM domain WHERE name = 'upd.strict'")
    assert rows == [{"statuses": []}]
    assert len(await fetch(core, "SELECT 1 FROM domain_contact")) == 2


async def test_domain_update_of_a_foreign_domain_stops_at_sponsorship(core):
    await make_domain(core, "theirs.example", registrar="beta")
    with pytest.raises(NotSponsor):
        await domain_update.update_domain(core, actor(), DomainUpdate(
            "theirs.example", add_nameservers=("ns9.nowhere.net",), add_statuses=frozenset({"serverHold"})))


async def test_contact_create_answers_every_independent_problem_at_once(core):
    bad_postal = PostalInfo("int", "Jane Doe", None, ("1 Main St",), "Springfield", None, None, "usa")
    with pytest.raises(PolicyErrors) as caught:
        await contacts.create_contact(core, actor(), ContactCreate(
            "x", (bad_postal,), "not-an-email", "Contact-Auth1", voice="555-0123"))
    assert summary(caught.value.errors) == [
        (InvalidValue, "id", "x"), (InvalidValue, "cc", "usa"), (InvalidValue, "email", "not-an-email"),
        (InvalidValue, "voice", "555-0123")]
    assert await fetch(core, "SELECT 1 FROM contact") == []


async def test_contact_update_answers_every_independent_problem_at_once(core):
    await make_contact(core, "sh8013")
    with pytest.raises(PolicyErrors) as caught:
        await contacts.update_contact(core, actor(), ContactUpdate(
            "sh8013", add_statuses=frozenset({"clientHold"}), rem_statuses=frozenset({"clientDeleteProhibited"}),
            email="nope", fax="12345"))
    assert summary(caught.value.errors) == [
        (InvalidValue, "email", "nope"), (InvalidValue, "fax", "12345"),
        (PolicyViolation, "status", "clientHold"), (PolicyViolation, "status", "clientDeleteProhibited")]
    assert caught.value.errors[2].detail == "status is not client-settable"
    assert caught.value.errors[3].detail == "status not present"
    assert (await fetch(core, "SELECT email FROM contact"))[0]["email"] == "jane@example.net"


async def test_contact_update_under_a_prohibiting_status_stops_there(core):
    await make_contact(core, "sh8013")
    await contacts.update_contact(core, actor(), ContactUpdate(
        "sh8013", add_statuses=frozenset({"clientUpdateProhibited"})))
    with pytest.raises(StatusProhibits):
        await contacts.update_contact(core, actor(), ContactUpdate("sh8013", email="nope", fax="12345"))


async def test_host_create_answers_every_independent_problem_at_once(core):
    with pytest.raises(PolicyErrors) as caught:
        await hosts.create_host(core, actor(), HostCreate(
            "ns1.missing.example", ("192.0.2.300", "v6:192.0.2.1", "10.1.2.3")))
    assert [(type(e), e.object_type, e.value or e.name) for e in caught.value.errors] == [
        (InvalidValue, "host", "192.0.2.300"), (InvalidValue, "host", "192.0.2.1"),
        (PolicyViolation, "host", "10.1.2.3"), (ObjectNotFound, "domain", "missing.example")]
    assert await fetch(core, "SELECT 1 FROM host") == []


async def test_host_update_answers_every_independent_problem_at_once(core):
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    with pytest.raises(PolicyErrors) as caught:
        await hosts.update_host(core, actor(), HostUpdate(
            "ns1.parent.example", add_addresses=("192.0.2.1", "127.0.0.1"), rem_addresses=("192.0.2.9",),
            add_statuses=frozenset({"clientHold"})))
    assert summary(caught.value.errors) == [
        (PolicyViolation, "addr", "127.0.0.1"), (PolicyViolation, "addr", "192.0.2.1"),
        (PolicyViolation, "addr", "192.0.2.9"), (PolicyViolation, "status", "clientHold")]
    assert [e.detail for e in caught.value.errors[1:3]] == ["address already present", "address not present"]


async def test_host_update_that_strips_glue_and_sets_a_bad_status(core):
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    with pytest.raises(PolicyErrors) as caught:
        await hosts.update_host(core, actor(), HostUpdate(
            "ns1.parent.example", rem_addresses=("192.0.2.1",), add_statuses=frozenset({"serverHold"}),
            rem_statuses=frozenset({"clientUpdateProhibited"})))
    assert summary(caught.value.errors) == [
        (PolicyViolation, "status", "serverHold"), (PolicyViolation, "status", "clientUpdateProhibited"),
        (SubordinateHostNeedsAddress, "addr", "")]
    assert (await fetch(core, "SELECT count(*) AS n FROM host_address"))[0]["n"] == 1
