"""The dispatcher over the real test database with the product's channels (WebhookChannel,
EmailChannel) and real peers on loopback: an HTTPS receiver whose signature checks are the
standardwebhooks package's, an SMTP relay with STARTTLS and AUTH (tests/notify/peers.py).
Retries, dead letters, the per-endpoint limit, two dispatchers sharing a queue, and a
`registry notify run` process killed mid-batch."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from protocols.mail.channel import EmailChannel
from protocols.notify.dispatcher import Dispatcher, DispatcherSettings
from registry_core.model.notification import NotifyPref, RetryPolicy
from registry_core.services import notifications, notify_prefs
from tests.conftest import ROOT, TEST_KEY, fetch
from tests.core.helpers import make_domain
from tests.notify.conftest import eventually, hook_for, queue_events, running, statuses
from tests.notify.peers import Peers

FAST = RetryPolicy(base=timedelta(seconds=0.2), cap=timedelta(seconds=2), jitter=0.3)


async def sent_count(core) -> int:
    return (await statuses(core)).get("webhook/sent", 0)


async def test_a_committed_event_arrives_signed_with_its_delivery_id(core, peers, receiver):
    await hook_for(core, receiver)
    async with running(core, peers):
        await make_domain(core, "hello.example")
        await eventually(lambda: _true(receiver.arrivals))
    [arrival] = receiver.arrivals
    rows = await fetch(core, "SELECT key, status, attempts FROM notification WHERE channel = 'webhook'")
    assert rows == [{"key": arrival.webhook_id, "status": "sent", "attempts": 1}]
    assert arrival.body["type"] == "domain.created" and arrival.body["data"]["domain"] == "hello.example"
    assert receiver.refused == 0


async def _true(value: object) -> bool:
    return bool(value)


async def test_failures_are_retried_with_growing_gaps_under_the_same_id(core, peers, receiver):
    await hook_for(core, receiver)
    receiver.fail_first = 4
    async with running(core, peers, retry=FAST):
        await queue_events(core, 1)
        await eventually(lambda: _true(receiver.arrivals))
    [(webhook_id, times)] = receiver.attempt_times.items()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 5 and all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False))
    assert receiver.arrivals[0].webhook_id == webhook_id
    [row] = await fetch(core, "SELECT status, attempts, last_error FROM notification WHERE channel = 'webhook'")
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 5, None)


async def test_after_the_retry_period_a_delivery_is_dead_until_retried(core, peers, receiver):
    await hook_for(core, receiver)
    receiver.fail_first = 10**6
    policy = RetryPolicy(base=timedelta(seconds=0.1), cap=timedelta(seconds=0.2), give_up_after=timedelta(seconds=1))
    async with running(core, peers, retry=policy):
        await queue_events(core, 1)
        await eventually(lambda: _has(core, "webhook/dead"))
        [row] = await fetch(core, "SELECT id, attempts, last_error FROM notification WHERE channel = 'webhook'")
        assert row["attempts"] >= 3 and row["last_error"] == "endpoint answered 500: 'try later'"
        receiver.fail_first = 0
        await notifications.retry_notification(core, row["id"])
        await eventually(lambda: _true(receiver.arrivals))
    assert (await statuses(core)) == {"webhook/sent": 1}


async def _has(core, key: str) -> bool:
    return key in await statuses(core)


async def test_a_refusal_is_dead_at_once_and_a_removed_endpoint_too(core, peers, receiver):
    await hook_for(core, receiver)
    receiver.secrets[:] = ["whsec_" + "A" * 44]  # the receiver now expects another secret: 400
    async with running(core, peers, retry=FAST):
        await queue_events(core, 1)
        await eventually(lambda: _has(core, "webhook/dead"))
    gone = await hook_for(core, receiver, "beta")
    await queue_events(core, 1, "beta", tag="gone")
    await notify_prefs.remove_webhook(core, "registrar:beta", gone)
    async with running(core, peers, retry=FAST):
        await eventually(lambda: _dead(core, 2))
    rows = await fetch(core, "SELECT attempts, last_error FROM notification WHERE channel = 'webhook' ORDER BY id")
    assert [(r["attempts"], r["last_error"]) for r in rows] == [(1, "endpoint answered 400: 'bad signature'"),
                                                                (1, "the webhook endpoint was removed")]
    assert receiver.arrivals == []


async def _dead(core, count: int) -> bool:
    return (await statuses(core)).get("webhook/dead") == count


async def test_one_endpoint_gets_at_most_per_target_deliveries_at_once(core, peers, receiver):
    await hook_for(core, receiver, path="a")
    await hook_for(core, receiver, path="b")
    receiver.delay = 0.02
    async with running(core, peers, per_target=3, max_in_flight=32, batch=10):
        await queue_events(core, 60)
        await eventually(lambda: _done(core, 120))
    assert receiver.peak["a"] <= 3 and receiver.peak["b"] <= 3
    assert receiver.peak["a"] + receiver.peak["b"] > 2  # more than one at a time did happen
    assert set(receiver.ids().values()) == {1} and len(receiver.ids()) == 120


async def _done(core, count: int) -> bool:
    return await sent_count(core) == count


async def test_two_dispatchers_over_ten_thousand_messages_send_each_once(core, peers, receiver):
    await hook_for(core, receiver)
    await queue_events(core, 10_000)
    async with running(core, peers, batch=200, max_in_flight=64, per_target=64) as one, \
            running(core, peers, batch=200, max_in_flight=64, per_target=64) as two:
        await eventually(lambda: _done(core, 10_000), bound=600)
    counts = receiver.ids()
    assert len(counts) == 10_000 and set(counts.values()) == {1}
    assert one.outcomes["sent"] + two.outcomes["sent"] == 10_000
    assert one.outcomes["sent"] > 0 and two.outcomes["sent"] > 0
    assert await statuses(core) == {"webhook/sent": 10_000}


def _config(path: Path, dsn: str, peers: Peers) -> Path:
    path.write_text(peers.toml() + f"""[database]
