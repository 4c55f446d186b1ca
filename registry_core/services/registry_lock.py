"""Registry lock: a registrar asks for lock or unlock; the registry mails a one-time code
(valid one hour) through the notification outbox to the registrar's address, or, when a
registrar asks on its registrant's behalf (a shop's customer in its portal), to the
registrant contact's own address, out of the registrar's hands; the request takes effect
when the code comes back together with a fresh second factor (the console checks its user's,
a registrar's program through the API vouches for its own user's before it calls
`confirm_lock`). A locked domain carries serverUpdateProhibited,
serverDeleteProhibited and serverTransferProhibited; every step is in the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import contacts as contact_repo
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import objects
from registry_core.db.repo import registry_lock as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied, PolicyViolation, not_found
from registry_core.model import registry_lock as rules
from registry_core.model.accounts import Principal, allowed
from registry_core.model.notification import Event, registrar_audience
from registry_core.services import notifications
from registry_core.services.console_domains import Origin, console_actor
from registry_core.services.domains import lock_domain
from registry_core.services.tlds import find_tld

LOCK_CODE = "domain.registry_lock.code"
LIMIT = 500
DELIVERIES = ("registrar", "registrant")  # whose address the code goes to


def _reason(text: str, name: str) -> str:
    why = " ".join(text.split())
    if not why or len(why) > rules.MAX_REASON:
        raise InvalidValue(f"a reason is required (at most {rules.MAX_REASON} characters)", object_type="domain",
                           name=name, field="reason")
    return why


def _request(row: dict[str, Any]) -> rules.LockRequest:
    return rules.LockRequest(row["id"], row["domain_name"], row["registrar_id"], row["action"], row["state"],
                             row["reason"], row["requested_by"], row["requested_at"], row["expires_at"],
                             row["confirmed_at"])


async def request_lock(core: Core, who: Principal, name: str, action: str, reason: str,
                       origin: Origin = (), *, deliver_to: str = "registrar") -> rules.LockRequest:
    """Open a lock or unlock request and mail its code (to the registrar, or to the
    registrant contact); an older open request of the domain is cancelled."""
    if action not in rules.ACTIONS:
        raise InvalidValue("action is lock or unlock", object_type="domain", name=name, field="action", value=action)
    if deliver_to not in DELIVERIES:
        raise InvalidValue("the code goes to the registrar or the registrant", object_type="domain", name=name,
                           field="deliver_to", value=deliver_to)

    async def run(tx: Tx) -> rules.LockRequest:
        row, _tld = await lock_domain(tx, name)
        if not allowed(who, "domains.write", row["sponsor_id"]):
            raise PermissionDenied("not your domain", object_type="domain", name=row["name"])
        why = _reason(reason, row["name"])
        locked = await repo.fetch_lock(tx.conn, row["id"]) is not None
        if locked == (action == "lock"):
            raise PolicyViolation(f"the domain is {'already' if locked else 'not'} locked", object_type="domain",
                                  name=row["name"], field="action", value=action)
        audience = registrar_audience(row["sponsor_id"])
        if deliver_to == "registrant":
            audience = await _registrant_audience(tx, row)
        await repo.cancel_open_requests(tx.conn, row["id"])
        code, key = rules.new_code(), _request_key(row["id"], tx.now)
        stored = await repo.insert_lock_request(tx.conn, {
            "domain_id": row["id"], "domain_name": row["name"], "registrar_id": row["sponsor_id"], "action": action,
            "code_digest": rules.code_digest(key, code), "reason": why, "requested_by": who.name,
            "requested_at": tx.now, "expires_at": tx.now + rules.CODE_LIFETIME})
        actor = console_actor(who, row["sponsor_id"], origin)
        await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], f"{action}-requested",
                                     None, {"request": stored["id"], "reason": why, "code_to": deliver_to})
        await notifications.emit(tx, actor.sv_trid, Event(
            LOCK_CODE, audience,
            {"domain": row["name"], "action": action, "code": code, "request": stored["id"],
             "valid_until": stored["expires_at"], "requested_by": who.name, "code_to": deliver_to},
            "domain", row["name"], row["roid"], key=f"registry-lock/{stored['id']}"))
        return _request(stored)
    return await core.db.transaction(run)


async def _registrant_audience(tx: Tx, domain: dict[str, Any]) -> str:
    """The registrant contact's own audience, where its lock codes go."""
    contact = None
    if domain["registrant_id"] is not None:
        contact = await contact_repo.fetch_contact_by_id(tx.conn, domain["registrant_id"])
    if contact is None or not contact["email"]:
        raise PolicyViolation("the domain has no registrant with an e-mail address to send the code to",
                              object_type="domain", name=domain["name"], field="deliver_to", value="registrant")
    return await notifications.contact_audience(tx, contact, LOCK_CODE)


