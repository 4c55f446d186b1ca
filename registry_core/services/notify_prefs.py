"""Who hears what: webhook endpoints of a registrar (or the operator) with their signing
secrets, and the channel preferences per audience and event type.

Secrets are generated here in the Standard Webhooks form and stored encrypted with the
registry's key (like authInfo). A rotation makes a new secret current and keeps the old one
valid for `overlap`, so deliveries during the rollover carry a signature by each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from registry_core.context import Core
from registry_core.db.repo import notify_prefs as repo
from registry_core.db.repo import objects
from registry_core.db.repo import registrars as registrar_repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound
from registry_core.model.actor import Actor
from registry_core.model.notification import (
    OPERATOR,
    NotifyPref,
    WebhookEndpoint,
    new_webhook_secret,
    registrar_of,
)

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_URL = 2048


def _context(endpoint_id: int) -> str:
    return f"webhook:{endpoint_id}"


def check_url(url: str, *, allow_http: bool) -> str:
    """An absolute https URL (http too when `allow_http`: development) with a host."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if len(url) > MAX_URL or parts.scheme not in schemes or not parts.hostname or parts.username:
        raise InvalidValue(f"a webhook URL is an absolute {' or '.join(schemes)} URL with a host",
                           object_type="webhook", field="url", value=url[:200])
    return url


async def _owner(tx: Tx, audience: str) -> str | None:
    registrar_id = registrar_of(audience)
    if audience != OPERATOR and (registrar_id is None or
                                 await registrar_repo.fetch_registrar_by_id(tx.conn, registrar_id) is None):
        raise ObjectNotFound("no such registrar", object_type="registrar", name=registrar_id or audience)
    return registrar_id


async def _audited(tx: Tx, audit: Actor | None, audience: str, action: str, after: dict[str, Any]) -> None:
    """The history row of a change made through a console or the API (`audit`: who), in the
    change's transaction, under the registrar it belongs to (action "webhook.create",
    "notify_pref.update", ...); the CLI's changes pass None. Never a secret."""
    if audit is not None:
        await objects.insert_history(tx.conn, audit, tx.now, "registrar", None, registrar_of(audience) or OPERATOR,
                                     action, None, after)


async def add_webhook(core: Core, audience: str, url: str, *, allow_http: bool = False,
                      audit: Actor | None = None) -> tuple[int, str]:
    """A new endpoint: (its id, its secret: shown once, to be given to the receiver)."""
    check_url(url, allow_http=allow_http)
    secret = new_webhook_secret()

    async def run(tx: Tx) -> int:
        owner = await _owner(tx, audience)
        endpoint_id = await repo.insert_endpoint(tx.conn, owner, url, b"", tx.now)
        await repo.set_endpoint_secret(tx.conn, endpoint_id, core.cipher.encrypt(secret, _context(endpoint_id)))
        await _audited(tx, audit, audience, "webhook.create", {"webhook": endpoint_id, "url": url})
        return endpoint_id
    return await core.db.transaction(run), secret


async def list_webhooks(core: Core, audience: str) -> list[WebhookEndpoint]:
    async def run(tx: Tx) -> list[WebhookEndpoint]:
        return await repo.fetch_endpoints_of(tx.conn, await _owner(tx, audience))
    return await core.db.transaction(run, readonly=True)


async def _locked(tx: Tx, audience: str, endpoint_id: int) -> dict:
    found = await repo.fetch_endpoint_for_update(tx.conn, await _owner(tx, audience), endpoint_id)
    if found is None:
        raise ObjectNotFound("no such webhook endpoint", object_type="webhook", name=str(endpoint_id))
    return found


async def rotate_webhook(core: Core, audience: str, endpoint_id: int,
                         overlap: timedelta = DEFAULT_OVERLAP, *, audit: Actor | None = None) -> str:
    """A new current secret; the old one stays valid for `overlap`. Returns the new one."""
    secret = new_webhook_secret()

    async def run(tx: Tx) -> None:
        found = await _locked(tx, audience, endpoint_id)
        await repo.rotate_endpoint_secret(tx.conn, endpoint_id, core.cipher.encrypt(secret, _context(endpoint_id)),
                                          found["secret"], tx.now + overlap, tx.now)
        await _audited(tx, audit, audience, "webhook.rotate", {"webhook": endpoint_id, "url": found["url"],
                                                               "previous_valid_until": tx.now + overlap})
    await core.db.transaction(run)
    return secret


async def remove_webhook(core: Core, audience: str, endpoint_id: int, *, audit: Actor | None = None) -> None:
    """Deliveries still queued for it are dead-lettered by the dispatcher."""
    async def run(tx: Tx) -> None:
        found = await _locked(tx, audience, endpoint_id)
        await repo.remove_endpoint(tx.conn, endpoint_id, tx.now)
        await _audited(tx, audit, audience, "webhook.remove", {"webhook": endpoint_id, "url": found["url"]})
    await core.db.transaction(run)


async def set_pref(core: Core, pref: NotifyPref, *, audit: Actor | None = None) -> None:
    """Set the channels of one audience and event type ('*': every type without its own row)."""
    async def run(tx: Tx) -> None:
        owner = await _owner(tx, pref.audience)
        live = {e.id for e in await repo.fetch_endpoints_of(tx.conn, owner)}
        unknown = sorted(set(pref.webhooks or ()) - live)
        if unknown:
            raise ObjectNotFound("no such webhook endpoint", object_type="webhook", name=str(unknown[0]))
        await repo.upsert_pref(tx.conn, pref)
        await _audited(tx, audit, pref.audience, "notify_pref.update",
                       {"event_type": pref.event_type, "emails": pref.emails, "webhooks": pref.webhooks})
    await core.db.transaction(run)


async def reset_pref(core: Core, audience: str, event_type: str, *, audit: Actor | None = None) -> bool:
    async def run(tx: Tx) -> bool:
        await _owner(tx, audience)
        removed = await repo.delete_pref(tx.conn, audience, event_type)
        if removed:
            await _audited(tx, audit, audience, "notify_pref.reset", {"event_type": event_type})
        return removed
    return await core.db.transaction(run)


async def list_prefs(core: Core, audience: str) -> list[NotifyPref]:
    async def run(tx: Tx) -> list[NotifyPref]:
        await _owner(tx, audience)
        return await repo.fetch_prefs(tx.conn, audience)
    return await core.db.transaction(run, readonly=True)