url = "{dsn}"
pool_min = 1
pool_max = 4
[registry]
auth_info_key = "{TEST_KEY}"
[notify]
channels = ["email", "webhook"]
lease = 2.0
batch = 25
max_in_flight = 25
per_target = 25
""")
    return path


async def test_a_dispatcher_killed_mid_batch_loses_nothing_and_sends_nothing_twice(core, peers, receiver, test_dsn,
                                                                                    tmp_path):
    await hook_for(core, receiver)
    receiver.delay = 0.005
    await queue_events(core, 1500)
    config = _config(tmp_path / "notify.toml", test_dsn, peers)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "protocols.cli", "--config", str(config), "notify", "run", cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        await eventually(lambda: _true(len(receiver.arrivals) >= 300), bound=120)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    at_kill = len(receiver.arrivals)
    assert at_kill < 1500  # killed mid-way
    async with running(core, peers, batch=100, max_in_flight=50, per_target=50):
        await eventually(lambda: _done(core, 1500), bound=300)
    counts = receiver.ids()
    keys = {r["key"] for r in await fetch(core, "SELECT key FROM notification WHERE channel = 'webhook'")}
    assert set(counts) == keys  # nothing lost
    repeated = {k for k, n in counts.items() if n > 1}
    # at least once: only what the killed process had sent but not yet recorded comes again (at most the
    # 25 it had in flight), under the same webhook-id and with the same body, so the receiver drops it
    assert len(repeated) <= 25 and all(n == 2 for k, n in counts.items() if k in repeated)
    bodies = {}
    for arrival in receiver.arrivals:
        assert bodies.setdefault(arrival.webhook_id, arrival.body) == arrival.body
    sent_twice = await fetch(core, "SELECT count(*) AS n FROM notification WHERE channel = 'webhook' "
                                   "AND attempts > 1 AND status = 'sent'")
    assert sent_twice[0]["n"] >= len(repeated)


async def test_mails_go_through_the_relay_signed_and_a_refused_address_is_dead_at_once(core, peers, receiver):
    """The e-mail channel under the dispatcher: STARTTLS, AUTH, DKIM; the relay's 550 for one
    address dead-letters that delivery only (the sink refuses nobody@)."""
    await notify_prefs.set_pref(core, NotifyPref("registrar:alpha", "*", ("ops@alpha.test", "nobody@alpha.test"), ()))
    async with running(core, peers, retry=FAST):
        await queue_events(core, 3)
        await eventually(lambda: _mails_done(core, sent=3, dead=3))
    mails = peers.mails()  # each received over STARTTLS after AUTH, DKIM-verified
    assert sorted(str(m["Subject"]) for m in mails) == [f"d{i}.example: dns published" for i in range(3)]
    rows = await fetch(core, "SELECT target, key, status, last_error FROM notification WHERE channel = 'email' "
                             "ORDER BY id")
    # the Message-ID is the delivery key at the sender of .example mails (peers.TLD_FROM)
    sent = {f"<notify.{r['key']}@nic.example>" for r in rows if r["target"] == "ops@alpha.test"}
    assert {str(m["Message-ID"]) for m in mails} == sent
    assert {(r["status"], r["last_error"][:15]) for r in rows if r["target"] != "ops@alpha.test"} == {
        ("dead", "relay answered ")}
    assert receiver.arrivals == []  # the preference names no endpoint


async def _mails_done(core, sent: int, dead: int) -> bool:
    counts = (await notifications.outbox_status(core)).counts
    return counts.get("email/sent") == sent and counts.get("email/dead") == dead


async def test_a_relay_that_hangs_holds_up_no_webhook(core, peers, receiver):
    """Each channel has its own max_in_flight: e-mails stuck on a relay that accepts the
    connection and never greets fill the e-mail slots only; the webhooks of the same events
    are delivered meanwhile, and the stuck mails come back to the queue, not lost."""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepted, never answered: the SMTP greeting never comes

    tarpit = await asyncio.start_server(silent, "127.0.0.1", 0)
    channels = peers.channels()
    relay = dataclasses.replace(peers.mail_config(), relay_port=tarpit.sockets[0].getsockname()[1],
                                connect_timeout=60.0, command_timeout=60.0)
    channels["email"] = EmailChannel(relay)
    await notify_prefs.set_pref(core, NotifyPref("registrar:alpha", "*", ("ops@alpha.test",), None))
    await hook_for(core, receiver)
    dispatcher = Dispatcher(core, channels, DispatcherSettings(poll_interval=0.5, max_in_flight=4, batch=10,
                                                               per_target=4, delivery_timeout=30.0))
    await dispatcher.start()
    try:
        await queue_events(core, 40)
        await eventually(lambda: _done(core, 40), bound=60)  # every webhook, while all four mails hang
        assert dispatcher.busy["email"] == 4 and len(held) == 4
        email_rows = await fetch(core, "SELECT status FROM notification WHERE channel = 'email'")
        assert len(email_rows) == 40 and {r["status"] for r in email_rows} == {"queued"}
    finally:
        await dispatcher.stop(0.5)
        tarpit.close()
        for writer in held:
            writer.close()
    assert len(receiver.ids()) == 40 and set(receiver.ids().values()) == {1}
