"""The registrar console's notifications: which addresses hear which event (preferences),
the registrar's webhook endpoints (add, rotate the signing secret, disable) and the
delivery history from the outbox. Every change goes through services/notify_prefs.py with
the console's actor, so its history row is written in the change's own transaction.

Roles (checked here): preferences need notifications.write; endpoints carry signing
secrets, so they need security.write (the console also asks for a fresh code first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import console_notifications as repo
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model import notification as note
from registry_core.model.accounts import Principal, allowed
from registry_core.model.notification import NotifyPref, WebhookEndpoint, registrar_audience
from registry_core.services import notify_prefs
from registry_core.services.console_domains import Origin, console_actor

PAGE = 50
MAX_EMAILS = 10
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
# What a registrar can choose ('*': every type without its own row)
EVENT_TYPES = ("*", note.DOMAIN_CREATED, note.DOMAIN_RENEWED, note.DOMAIN_AUTO_RENEWED, note.DOMAIN_DELETED,
               note.DOMAIN_REDEMPTION, note.DOMAIN_RESTORED, note.DOMAIN_PURGED, note.DOMAIN_EXPIRY_REMINDER,
               note.DOMAIN_DNS_PUBLISHED, note.DOMAIN_HELD_FOR_REVIEW, note.ABUSE_REPORTED, note.BALANCE_LOW,
               note.CREDIT_ADDED, note.CERTIFICATE_EXPIRING,
               *(f"domain.transfer.{step}" for step in note.TRANSFER_STEPS.values()))


@dataclass(frozen=True)
class NotificationSettings:
    prefs: list[NotifyPref]
    webhooks: list[WebhookEndpoint]


def _registrar(who: Principal, permission: str) -> str:
    registrar = who.registrar_id or ""
    if not registrar or not allowed(who, permission, registrar):
        raise PermissionDenied("this user may not do that for the registrar", object_type="registrar",
                               name=registrar)
    return registrar


async def notification_settings(core: Core, who: Principal) -> NotificationSettings:
    audience = registrar_audience(_registrar(who, "view"))
    return NotificationSettings(await notify_prefs.list_prefs(core, audience),
                                await notify_prefs.list_webhooks(core, audience))


async def deliveries(core: Core, who: Principal, before_id: int | None = None,
                     limit: int = PAGE) -> list[dict[str, Any]]:
    """The registrar's deliveries, newest first, before `before_id`."""
    registrar = _registrar(who, "view")
    return await core.db.transaction(lambda tx: repo.fetch_deliveries(tx.conn, registrar, before_id,
                                                                      min(limit, 500)), readonly=True)


def email_list(text: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(a.strip() for a in re.split(r"[\s,;]+", text) if a.strip()))
    bad = [a for a in found if not _EMAIL.match(a)]
    if bad or len(found) > MAX_EMAILS:
        raise InvalidValue(f"up to {MAX_EMAILS} e-mail addresses, separated by spaces or commas",
                           object_type="notification_pref", field="emails", value=(bad or [""])[0][:80])
    return found


async def set_email_pref(core: Core, who: Principal, event_type: str, emails: tuple[str, ...] | None,
                         origin: Origin = ()) -> None:
    """Who hears `event_type` by e-mail: these addresses (empty: nobody), or None: back to
    the default (the registrar's contact address); webhooks keep their own setting."""
    registrar = _registrar(who, "notifications.write")
    if event_type not in EVENT_TYPES:
        raise InvalidValue("unknown event type", object_type="notification_pref", field="event_type",
                           value=event_type[:80])
    audience, actor = registrar_audience(registrar), console_actor(who, registrar, origin)
    current = {p.event_type: p for p in await notify_prefs.list_prefs(core, audience)}.get(event_type)
    webhooks = current.webhooks if current else None
    if emails is None and webhooks is None:
        await notify_prefs.reset_pref(core, audience, event_type, audit=actor)
        return
    await notify_prefs.set_pref(core, NotifyPref(audience, event_type, emails, webhooks), audit=actor)


async def add_webhook(core: Core, who: Principal, url: str, *, allow_http: bool = False,
                      origin: Origin = ()) -> tuple[int, str]:
    """(the endpoint's id, its signing secret: shown once)."""
    registrar = _registrar(who, "security.write")
    return await notify_prefs.add_webhook(core, registrar_audience(registrar), url.strip(), allow_http=allow_http,
                                          audit=console_actor(who, registrar, origin))


async def rotate_webhook(core: Core, who: Principal, endpoint_id: int, origin: Origin = ()) -> str:
    """A new signing secret (shown once); the old one signs too for a day."""
    registrar = _registrar(who, "security.write")
    return await notify_prefs.rotate_webhook(core, registrar_audience(registrar), endpoint_id,
                                             audit=console_actor(who, registrar, origin))


async def disable_webhook(core: Core, who: Principal, endpoint_id: int, origin: Origin = ()) -> None:
    registrar = _registrar(who, "security.write")
    await notify_prefs.remove_webhook(core, registrar_audience(registrar), endpoint_id,
                                      audit=console_actor(who, registrar, origin))


async def mark_seen(core: Core, who: Principal) -> None:
    """The notifications page was opened by a user: its events count as read for them."""
    if who.kind != "user" or who.registrar_id is None:
        return
    registrar_id = who.registrar_id
    await core.db.transaction(lambda tx: repo.mark_events_seen(tx.conn, registrar_id, who.id))
