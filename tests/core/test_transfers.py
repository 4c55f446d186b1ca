"""Transfers of domains and contacts, with poll messages and money."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from registry_core.errors import (
    AuthInfoInvalid,
    NotEligibleForTransfer,
    NotSponsor,
    StatusProhibits,
    TransferAlreadyPending,
    TransferNotPending,
)
from registry_core.model.domain import DomainUpdate
from registry_core.services import domain_update, domains, poll, registrars, transfers
from tests.conftest import actor, fetch
from tests.core.helpers import make_contact, make_domain, make_host


async def _pending(core, name="move.example"):
    await make_domain(core, name, auth="Move-Auth1")
    return await transfers.request_transfer(core, actor("beta"), "domain", name, "Move-Auth1")


async def test_request_needs_the_right_auth_info(core):
    await make_domain(core, "move.example", auth="Move-Auth1")
    with pytest.raises(AuthInfoInvalid):
        await transfers.request_transfer(core, actor("beta"), "domain", "move.example", "wrong")
    with pytest.raises(NotEligibleForTransfer):
        await transfers.request_transfer(core, actor("alpha"), "domain", "move.example", "Move-Auth1")


async def test_request_puts_domain_in_pending_transfer_and_charges_gainer(core):
    info = await _pending(core)
    assert info.status == "pending" and info.gaining_id == "beta" and info.losing_id == "alpha"
    assert "pendingTransfer" in (await domains.info_domain(core, actor(), "move.example")).statuses
    assert (await registrars.get_registrar(core, "beta")).balance == Decimal("990.00")
    with pytest.raises(TransferAlreadyPending):
        await transfers.request_transfer(core, actor("beta"), "domain", "move.example", "Move-Auth1")


async def test_pending_transfer_blocks_update_renew_and_delete(core):
    await _pending(core)
    with pytest.raises(StatusProhibits):
        await domain_update.update_domain(core, actor(), DomainUpdate("move.example", auth_info="x"))
    with pytest.raises(StatusProhibits):
        await domains.delete_domain(core, actor(), "move.example")


async def test_transfer_prohibited_status_blocks_request(core):
    await make_domain(core, "locked.example", auth="Lock-Auth1")
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "locked.example", add_statuses=frozenset({"clientTransferProhibited"})))
    with pytest.raises(StatusProhibits):
        await transfers.request_transfer(core, actor("beta"), "domain", "locked.example", "Lock-Auth1")


async def test_approve_moves_domain_adds_a_year_and_replaces_auth_info(core):
    await make_domain(core, "parent.example", auth="Move-Auth1")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    before = await domains.info_domain(core, actor(), "parent.example")
    await transfers.request_transfer(core, actor("beta"), "domain", "parent.example", "Move-Auth1")
    with pytest.raises(NotSponsor):
        await transfers.act_on_transfer(core, actor("beta"), "domain", "parent.example", "approve")
    done = await transfers.act_on_transfer(core, actor(), "domain", "parent.example", "approve")
    assert done.status == "clientApproved"
    after = await domains.info_domain(core, actor("beta"), "parent.example")
    assert after.sponsor_id == "beta" and after.expires_at.year == before.expires_at.year + 1
    assert after.auth_info != "Move-Auth1"
    from registry_core.services import hosts
    assert (await hosts.info_host(core, actor(), "ns1.parent.example")).sponsor_id == "beta"


async def test_reject_and_cancel_refund_the_gainer(core):
    await _pending(core)
    with pytest.raises(NotSponsor):
        await transfers.act_on_transfer(core, actor(), "domain", "move.example", "cancel")
    await transfers.act_on_transfer(core, actor(), "domain", "move.example", "reject")
    assert (await registrars.get_registrar(core, "beta")).balance == Decimal("1000.00")
    await transfers.request_transfer(core, actor("beta"), "domain", "move.example", "Move-Auth1")
    await transfers.act_on_transfer(core, actor("beta"), "domain", "move.example", "cancel")
    assert (await registrars.get_registrar(core, "beta")).balance == Decimal("1000.00")
    with pytest.raises(TransferNotPending):
        await transfers.act_on_transfer(core, actor(), "domain", "move.example", "approve")


async def test_every_step_queues_a_poll_message_to_both_registrars(core):
    await _pending(core)
    await transfers.act_on_transfer(core, actor(), "domain", "move.example", "reject")
    for rid in ("alpha", "beta"):
        rows = await fetch(core, "SELECT payload FROM poll_message WHERE registrar_id = $1 ORDER BY id", rid)
        assert [r["payload"]["trStatus"] for r in rows] == ["pending", "clientRejected"]


async def test_query_returns_latest_transfer_to_parties_only(core):
    await _pending(core)
    assert (await transfers.query_transfer(core, actor(), "domain", "move.example")).status == "pending"
    await make_domain(core, "never.example")
    with pytest.raises(TransferNotPending):
        await transfers.query_transfer(core, actor(), "domain", "never.example")


async def test_server_approves_after_the_waiting_time(core, clock):
    clock.frozen = datetime(2026, 3, 1, tzinfo=UTC)
    await _pending(core)
    assert await transfers.approve_due_transfers_counted(core) == (0, 0)
    clock.frozen += timedelta(days=5, seconds=1)
    assert await transfers.approve_due_transfers_counted(core) == (1, 0)
    assert await transfers.approve_due_transfers_counted(core) == (0, 0)
    info = await domains.info_domain(core, actor("beta"), "move.example")
    assert info.sponsor_id == "beta" and "pendingTransfer" not in info.statuses
    state = await poll.poll_request(core, actor("alpha"))
    assert state.count == 2 and state.message is not None and state.message.payload["trStatus"] == "pending"


async def test_contacts_transfer_too(core):
    await make_contact(core, "c-move", auth="Contact-Auth1")
    await transfers.request_transfer(core, actor("beta"), "contact", "c-move", "Contact-Auth1")
    await transfers.act_on_transfer(core, actor(), "contact", "c-move", "approve")
    from registry_core.services import contacts
    assert (await contacts.info_contact(core, actor("beta"), "c-move")).sponsor_id == "beta"
