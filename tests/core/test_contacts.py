"""RFC 5733 contact rules against real PostgreSQL."""

import pytest

from registry_core.errors import (
    AuthInfoInvalid,
    InvalidValue,
    NotSponsor,
    ObjectExists,
    ObjectLinked,
    ObjectNotFound,
    PolicyViolation,
    StatusProhibits,
)
from registry_core.model.contact import ContactUpdate, PostalChange
from registry_core.services import contacts
from tests.conftest import actor, fetch
from tests.core.helpers import make_contact, make_domain


async def test_create_then_check_shows_the_handle_taken(core):
    await make_contact(core, "jd-1")
    result = await contacts.check_contacts(core, actor(), ["jd-1", "jd-2"])
    assert [(r.name, r.available) for r in result] == [("jd-1", False), ("jd-2", True)]


async def test_duplicate_handle_is_object_exists(core):
    await make_contact(core, "jd-1")
    with pytest.raises(ObjectExists):
        await make_contact(core, "jd-1", "beta")


async def test_invalid_handle_is_refused(core):
    with pytest.raises(InvalidValue):
        await make_contact(core, "x")


async def test_sponsor_sees_auth_info_and_it_is_encrypted_at_rest(core):
    await make_contact(core, "jd-1", auth="Secret-Auth9")
    info = await contacts.info_contact(core, actor(), "jd-1")
    assert info.auth_info == "Secret-Auth9"
    rows = await fetch(core, "SELECT auth_info FROM contact WHERE handle = 'jd-1'")
    assert b"Secret-Auth9" not in rows[0]["auth_info"]


async def test_other_registrar_needs_auth_info_for_contact_details(core):
    await make_contact(core, "jd-1", auth="Secret-Auth9")
    with pytest.raises(NotSponsor):
        await contacts.info_contact(core, actor("beta"), "jd-1")
    with pytest.raises(AuthInfoInvalid):
        await contacts.info_contact(core, actor("beta"), "jd-1", "wrong")
    info = await contacts.info_contact(core, actor("beta"), "jd-1", "Secret-Auth9")
    assert info.email == "jane@example.net"


async def test_only_the_sponsor_updates(core):
    await make_contact(core, "jd-1")
    with pytest.raises(NotSponsor):
        await contacts.update_contact(core, actor("beta"), ContactUpdate("jd-1", email="x@example.net"))


async def test_update_changes_postal_info_and_voice(core):
    await make_contact(core, "jd-1")
    await contacts.update_contact(core, actor(), ContactUpdate(
        "jd-1", postal=(PostalChange("int", name="John Doe"),), voice="", email="john@example.net"))
    info = await contacts.info_contact(core, actor(), "jd-1")
    assert info.postal[0].name == "John Doe" and info.postal[0].city == "Springfield"
    assert info.voice is None and info.email == "john@example.net"
    assert info.updater_id == "alpha"


async def test_client_update_prohibited_blocks_updates_except_its_removal(core):
    await make_contact(core, "jd-1")
    await contacts.update_contact(core, actor(), ContactUpdate(
        "jd-1", add_statuses=frozenset({"clientUpdateProhibited"})))
    with pytest.raises(StatusProhibits):
        await contacts.update_contact(core, actor(), ContactUpdate("jd-1", email="x@example.net"))
    await contacts.update_contact(core, actor(), ContactUpdate(
        "jd-1", rem_statuses=frozenset({"clientUpdateProhibited"})))


async def test_server_statuses_are_not_client_settable(core):
    await make_contact(core, "jd-1")
    with pytest.raises(PolicyViolation):
        await contacts.update_contact(core, actor(), ContactUpdate(
            "jd-1", add_statuses=frozenset({"serverUpdateProhibited"})))


async def test_linked_contact_cannot_be_deleted(core):
    await make_contact(core, "jd-1")
    await make_domain(core, "linked.example", registrant="jd-1")
    info = await contacts.info_contact(core, actor(), "jd-1")
    assert "linked" in info.statuses
    with pytest.raises(ObjectLinked):
        await contacts.delete_contact(core, actor(), "jd-1")


async def test_delete_frees_the_handle_and_keeps_history(core):
    await make_contact(core, "jd-1")
    await contacts.delete_contact(core, actor(), "jd-1")
    with pytest.raises(ObjectNotFound):
        await contacts.info_contact(core, actor(), "jd-1")
    await make_contact(core, "jd-1", "beta")
    rows = await fetch(core, "SELECT action FROM history WHERE object_type = 'contact' ORDER BY id")
    assert [r["action"] for r in rows] == ["create", "delete", "create"]


async def test_delete_prohibited_status_blocks_delete(core):
    await make_contact(core, "jd-1")
    await contacts.update_contact(core, actor(), ContactUpdate(
        "jd-1", add_statuses=frozenset({"clientDeleteProhibited"})))
    with pytest.raises(StatusProhibits):
        await contacts.delete_contact(core, actor(), "jd-1")
