"""Poll queue order and acknowledgement; the ledger always sums to the balance."""

from decimal import Decimal

import pytest

from registry_core.errors import ObjectNotFound
from registry_core.services import poll, registrars, transfers
from tests.conftest import actor
from tests.core.helpers import make_domain


async def test_poll_is_oldest_first_and_ack_dequeues(core):
    await make_domain(core, "a.example", auth="A-Auth1")
    await make_domain(core, "b.example", auth="B-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "a.example", "A-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "b.example", "B-Auth1")
    first = await poll.poll_request(core, actor())
    assert first.count == 2 and first.message is not None and first.message.payload["name"] == "a.example"
    after = await poll.poll_ack(core, actor(), str(first.message.id))
    assert after.count == 1 and after.message is not None and after.message.payload["name"] == "b.example"


async def test_ack_of_unknown_or_foreign_message_is_not_found(core):
    await make_domain(core, "a.example", auth="A-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "a.example", "A-Auth1")
    mine = await poll.poll_request(core, actor("beta"))
    assert mine.message is not None
    with pytest.raises(ObjectNotFound):
        await poll.poll_ack(core, actor("alpha"), "999999")
    other = await poll.poll_request(core, actor("alpha"))
    assert other.message is not None
    with pytest.raises(ObjectNotFound):
        await poll.poll_ack(core, actor("beta"), str(other.message.id))


async def test_empty_queue(core):
    assert (await poll.poll_request(core, actor())).count == 0


async def test_ledger_sums_to_balance_after_mixed_activity(core):
    await make_domain(core, "a.example", years=3, auth="A-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "a.example", "A-Auth1")
    await transfers.act_on_transfer(core, actor(), "domain", "a.example", "reject")
    for rid in ("alpha", "beta"):
        balance = (await registrars.get_registrar(core, rid)).balance
        assert await registrars.ledger_sum(core, rid) == balance
    assert (await registrars.get_registrar(core, "alpha")).balance == Decimal("970.00")


async def test_low_balance_alert_queues_one_poll_message(core):
    await registrars.update_registrar(core, "alpha", low_balance_alert=Decimal("985"))
    await make_domain(core, "a.example")
    await make_domain(core, "b.example")
    state = await poll.poll_request(core, actor())
    assert state.count == 1 and state.message is not None and state.message.kind == "lowBalance"
