"""The registrar console's notifications page over real HTTP against the real database: an
owner sets e-mail preferences (the outbox then mails whom they name), adds a webhook after
a fresh code and sees its secret once (the secret the outbox signs with), rotates it and
disables it; every change has its history row; the delivery history shows each delivery's
state, attempts and last error, in pages; a read-only user is refused by the server."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from registry_core.context import Core
from registry_core.model import notification as note
from registry_core.model.notification import DeliveryOutcome, RetryPolicy
from registry_core.services import notifications, notify_prefs
from tests.conftest import TestClock, fetch
from tests.web.client import csrf_of
from tests.web.test_console_security import fresh, signed


async def _event(core: Core, number: int) -> None:
    event = note.Event(note.DOMAIN_EXPIRY_REMINDER, note.registrar_audience("alpha"),
                       {"domain": f"d{number}.example", "registrar": "alpha"}, "domain", f"d{number}.example",
                       key=f"test-reminder-{number}")
    await core.db.transaction(lambda tx: notifications.emit(tx, "test", event))


async def test_preferences_and_webhooks_are_set_with_their_history(core: Core, consoles: dict,
                                                                   clock: TestClock) -> None:
    clock.frozen = clock.now()
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, owner, secret = await signed(core, base, clock, "olga", "owner")
    try:
        status, page, _resp = await owner.get("/notifications")
        assert status == 200 and "No preferences" in page
        form = {"csrf": csrf_of(page), "event_type": note.DOMAIN_EXPIRY_REMINDER, "emails": "ops@alpha.test, x@y"}
        status, page, _resp = await owner.post("/notifications/prefs", form)
        assert status == 422 and "e-mail addresses" in page
        status, page, _resp = await owner.post("/notifications/prefs", {**form, "emails": "ops@alpha.test"})
        assert status == 200 and "ops@alpha.test" in page
        hook = {"csrf": csrf_of(page), "url": "https://hooks.alpha.test/registry", "code": "000000"}
        assert (await owner.post("/notifications/webhooks", hook))[0] == 401  # no fresh code: nothing added
        assert await fetch(core, "SELECT id FROM webhook_endpoint") == []
        status, page, _resp = await owner.post("/notifications/webhooks", {**hook, "code": fresh(secret, clock)})
        shown = re.search(r'id="new-secret">(whsec_[^<]+)<', page)
        assert status == 200 and shown and "shown only once" in page
        [endpoint] = await fetch(core, "SELECT id FROM webhook_endpoint WHERE registrar_id = 'alpha'")
        await _event(core, 1)  # the outbox now mails the preference's address and calls the webhook
        rows = await fetch(core, "SELECT channel, target FROM notification ORDER BY channel")
        assert rows == [{"channel": "email", "target": "ops@alpha.test"},
                        {"channel": "webhook", "target": str(endpoint["id"])}]
        claimed = await notifications.claim_deliveries(core, notifications.ClaimRequest(
            uuid.uuid4(), 10, timedelta(minutes=1), ("webhook",), 10))
        assert claimed[0].target.secrets == (shown.group(1),)  # type: ignore[union-attr]  # signed with it
        page_now = (await owner.get("/notifications"))[1]
        assert "https://hooks.alpha.test/registry" in page_now and "<td>webhook</td>" in page_now
        rotate = {"csrf": csrf_of(page_now), "code": fresh(secret, clock)}
        status, page, _resp = await owner.post(f"/notifications/webhooks/{endpoint['id']}/rotate", rotate)
        rotated = re.search(r'id="new-secret">(whsec_[^<]+)<', page)
        assert status == 200 and rotated and rotated.group(1) != shown.group(1)
        disable = {"csrf": csrf_of(page), "code": fresh(secret, clock)}
        status, page, _resp = await owner.post(f"/notifications/webhooks/{endpoint['id']}/disable", disable)
        assert status == 200 and "disabled" in page and "No webhook endpoints." in page
        history = await fetch(core, "SELECT object_name, action, sv_trid, after FROM history "
                                    "WHERE object_type = 'registrar' AND action LIKE '%.%' ORDER BY id")
        assert [(h["object_name"], h["action"]) for h in history] == [
            ("alpha", "notify_pref.update"), ("alpha", "webhook.create"), ("alpha", "webhook.rotate"),
            ("alpha", "webhook.remove")]
        assert history[1]["after"] == {"webhook": endpoint["id"], "url": "https://hooks.alpha.test/registry"}
        assert all(h["sv_trid"].startswith("CON-U") for h in history)
        assert "whsec_" not in str(history)  # never a secret in the history
        status, page, _resp = await owner.post("/notifications/prefs", {
            "csrf": csrf_of(page), "event_type": note.DOMAIN_EXPIRY_REMINDER, "emails": "", "default": "yes"})
        assert status == 200 and "No preferences" in page
    finally:
        await http.close()


async def test_the_delivery_history_shows_state_attempts_and_errors_in_pages(core: Core, consoles: dict,
                                                                             clock: TestClock) -> None:
    endpoint_id, _secret = await notify_prefs.add_webhook(core, note.registrar_audience("alpha"),
                                                          "https://hooks.alpha.test/in")
    for number in range(1, 53):
        await _event(core, number)
    token = uuid.uuid4()
    [first] = [c for c in await notifications.claim_deliveries(core, notifications.ClaimRequest(
        token, 100, timedelta(minutes=1), ("webhook",), 100)) if c.delivery.payload["domain"] == "d1.example"]
    await notifications.record_outcomes(core, token, [DeliveryOutcome(first.row_id, "HTTP 503 from the receiver",
                                                                      True, 1)], RetryPolicy())
    base = f"http://127.0.0.1:{consoles['console'].port}"
    http, reader, _totp = await signed(core, base, clock, "rita", "read-only")
    try:
        status, page, _resp = await reader.get("/")
        unread = re.search(r'id="unread-notifications"><a href="/notifications">([0-9]+)<', page)
        assert status == 200 and unread and int(unread[1]) >= 52  # the 52 reminders (and any event before)
        status, page, _resp = await reader.get("/notifications")
        assert status == 200 and "d52.example" in page and "d1.example" not in page  # newest first
        await _event(core, 53)
        _, dashboard, _resp = await reader.get("/")  # read up to d52 when the page was opened
        assert re.search(r'id="unread-notifications"><a href="/notifications">1<', dashboard)
        older = re.search(r'href="/notifications\?(before=[0-9]+)" rel="next"', page)
        assert older and page.count("<td>webhook</td>") == 50
        status, page, _resp = await reader.get(f"/notifications?{older.group(1)}")
        assert status == 200 and "d1.example" in page and "HTTP 503 from the receiver" in page
        assert re.search(r"<td>failed</td><td>1</td><td>HTTP 503", page)
        assert "/notifications/prefs" not in page and "Add webhook" not in page
        csrf = csrf_of(page)
        for path, form in (("/notifications/prefs", {"event_type": "*", "emails": "a@b.test"}),
                           ("/notifications/webhooks", {"url": "https://evil.test/", "code": "000000"}),
                           (f"/notifications/webhooks/{endpoint_id}/rotate", {"code": "000000"}),
                           (f"/notifications/webhooks/{endpoint_id}/disable", {"code": "000000"})):
            status, _text, _resp = await reader.post(path, {"csrf": csrf, **form})
            assert status == 403, path
        assert await fetch(core, "SELECT * FROM notification_pref") == []
        assert len(await fetch(core, "SELECT id FROM webhook_endpoint WHERE removed_at IS NULL")) == 1
    finally:
        await http.close()
