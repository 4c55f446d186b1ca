"""RFC 5731 domain rules against real PostgreSQL."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from registry_core.errors import (
    AuthInfoInvalid,
    ContactPolicyViolation,
    CurrentExpiryMismatch,
    DomainHasSubordinateHosts,
    InvalidValue,
    NotSponsor,
    ObjectExists,
    ObjectNotFound,
    PolicyViolation,
    StatusProhibits,
    ValueOutOfRange,
)
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.services import domain_update, domains, registrars
from tests.conftest import actor, fetch
from tests.core.helpers import make_contact, make_domain, make_host


async def test_check_reports_taken_invalid_and_foreign_names(core):
    await make_domain(core, "taken.example")
    result = await domains.check_domains(core, actor(), ["taken.example", "free.example", "-bad-.example",
                                                         "x.other", "TAKEN.example"])
    assert [r.available for r in result] == [False, True, False, False, False]
    assert all(r.reason for r in result if not r.available)


async def test_create_sets_expiry_charges_and_writes_history(core, clock):
    clock.frozen = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    created = await make_domain(core, "new.example", years=2)
    assert created.expires_at == datetime(2028, 1, 15, 12, 0, tzinfo=UTC)
    assert (await registrars.get_registrar(core, "alpha")).balance == Decimal("980.00")
    ledger = await fetch(core, "SELECT amount, action, period_years FROM ledger WHERE action = 'create'")
    assert ledger == [{"amount": Decimal("-20.00"), "action": "create", "period_years": 2}]
    history = await fetch(core, "SELECT action, registrar_id, sv_trid FROM history WHERE object_type = 'domain'")
    assert history[0]["action"] == "create" and history[0]["registrar_id"] == "alpha"


async def test_idn_u_label_is_stored_as_a_label(core):
    await make_domain(core, "bücher.example")
    info = await domains.info_domain(core, actor(), "xn--bcher-kva.example")
    assert info.name == "xn--bcher-kva.example"


async def test_duplicate_is_object_exists(core):
    await make_domain(core, "dup.example")
    with pytest.raises(ObjectExists):
        await make_domain(core, "DUP.example", "beta")


async def test_names_outside_served_tlds_are_refused(core):
    with pytest.raises(PolicyViolation):
        await make_domain(core, "a.b.example")
    with pytest.raises(InvalidValue):
        await make_domain(core, "-bad-.example")


async def test_period_over_ten_years_is_out_of_range(core):
    with pytest.raises(ValueOutOfRange):
        await make_domain(core, "long.example", years=11)


async def test_unknown_contact_or_host_is_not_found(core):
    with pytest.raises(ObjectNotFound):
        await make_domain(core, "x.example", registrant="nobody")
    with pytest.raises(ObjectNotFound):
        await make_domain(core, "x.example", ns=("ns1.nowhere.net",))


async def test_required_contact_policy_needs_registrant_admin_and_tech(core):
    await make_contact(core, "c-1")
    with pytest.raises(ContactPolicyViolation):
        await make_domain(core, "x.strict", registrant="c-1")
    await make_domain(core, "x.strict", registrant="c-1", contacts_=(("admin", "c-1"), ("tech", "c-1")))


async def test_none_contact_policy_refuses_contacts(core):
    await make_contact(core, "c-1")
    with pytest.raises(ContactPolicyViolation):
        await make_domain(core, "x.thin", registrant="c-1")
    await make_domain(core, "x.thin")


async def test_info_shows_auth_info_to_the_sponsor_only(core):
    await make_domain(core, "mine.example", auth="Right-Auth1")
    assert (await domains.info_domain(core, actor(), "mine.example")).auth_info == "Right-Auth1"
    public = await domains.info_domain(core, actor("beta"), "mine.example")
    assert public.auth_info is None and not public.full
    with pytest.raises(AuthInfoInvalid):
        await domains.info_domain(core, actor("beta"), "mine.example", "Wrong")
    holder = await domains.info_domain(core, actor("beta"), "mine.example", "Right-Auth1")
    assert holder.full and holder.auth_info is None  # RFC 5731 3.1.2: never to a non-sponsor


async def test_domain_without_nameservers_is_inactive(core):
    await make_domain(core, "bare.example")
    assert (await domains.info_domain(core, actor(), "bare.example")).statuses == ("inactive",)


async def test_update_applies_every_change_in_one_transaction(core):
    await make_contact(core, "c-1")
    await make_contact(core, "c-2")
    await make_host(core, "ns1.provider.net")
    await make_domain(core, "upd.example", registrant="c-1")
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "upd.example", add_nameservers=("ns1.provider.net",), add_contacts=(("tech", "c-2"),),
        add_statuses=frozenset({"clientHold"}), registrant="c-2", auth_info="New-Auth2",
        add_ds=(DsData(12345, 13, 2, "AB" * 32),)))
    info = await domains.info_domain(core, actor(), "upd.example")
    assert info.nameservers == ("ns1.provider.net",)
    assert info.contacts == (("tech", "c-2"),) and info.registrant == "c-2"
    assert info.statuses == ("clientHold",) and info.auth_info == "New-Auth2"
    assert info.ds[0].key_tag == 12345


async def test_failed_update_changes_nothing(core):
    await make_host(core, "ns1.provider.net")
    await make_domain(core, "atomic.example")
    with pytest.raises(ObjectNotFound):
        await domain_update.update_domain(core, actor(), DomainUpdate(
            "atomic.example", add_nameservers=("ns1.provider.net",), add_contacts=(("tech", "ghost"),)))
    assert (await domains.info_domain(core, actor(), "atomic.example")).nameservers == ()


async def test_non_sponsor_cannot_update_renew_or_delete(core):
    await make_domain(core, "mine.example")
    with pytest.raises(NotSponsor):
        await domain_update.update_domain(core, actor("beta"), DomainUpdate("mine.example", auth_info="x"))
    info = await domains.info_domain(core, actor(), "mine.example")
    with pytest.raises(NotSponsor):
        await domains.renew_domain(core, actor("beta"), "mine.example", info.expires_at.date(), 1)
    with pytest.raises(NotSponsor):
        await domains.delete_domain(core, actor("beta"), "mine.example")


async def test_renew_checks_current_expiry_and_adds_years(core):
    created = await make_domain(core, "ren.example")
    with pytest.raises(CurrentExpiryMismatch):
        await domains.renew_domain(core, actor(), "ren.example", created.created_at.date(), 1)
    renewed = await domains.renew_domain(core, actor(), "ren.example", created.expires_at.date(), 3)
    assert renewed.expires_at.year == created.expires_at.year + 3


async def test_renew_beyond_ten_years_is_refused(core):
    created = await make_domain(core, "max.example", years=9)
    with pytest.raises(PolicyViolation):
        await domains.renew_domain(core, actor(), "max.example", created.expires_at.date(), 2)


async def test_client_renew_prohibited_blocks_renew(core):
    created = await make_domain(core, "lock.example")
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "lock.example", add_statuses=frozenset({"clientRenewProhibited"})))
    with pytest.raises(StatusProhibits):
        await domains.renew_domain(core, actor(), "lock.example", created.expires_at.date(), 1)


async def test_domain_with_subordinate_hosts_cannot_be_deleted(core):
    await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    with pytest.raises(DomainHasSubordinateHosts):
        await domains.delete_domain(core, actor(), "parent.example")


async def test_delete_frees_the_name_and_unlinks_contacts(core):
    await make_contact(core, "c-1")
    await make_domain(core, "gone.example", registrant="c-1")
    await domains.delete_domain(core, actor(), "gone.example")
    assert (await domains.check_domains(core, actor(), ["gone.example"]))[0].available
    from registry_core.services import contacts
    await contacts.delete_contact(core, actor(), "c-1")


async def test_create_refused_when_money_runs_out(core):
    from registry_core.errors import InsufficientFunds
    await registrars.credit_registrar(core, "alpha", Decimal("-995.00"), "drain", "t-drain")
    await make_domain(core, "one.example")  # 5 - 10 = -5, within the 100 credit line
    with pytest.raises(InsufficientFunds):
        await make_domain(core, "two.example", years=10)
    assert (await registrars.get_registrar(core, "alpha")).balance == Decimal("-5.00")
    assert (await domains.check_domains(core, actor(), ["two.example"]))[0].available
