"""A transfer done over EPP (real TLS) reaches both registrars on every channel: the poll
message on the wire as always, the e-mails (the real EmailChannel through a real SMTP relay
with STARTTLS and AUTH, parsed back and DKIM-verified by dkimpy) and the webhooks (the real
WebhookChannel over HTTPS to a receiver that verifies them with the standardwebhooks
package), delivered by the dispatcher after commit (tests/notify/peers.py).

Who gets an e-mail by default (registry_core/db/repo/notifications.py, no preference set):
the audience registrar's address, except for what it did itself, QUIET_BY_DEFAULT
(domain.created, renewed, deleted, restored, dns.published). So alpha's create mails nobody;
the transfer request and the approval each mail the gaining (beta) and the losing (alpha)
registrar. Every event goes to every live webhook endpoint of its registrar."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from protocols.cli.certs import DevCerts
from protocols.epp.results import ResultCode
from registry_core.model.notification import QUIET_BY_DEFAULT
from registry_core.services import registrars
from tests.conftest import fetch
from tests.notify.conftest import eventually, hook_for, running
from tests.notify.peers import Peers, started_peers

TRN = "epp:response/epp:resData/domain:trnData/domain:"
ADDRESSES = {"alpha": "ops@alpha.test", "beta": "ops@beta.test"}


async def test_a_transfer_over_epp_reaches_both_registrars(clients, registry, dev_certs: DevCerts,
                                                            tmp_path: Path) -> None:
    core = registry
    assert "domain.created" in QUIET_BY_DEFAULT and "domain.transfer.requested" not in QUIET_BY_DEFAULT
    async with started_peers(dev_certs, tmp_path) as peers:
        for rid, address in ADDRESSES.items():
            await registrars.update_registrar(core, rid, email=address)
            await hook_for(core, peers.receiver, rid, path=rid)
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
        beta_poll = await beta.poll_request()  # beta's queue: its own request, then the approval
        assert beta_poll.code == ResultCode.ACK_TO_DEQUEUE and beta_poll.msgq_count == 2
        assert beta_poll.findtext(TRN + "trStatus") == "pending"
        async with running(core, peers):
            await eventually(lambda: _arrived(peers, webhooks=5, mails=4))
        _check_webhooks(peers)
        await _check_mails(core, peers)
    polls = await fetch(core, "SELECT registrar_id, payload->>'trStatus' AS status FROM poll_message ORDER BY id")
    assert [(p["registrar_id"], p["status"]) for p in polls] == [
        ("beta", "pending"), ("alpha", "pending"), ("beta", "clientApproved"), ("alpha", "clientApproved")]


async def _arrived(peers: Peers, webhooks: int, mails: int) -> bool:
    return len(peers.receiver.arrivals) >= webhooks and len(peers.sink.received) >= mails


def _check_webhooks(peers: Peers) -> None:
    receiver = peers.receiver
    assert receiver.refused == 0  # every signature verified (standardwebhooks) against its endpoint's secret
    seen = sorted((a.path, a.body["type"]) for a in receiver.arrivals)
    assert seen == [("alpha", "domain.created"), ("alpha", "domain.transfer.approved"),
                    ("alpha", "domain.transfer.requested"), ("beta", "domain.transfer.approved"),
                    ("beta", "domain.transfer.requested")]
    assert all(a.body["data"]["domain"] == "moved.example" for a in receiver.arrivals)
    assert len({a.webhook_id for a in receiver.arrivals}) == 5


async def _check_mails(core, peers: Peers) -> None:
    mails = peers.mails()  # each DKIM-verified, received over STARTTLS after AUTH
    got = sorted((str(m["To"]), str(m["Subject"])) for m in mails)
    assert got == [("ops@alpha.test", "Transfer of moved.example: approved"),
                   ("ops@alpha.test", "Transfer of moved.example: requested"),
                   ("ops@beta.test", "Transfer of moved.example: approved"),
                   ("ops@beta.test", "Transfer of moved.example: requested")]
    assert {m["From"] for m in mails} == {"Example NIC <nic@nic.example>"}  # the TLD's sender
    assert all(m["Auto-Submitted"] == "auto-generated" for m in mails)
    assert all("Gaining registrar: beta" in _text(m) and "Losing registrar: alpha" in _text(m) for m in mails)
    rows = await fetch(core, "SELECT key FROM notification WHERE channel = 'email' AND status = 'sent'")
    assert {str(m["Message-ID"]) for m in mails} == {f"<notify.{r['key']}@nic.example>" for r in rows}


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())
