"""Registrant verification (NIS2 Art. 28): a contact's verification is requested by its
registrar or by registry staff, by e-mail (a code mailed to the contact's address through
the notification outbox) or by document (the registrar submits a reference, staff review it);
the state moves unverified -> requested -> pending review -> verified | failed | expired,
with the verified fields, the method and who decided recorded, each step in the history."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import contacts as contact_repo
from registry_core.db.repo import objects
from registry_core.db.repo import verification as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, PermissionDenied, not_found
from registry_core.model import verification as rules
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.notification import Event
from registry_core.services import notifications, verification_deadline

CODE_EVENT = "contact.verification.code"
LIMIT = 500
Origin = tuple[tuple[str, str], ...]


def _view(handle: str, row: dict[str, Any] | None) -> rules.Verification:
    if row is None:
        return rules.Verification(handle, "unverified", None, (), None, None, None, None, None, None)
    return rules.Verification(row["handle"], row["state"], row["method"], tuple(row["fields"]), row["requested_at"],
                              row["expires_at"], row["document_ref"], row["decided_by"], row["decided_at"],
                              row["note"])


def _actor(who: Principal | None, registrar_id: str, origin: Origin, sv_trid: str = "VERIFY") -> Actor:
    via = ((who.kind, who.name), *origin) if who else origin or None
    return Actor(registrar_id if who and not who.staff else "", sv_trid, None, via)


def _text(value: str, field: str) -> str:
    text = " ".join(value.split())
    if not text or len(text) > rules.MAX_TEXT:
        raise InvalidValue(f"{field} is required (at most {rules.MAX_TEXT} characters)", object_type="contact",
                           field=field)
    return text


async def _contact(tx: Tx, who: Principal | None, handle: str, permission: str) -> dict[str, Any]:
    row = await contact_repo.fetch_contact_by_handle(tx.conn, handle, lock=True)
    if row is None:
        raise not_found("contact", handle)
    if who is not None and not allowed(who, permission, row["sponsor_id"]):
        raise PermissionDenied("not your contact", object_type="contact", name=handle)
    return row


async def _step(tx: Tx, contact: dict[str, Any], step: str, values: dict[str, Any], actor: Actor,
                details: dict[str, Any]) -> rules.Verification:
    """Move the contact's verification by `step`, write `values` and the history row."""
    current = await repo.fetch_verification(tx.conn, contact["id"], lock=True)
    before = current["state"] if current else "unverified"
    state = rules.next_state(before, step, contact["handle"])
    await repo.upsert_verification(tx.conn, contact["id"], contact["handle"], {**values, "state": state})
    await objects.insert_history(tx.conn, actor, tx.now, "contact", contact["id"], contact["handle"],
                                 f"verification-{step.replace('_', '-')}", {"state": before},
                                 {"state": state, **details})
    if state == "verified":
        await verification_deadline.release_holds(tx, contact, actor)
    return _view(contact["handle"], await repo.fetch_verification(tx.conn, contact["id"]))


async def request_verification(core: Core, who: Principal, handle: str, method: str,
                               origin: Origin = ()) -> rules.Verification:
    if method not in rules.METHODS:
        raise InvalidValue("method is email or document", object_type="contact", field="method", value=method)

    async def run(tx: Tx) -> rules.Verification:
        contact = await _contact(tx, who, handle, "domains.write")
        code = rules.new_code() if method == "email" else None
        values = {"method": method, "fields": [], "requested_at": tx.now, "expires_at": tx.now + rules.REQUEST_LIFETIME,
                  "code_digest": rules.code_digest(contact["handle"], code) if code else None, "document_ref": None,
                  "decided_by": None, "decided_at": None, "note": None}
        actor = _actor(who, contact["sponsor_id"], origin)
        done = await _step(tx, contact, "request", values, actor, {"method": method})
        if code:
            await _mail_code(tx, contact, code, done)
        return done
    return await core.db.transaction(run)


