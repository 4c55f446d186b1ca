"""A transfer done over EPP (real TLS) reaches both registrars: the poll message on the
wire as always, a webhook to each registrar's endpoint (real HTTP on loopback through the
dispatcher; the loopback channel stands in for protocols/webhooks until that is merged),
and an e-mail delivery queued for each registrar's address (the e-mail channel is another
branch's; here the row is checked, not the mail)."""

from __future__ import annotations

from protocols.epp.results import ResultCode
from registry_core.services import registrars
from tests.conftest import fetch
from tests.notify.conftest import eventually, hook_for, running
from tests.notify.receiver import Receiver

TRN = "epp:response/epp:resData/domain:trnData/domain:"


async def test_a_transfer_over_epp_reaches_both_registrars(clients, registry):
    core = registry
    receiver = Receiver()
    await receiver.start()
    try:
        for rid in ("alpha", "beta"):
            await registrars.update_registrar(core, rid, email=f"ops@{rid}.test")
            await hook_for(core, receiver, rid, path=rid)
        alpha, beta = await clients.login("alpha"), await clients.login("beta")
        created = await alpha.domain_create("moved.example", auth_info="Moved-Auth1")
        assert created.code == ResultCode.SUCCESS, created.raw
        requested = await beta.domain_transfer("request", "moved.example", auth_info="Moved-Auth1", period=1)
        assert requested.code == ResultCode.SUCCESS_ACTION_PENDING, requested.raw
        poll = await alpha.poll_request()
        assert poll.code == ResultCode.ACK_TO_DEQUEUE and poll.msgq_count == 1
        assert poll.findtext(TRN + "trStatus") == "pending" and poll.findtext(TRN + "reID") == "beta"
        approved = await alpha.domain_transfer("approve", "moved.example")
        assert approved.code == ResultCode.SUCCESS, approved.raw
        async with running(core):
            await eventually(lambda: _arrived(receiver, 5))  # created (alpha) + 2 transfer steps x 2
    finally:
        await receiver.stop()
    seen = sorted((a.path, a.body["type"]) for a in receiver.arrivals)
    assert seen == [("alpha", "domain.created"), ("alpha", "domain.transfer.approved"),
                    ("alpha", "domain.transfer.requested"), ("beta", "domain.transfer.approved"),
                    ("beta", "domain.transfer.requested")]
    assert all(a.body["data"]["domain"] == "moved.example" for a in receiver.arrivals)
    mails = await fetch(core, "SELECT n.target, e.type FROM notification n JOIN notification_event e "
                              "ON e.id = n.event_id WHERE n.channel = 'email' ORDER BY n.id")
    assert [(m["target"], m["type"]) for m in mails] == [
        ("ops@beta.test", "domain.transfer.requested"), ("ops@alpha.test", "domain.transfer.requested"),
        ("ops@beta.test", "domain.transfer.approved"), ("ops@alpha.test", "domain.transfer.approved")]
    polls = await fetch(core, "SELECT registrar_id, payload->>'trStatus' AS status FROM poll_message ORDER BY id")
    assert [(p["registrar_id"], p["status"]) for p in polls] == [
        ("beta", "pending"), ("alpha", "pending"), ("beta", "clientApproved"), ("alpha", "clientApproved")]


async def _arrived(receiver: Receiver, count: int) -> bool:
    return len(receiver.arrivals) >= count
