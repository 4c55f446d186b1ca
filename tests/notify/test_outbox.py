"""The notification outbox on the real test database: events are written by the command's
own transaction (a rollback leaves nothing), fan out by preference to e-mail and webhook
deliveries, keep the EPP poll queue as it was, and reminders and alerts are idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from registry_core.errors import InsufficientFunds
from registry_core.model import notification as note
from registry_core.model.domain import DomainCreate
from registry_core.services import (
    dns_publication,
    domains,
    lifecycle,
    notifications,
    notify_prefs,
    registrars,
    reminders,
    tlds,
    transfers,
)
from tests.conftest import PRICES, actor, fetch
from tests.core.helpers import make_domain, make_host


async def deliveries(core, *where: str) -> list[dict]:
    sql = ("SELECT n.channel, n.target, n.status, n.key, n.poll_message_id, e.type, e.audience, e.payload "
           "FROM notification n JOIN notification_event e ON e.id = n.event_id")
    return await fetch(core, sql + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY n.id")


async def test_a_command_that_fails_after_writing_its_event_leaves_no_trace(core):
    await tlds.add_tld(core, "dear", prices={**PRICES, "create": Decimal(5000)})
    with pytest.raises(InsufficientFunds):  # the charge comes after the event in create_domain
        await domains.create_domain(core, actor("alpha"), DomainCreate("gold.dear", 1, None, (), (), "Dear-Auth1"))
    assert await fetch(core, "SELECT * FROM notification_event WHERE object_name = 'gold.dear'") == []
    await make_domain(core, "plain.example")
    assert [(r["type"], r["audience"]) for r in await deliveries(core, "e.object_name = 'plain.example'")] == []
    events = await fetch(core, "SELECT type, audience, payload FROM notification_event WHERE object_name = $1",
                         "plain.example")
    assert [(e["type"], e["audience"]) for e in events] == [("domain.created", "registrar:alpha")]
    assert events[0]["payload"]["domain"] == "plain.example" and events[0]["payload"]["registrar"] == "alpha"


async def test_a_transfer_reaches_both_registrars_on_every_channel_they_chose(core):
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    await registrars.update_registrar(core, "beta", email="ops@beta.test")
    hook, _secret = await notify_prefs.add_webhook(core, "registrar:beta", "https://hooks.beta.test/in")
    await make_domain(core, "moving.example", auth="Move-Auth1")
    await transfers.request_transfer(core, actor("beta"), "domain", "moving.example", "Move-Auth1")
    rows = await deliveries(core, "e.type = 'domain.transfer.requested'")
    assert sorted((r["audience"], r["channel"], r["target"]) for r in rows) == [
        ("registrar:alpha", "email", "ops@alpha.test"), ("registrar:alpha", "poll", "alpha"),
        ("registrar:beta", "email", "ops@beta.test"), ("registrar:beta", "poll", "beta"),
        ("registrar:beta", "webhook", str(hook))]
    assert {r["status"] for r in rows if r["channel"] == "poll"} == {"sent"}
    assert {r["status"] for r in rows if r["channel"] != "poll"} == {"queued"}
    assert len({r["key"] for r in rows}) == len(rows)  # one delivery id each
    body = rows[0]["payload"]
    assert (body["domain"], body["gaining"], body["losing"], body["trStatus"]) == \
        ("moving.example", "beta", "alpha", "pending")


async def test_poll_messages_keep_their_rows_ids_and_order(core):
    await make_domain(core, "a.example", auth="Move-Auth1")
    await make_domain(core, "b.example", auth="Move-Auth1")
    for name in ("a.example", "b.example"):
        await transfers.request_transfer(core, actor("beta"), "domain", name, "Move-Auth1")
    await transfers.act_on_transfer(core, actor("alpha"), "domain", "a.example", "reject")
    polls = await fetch(core, "SELECT id, registrar_id, kind, message, payload FROM poll_message ORDER BY id")
    # as before the outbox: per step, gaining then losing; the payload exactly the old one
    assert [(p["registrar_id"], p["payload"]["name"], p["payload"]["trStatus"]) for p in polls] == [
        ("beta", "a.example", "pending"), ("alpha", "a.example", "pending"),
        ("beta", "b.example", "pending"), ("alpha", "b.example", "pending"),
        ("beta", "a.example", "clientRejected"), ("alpha", "a.example", "clientRejected")]
    assert [p["id"] for p in polls] == list(range(polls[0]["id"], polls[0]["id"] + 6))
    assert set(polls[0]["payload"]) == {"object_type", "name", "trStatus", "reID", "reDate", "acID", "acDate",
                                        "exDate"}
    linked = await deliveries(core, "n.channel = 'poll'")
    assert [r["poll_message_id"] for r in linked] == [p["id"] for p in polls]


async def test_preferences_choose_the_channels_per_event_type(core):
    await registrars.update_registrar(core, "alpha", email="ops@alpha.test")
    first, _ = await notify_prefs.add_webhook(core, "registrar:alpha", "https://one.alpha.test/")
    second, _ = await notify_prefs.add_webhook(core, "registrar:alpha", "https://two.alpha.test/")
    aud = "registrar:alpha"
    await notify_prefs.set_pref(core, note.NotifyPref(aud, "*", ("billing@alpha.test",), (first,)))
    await notify_prefs.set_pref(core, note.NotifyPref(aud, "domain.renewed", (), None))
    created = await make_domain(core, "prefs.example")
    await domains.renew_domain(core, actor("alpha"), "prefs.example", created.expires_at.date(), 1)
    rows = await deliveries(core, "e.object_name = 'prefs.example'")
    assert sorted((r["type"], r["channel"], r["target"]) for r in rows) == [
        ("domain.created", "email", "billing@alpha.test"), ("domain.created", "webhook", str(first)),
        ("domain.renewed", "webhook", str(first)), ("domain.renewed", "webhook", str(second))]
    assert await notify_prefs.reset_pref(core, aud, "*")
    await notify_prefs.remove_webhook(core, aud, second)
    await make_domain(core, "later.example")  # the defaults again: created is quiet by mail
    assert [(r["channel"], r["target"]) for r in await deliveries(core, "e.object_name = 'later.example'")] == \
        [("webhook", str(first))]


async def test_low_balance_fires_once_per_crossing(core):
    await registrars.update_registrar(core, "alpha", low_balance_alert=Decimal(975))
    for name in ("one", "two", "three", "four"):  # 1000 -> 990, 980, 970 (crossed), 960
        await make_domain(core, f"{name}.example")
    await registrars.credit_registrar(core, "alpha", Decimal(100), "top-up", "credit-1")  # 1060
    for name in ("five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen"):
        await make_domain(core, f"{name}.example")  # 1060 -> 970: crossed again at the 9th
    low = await fetch(core, "SELECT payload FROM notification_event WHERE type = 'registrar.balance.low' "
                            "ORDER BY id")
    assert [(e["payload"]["balance"], e["payload"]["threshold"]) for e in low] == \
        [("970.00", "975.00"), ("970.00", "975.00")]
    polls = await fetch(core, "SELECT payload FROM poll_message WHERE kind = 'lowBalance'")
    assert [p["payload"] for p in polls] == [{"balance": "970.00", "threshold": "975.00"}] * 2
    credits = await fetch(core, "SELECT payload FROM notification_event WHERE type = 'registrar.credit.added' "
                                "AND audience = 'registrar:alpha'")
    assert [c["payload"]["amount"] for c in credits] == ["1000", "100"]


async def test_expiry_reminders_are_written_once_per_window(core, clock):
    await tlds.configure_tld(core, "example", expiry_reminder_days="30,7,1")
    created = await make_domain(core, "soon.example")
    await make_domain(core, "later.example", years=2)
    expiry = created.expires_at
    for days_before, runs in ((31, 1), (29, 3), (6, 2), (0.5, 1)):
        clock.frozen = expiry - timedelta(days=days_before)
        for _ in range(runs):
            await reminders.send_reminders(core, clock.frozen)
    rows = await fetch(core, "SELECT payload FROM notification_event WHERE type = 'domain.expiry.reminder' "
                             "ORDER BY id")
    assert [(r["payload"]["domain"], r["payload"]["days"]) for r in rows] == \
        [("soon.example", 30), ("soon.example", 7), ("soon.example", 1)]


async def test_certificate_reminders_at_30_and_7_days(core, clock):
    start = clock.now()
    await registrars.add_certificate(core, "alpha", "ab" * 32, "CN=alpha", not_after=start + timedelta(days=40))
    for days_later in (5, 11, 12, 34, 35):
        await reminders.send_certificate_reminders(core, start + timedelta(days=days_later))
    rows = await fetch(core, "SELECT audience, payload FROM notification_event "
                             "WHERE type = 'registrar.certificate.expiring' ORDER BY id")
    assert [(r["audience"], r["payload"]["days"]) for r in rows] == [("registrar:alpha", 30), ("registrar:alpha", 7)]


async def test_a_rotated_secret_stays_valid_for_the_overlap(core, clock):
    aud = "registrar:alpha"
    hook, old = await notify_prefs.add_webhook(core, aud, "https://hooks.alpha.test/")
    assert old.startswith("whsec_") and 24 <= len(__import__("base64").b64decode(old[6:])) <= 64
    new = await notify_prefs.rotate_webhook(core, aud, hook, timedelta(hours=2))
    await make_domain(core, "signed.example")

    async def secrets_now() -> tuple[str, ...]:
        claimed = await notifications.claim_deliveries(core, notifications.ClaimRequest(
            __import__("uuid").uuid4(), 10, timedelta(seconds=0), ("webhook",), 10))
        assert len(claimed) == 1 and isinstance(claimed[0].target, note.WebhookTarget)
        return claimed[0].target.secrets
    assert await secrets_now() == (new, old)
    clock.frozen = clock.now() + timedelta(hours=3)
    assert await secrets_now() == (new,)
    with pytest.raises(Exception, match="webhook URL"):
        await notify_prefs.add_webhook(core, aud, "http://plain.alpha.test/")


def test_the_retry_schedule_backs_off_for_about_a_day_then_gives_up():
    policy = note.RetryPolicy()
    start = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
    now, gaps, attempts = start, [], 0
    while True:
        attempts += 1
        due = policy.next_attempt(attempts, start, now, 0.5)  # the middle of the jitter
        if due is None:
            break
        gaps.append((due - now).total_seconds())
        now = due
    assert gaps[:4] == [30, 60, 120, 240] and max(gaps) == 6 * 3600
    assert all(b >= a for a, b in zip(gaps, gaps[1:], strict=False))
    assert timedelta(hours=18) < now - start <= timedelta(days=1) and 10 < attempts < 20
    low, high = policy.next_attempt(3, start, start, 0.0), policy.next_attempt(3, start, start, 0.999)
    assert low is not None and high is not None and (high - low).total_seconds() > 60


async def test_a_dns_publication_tells_each_sponsor_and_a_parked_batch_the_operator(core):
    await make_host(core, "ns.external.net")
    await make_domain(core, "a-dns.example", ns=("ns.external.net",))
    await make_domain(core, "b-dns.example", "beta", ns=("ns.external.net",))
    batch = await dns_publication.plan_batch(core, "example")
    assert batch is not None
    serial = await dns_publication.commit_batch(core, batch)
    rows = await fetch(core, "SELECT audience, key, payload FROM notification_event "
                             "WHERE type = 'domain.dns.published' ORDER BY object_name")
    assert [(r["audience"], r["payload"]["domain"], r["payload"]["delegated"], r["payload"]["publication"])
            for r in rows] == [("registrar:alpha", "a-dns.example", True, serial),
                               ("registrar:beta", "b-dns.example", True, serial)]
    await make_domain(core, "c-dns.example", ns=("ns.external.net",))
    parked = await dns_publication.plan_batch(core, "example")
    assert parked is not None
    await dns_publication.park_batch(core, parked, "REFUSED")
    [alert] = await fetch(core, "SELECT audience, type, payload FROM notification_event WHERE audience = 'operator'")
    assert alert["type"] == "operator.alert.publisher_parked"
    assert (alert["payload"]["tld"], alert["payload"]["detail"], alert["payload"]["count"]) == ("example", "REFUSED", 1)


async def test_a_failing_lifecycle_runner_alerts_the_operator_once_per_streak(core):
    await notify_prefs.set_pref(core, note.NotifyPref("operator", "*", ("noc@registry.test",), None))
    since = core.db.clock.now()
    for _ in range(3):  # three failed passes of one streak
        await lifecycle.alert_lifecycle_failing(core, since, RuntimeError("disk full"))
    await lifecycle.alert_lifecycle_failing(core, since + timedelta(hours=1), RuntimeError("again"))
    rows = await deliveries(core, "e.audience = 'operator'")
    assert [(r["type"], r["channel"], r["target"], r["payload"]["detail"]) for r in rows] == [
        ("operator.alert.lifecycle_failing", "email", "noc@registry.test", "RuntimeError: disk full"),
        ("operator.alert.lifecycle_failing", "email", "noc@registry.test", "RuntimeError: again")]


async def test_retention_forgets_finished_events_only_and_keeps_the_poll_queue(core):
    """Old events whose deliveries are all sent or dead go with their rows; an old one still
    queued, and every recent one, stay; the registrar's poll messages are untouched."""
    for name in ("old-sent.example", "old-dead.example", "old-queued.example", "new-sent.example"):
        await make_domain(core, name)
    polls = await fetch(core, "SELECT count(*) AS n FROM poll_message")
    events = {r["name"]: r["id"] for r in await fetch(
        core, "SELECT id, payload->>'domain' AS name FROM notification_event WHERE type = 'domain.created'")}
    assert set(events) >= {"old-sent.example", "old-dead.example", "old-queued.example", "new-sent.example"}
    await fetch(core, "INSERT INTO notification (event_id, channel, target, key, status, next_attempt_at, created_at) "
                      "SELECT id, 'email', 'ops@alpha.test', 'k' || id, 'queued', now(), now() FROM notification_event")
    for name, status in (("old-sent.example", "sent"), ("old-dead.example", "dead"), ("new-sent.example", "sent")):
        await fetch(core, "UPDATE notification SET status = $2 WHERE event_id = $1", events[name], status)
    old = [events[n] for n in ("old-sent.example", "old-dead.example", "old-queued.example")]
    await fetch(core, "UPDATE notification_event SET occurred_at = now() - interval '91 days' WHERE id = ANY($1)", old)
    assert await notifications.prune_notifications(core, timedelta(days=90), batch=1) == 2
    left = {r["id"] for r in await fetch(core, "SELECT id FROM notification_event")}
    assert events["old-sent.example"] not in left and events["old-dead.example"] not in left
    assert {events["old-queued.example"], events["new-sent.example"]} <= left
    assert not await fetch(core, "SELECT 1 FROM notification WHERE event_id = ANY($1)", old[:2])
    assert await fetch(core, "SELECT count(*) AS n FROM poll_message") == polls
    assert await notifications.prune_notifications(core, timedelta(days=90)) == 0