async def _mail_code(tx: Tx, contact: dict[str, Any], code: str, done: rules.Verification) -> None:
    """The code goes to the contact's own address."""
    audience = await notifications.contact_audience(tx, contact, CODE_EVENT)
    await notifications.emit(tx, "verification", Event(
        CODE_EVENT, audience, {"contact": contact["handle"], "code": code, "valid_until": done.expires_at},
        "contact", contact["handle"], contact["roid"],
        key=f"verification/{contact['handle']}/{tx.now.isoformat()}"))


async def confirm_email(core: Core, handle: str, code: str, origin: Origin = (),
                        who: Principal | None = None) -> rules.Verification:
    """The contact proves its address with the mailed code (the code is the credential; `who`
    is the console user who entered it for the contact, recorded in the history)."""
    async def run(tx: Tx) -> rules.Verification | None:
        contact = await _contact(tx, None, handle, "view")
        current = await repo.fetch_verification(tx.conn, contact["id"], lock=True)
        if (current is None or current["method"] != "email" or current["expires_at"] < tx.now
                or not rules.code_matches(current["code_digest"], contact["handle"], code)):
            return None
        return await _step(tx, contact, "confirm_email", {
            "fields": ["email"], "code_digest": None, "decided_by": "email-code", "decided_at": tx.now},
            _actor(who, contact["sponsor_id"], origin), {"method": "email", "fields": ["email"]})
    done = await core.db.transaction(run)
    if done is None:
        raise InvalidValue("the code does not match an open e-mail verification", object_type="contact",
                           name=handle, field="code")
    return done


async def submit_document(core: Core, who: Principal, handle: str, document_ref: str,
                          origin: Origin = ()) -> rules.Verification:
    ref = _text(document_ref, "document_ref")

    async def run(tx: Tx) -> rules.Verification:
        contact = await _contact(tx, who, handle, "domains.write")
        current = await repo.fetch_verification(tx.conn, contact["id"])
        if current is None or current["method"] != "document":
            raise InvalidValue("no document verification is requested", object_type="contact", name=handle)
        return await _step(tx, contact, "submit_document", {"document_ref": ref},
                           _actor(who, contact["sponsor_id"], origin), {"document": ref})
    return await core.db.transaction(run)


async def review_document(core: Core, who: Principal, handle: str, approve: bool, fields: list[str], note: str,
                          origin: Origin = ()) -> rules.Verification:
    if not (who.staff and allowed(who, "registry.support")):
        raise PermissionDenied("registry staff review documents", object_type="contact", name=handle)
    checked = sorted(set(fields))
    if any(f not in rules.FIELDS for f in checked) or (approve and not checked):
        raise InvalidValue(f"verified fields are some of {', '.join(rules.FIELDS)}", object_type="contact",
                           name=handle, field="fields")
    why = _text(note, "note")

    async def run(tx: Tx) -> rules.Verification:
        contact = await _contact(tx, who, handle, "registry.support")
        values = {"fields": checked if approve else [], "decided_by": who.name, "decided_at": tx.now, "note": why}
        return await _step(tx, contact, "approve" if approve else "reject", values, _actor(who, "", origin),
                           {"method": "document", "fields": values["fields"], "note": why})
    return await core.db.transaction(run)


async def get_verification(core: Core, who: Principal, handle: str) -> rules.Verification:
    async def run(tx: Tx) -> rules.Verification:
        row = await contact_repo.fetch_contact_by_handle(tx.conn, handle)
        if row is None or not allowed(who, "view", row["sponsor_id"]):
            raise not_found("contact", handle)
        return _view(row["handle"], await repo.fetch_verification(tx.conn, row["id"]))
    return await core.db.transaction(run, readonly=True)


async def list_verifications(core: Core, who: Principal, state: str | None = None) -> list[rules.Verification]:
    if not who.staff:
        raise PermissionDenied("registry staff only", object_type="contact")
    rows = await core.db.transaction(lambda tx: repo.fetch_verifications(tx.conn, state or None, LIMIT),
                                     readonly=True)
    return [_view(r["handle"], r) for r in rows]