def _request_key(domain_id: int, requested_at: datetime) -> str:
    """What a request's code digest is salted with: its domain and the time it was asked."""
    return f"{domain_id}:{requested_at.isoformat()}"


async def confirm_lock(core: Core, who: Principal, request_id: int, code: str,
                       origin: Origin = ()) -> rules.LockRequest:
    """Apply a request whose mailed code matches. A wrong code counts (MAX_TRIES cancels the
    request); an expired request is marked expired. Either way the refusal is raised after
    that mark is committed."""
    async def run(tx: Tx) -> tuple[rules.LockRequest, str | None]:
        stored = await repo.fetch_lock_request(tx.conn, request_id, lock=True)
        if stored is None or not allowed(who, "domains.write", stored["registrar_id"]):
            raise ObjectNotFound("no such lock request", object_type="lock_request", name=str(request_id))
        if stored["state"] != "requested":
            return _request(stored), f"the request is {stored['state']}"
        if tx.now > stored["expires_at"]:
            await repo.update_lock_request(tx.conn, request_id, {"state": "expired"})
            return _request({**stored, "state": "expired"}), "the code has expired; ask again"
        salt = _request_key(stored["domain_id"], stored["requested_at"])
        if not rules.code_matches(stored["code_digest"], salt, code):
            tries = stored["failed_tries"] + 1
            state = "cancelled" if tries >= rules.MAX_TRIES else "requested"
            await repo.update_lock_request(tx.conn, request_id, {"failed_tries": tries, "state": state})
            return _request({**stored, "state": state}), "the code does not match"
        await _apply(tx, who, stored, origin)
        await repo.update_lock_request(tx.conn, request_id, {"state": "confirmed", "confirmed_at": tx.now})
        return _request({**stored, "state": "confirmed", "confirmed_at": tx.now}), None
    result, refusal = await core.db.transaction(run)
    if refusal:
        raise InvalidValue(refusal, object_type="lock_request", name=str(request_id), field="code")
    return result


async def _apply(tx: Tx, who: Principal, stored: dict[str, Any], origin: Origin) -> None:
    row = await domain_repo.fetch_domain_by_id(tx.conn, stored["domain_id"], lock=True)
    before = sorted(row["statuses"] or ())
    if stored["action"] == "lock":
        after = sorted(set(before) | rules.LOCK_STATUSES)
        await repo.insert_lock(tx.conn, row["id"], row["name"], tx.now, stored["id"])
    else:
        after = sorted(set(before) - rules.LOCK_STATUSES)
        await repo.delete_lock(tx.conn, row["id"])
    await domain_repo.update_domain(tx.conn, row["id"], {"statuses": after, "updated_at": tx.now})
    actor = console_actor(who, row["sponsor_id"], origin)
    await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], stored["action"],
                                 {"statuses": before}, {"statuses": after, "request": stored["id"],
                                                        "reason": stored["reason"]})


async def list_lock_requests(core: Core, who: Principal, domain: str | None = None) -> list[rules.LockRequest]:
    if not allowed(who, "view", who.registrar_id):
        raise PermissionDenied("not allowed", object_type="lock_request")
    rows = await core.db.transaction(lambda tx: repo.fetch_lock_requests(
        tx.conn, who.registrar_id, domain.strip().lower() if domain else None, LIMIT), readonly=True)
    return [_request(r) for r in rows]


async def list_locked(core: Core, who: Principal) -> list[rules.LockedDomain]:
    if not allowed(who, "view", who.registrar_id):
        raise PermissionDenied("not allowed", object_type="domain")
    rows = await core.db.transaction(lambda tx: repo.fetch_locks(tx.conn, who.registrar_id, LIMIT), readonly=True)
    return [rules.LockedDomain(r["domain_name"], r["registrar_id"], r["locked_at"]) for r in rows]


async def domain_lock_state(core: Core, who: Principal, name: str) -> tuple[rules.LockedDomain | None,
                                                                            list[rules.LockRequest]]:
    """Whether a domain is locked, and its lock requests (newest first), for its sponsor or staff."""
    async def run(tx: Tx) -> tuple[rules.LockedDomain | None, list[rules.LockRequest]]:
        domain_name, _tld = await find_tld(tx, name)
        row = await domain_repo.fetch_domain_by_name(tx.conn, domain_name)
        if row is None or not allowed(who, "view", row["sponsor_id"]):
            raise not_found("domain", domain_name)
        lock = await repo.fetch_lock(tx.conn, row["id"])
        requests = await repo.fetch_lock_requests(tx.conn, None, domain_name, 20)
        found = rules.LockedDomain(row["name"], row["sponsor_id"], lock["locked_at"]) if lock else None
        return found, [_request(r) for r in requests if r["domain_id"] == row["id"]]
    return await core.db.transaction(run, readonly=True)
