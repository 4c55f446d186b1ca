"""Access requests for redacted registration data (NIS2 Art. 28(5)): registry staff record
each one as received (due 72 hours later), decide it (granted, partial or refused, with the
fields disclosed), and the lifecycle runner alerts the operator once about each request past
its due time. Every step is a history row under the domain's name (the audit search)."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import access_requests as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied, PolicyViolation
from registry_core.model import access_request as rules
from registry_core.model import names
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.services import notifications

LIMIT = 500
Origin = tuple[tuple[str, str], ...]


def _staff(who: Principal, name: str = "") -> None:
    if not (who.staff and allowed(who, "registry.support")):
        raise PermissionDenied("registry staff only", object_type="access_request", name=name)


def _text(value: str, field: str) -> str:
    text = " ".join(value.split())
    if not text or len(text) > rules.MAX_TEXT:
        raise InvalidValue(f"{field} is required (at most {rules.MAX_TEXT} characters)",
                           object_type="access_request", field=field)
    return text


def _fields(fields: tuple[str, ...] | list[str], field: str) -> list[str]:
    unknown = rules.unknown_fields(tuple(fields))
    if unknown:
        raise InvalidValue(f"not a redacted field (one of {', '.join(rules.REDACTED_FIELDS)})",
                           object_type="access_request", field=field, value=unknown[0])
    return sorted(set(fields))


def _actor(who: Principal, origin: Origin) -> Actor:
    return Actor("", f"ADM-{who.kind[0].upper()}{who.id}", None, ((who.kind, who.name), *origin))


def _request(row: dict[str, Any], now: Any) -> rules.AccessRequest:
    return rules.AccessRequest(
        row["id"], row["domain_name"], row["requester"], row["requester_email"], row["purpose"],
        tuple(row["fields_requested"]), row["received_at"], row["due_at"], row["decision"],
        tuple(row["fields_disclosed"]), row["decided_by"], row["decided_at"], row["reason"],
        rules.overdue_at(row["due_at"], row["decision"], now))


async def receive_access_request(core: Core, who: Principal, domain: str, requester: str, requester_email: str,
                                 purpose: str, fields: list[str], origin: Origin = ()) -> rules.AccessRequest:
    _staff(who)
    name = names.normalize_object_name(domain, "domain")
    values = {"domain_name": name, "requester": _text(requester, "requester"),
              "requester_email": _text(requester_email, "requester_email"), "purpose": _text(purpose, "purpose"),
              "fields_requested": _fields(fields, "fields")}
    if not values["fields_requested"]:
        raise InvalidValue("name at least one field", object_type="access_request", field="fields")

    async def run(tx: Tx) -> rules.AccessRequest:
        row = await repo.insert_access_request(tx.conn, {**values, "received_at": tx.now,
                                                         "due_at": tx.now + rules.ANSWER_WITHIN})
        await objects.insert_history(tx.conn, _actor(who, origin), tx.now, "domain", None, name,
                                     "access-request-received", None,
                                     {"request": row["id"], "requester": values["requester"],
                                      "purpose": values["purpose"], "fields": values["fields_requested"],
                                      "due": row["due_at"]})
        return _request(row, tx.now)
    return await core.db.transaction(run)


async def decide_access_request(core: Core, who: Principal, request_id: int, decision: str,
                                fields_disclosed: list[str], reason: str, origin: Origin = ()) -> rules.AccessRequest:
    _staff(who, str(request_id))
    if decision not in rules.DECISIONS:
        raise InvalidValue("decision is granted, partial or refused", object_type="access_request",
                           field="decision", value=decision)
    disclosed, why = _fields(fields_disclosed, "fields_disclosed"), _text(reason, "reason")
    if (decision == "refused") != (not disclosed):
        raise PolicyViolation("a refusal discloses nothing; a grant discloses at least one field",
                              object_type="access_request", name=str(request_id), field="fields_disclosed")

    async def run(tx: Tx) -> rules.AccessRequest:
        row = await repo.fetch_access_request(tx.conn, request_id, lock=True)
        if row is None:
            raise ObjectNotFound("no such access request", object_type="access_request", name=str(request_id))
        if row["decision"] is not None:
            raise PolicyViolation("the request is decided already", object_type="access_request",
                                  name=str(request_id))
        if not set(disclosed) <= set(row["fields_requested"]):
            raise PolicyViolation("only requested fields can be disclosed", object_type="access_request",
                                  name=str(request_id), field="fields_disclosed")
        values = {"decision": decision, "fields_disclosed": disclosed, "decided_by": who.name,
                  "decided_at": tx.now, "reason": why}
        await repo.update_access_request(tx.conn, request_id, values)
        await objects.insert_history(tx.conn, _actor(who, origin), tx.now, "domain", None,
                                     row["domain_name"], "access-request-decided", None,
                                     {"request": request_id, **values, "late": tx.now > row["due_at"]})
        return _request({**row, **values}, tx.now)
    return await core.db.transaction(run)


async def list_access_requests(core: Core, who: Principal, *, overdue_only: bool = False) -> list[rules.AccessRequest]:
    _staff(who)

    async def run(tx: Tx) -> list[rules.AccessRequest]:
        rows = await repo.fetch_access_requests(tx.conn, tx.now, overdue_only, LIMIT)
        return [_request(r, tx.now) for r in rows]
    return await core.db.transaction(run, readonly=True)


async def alert_overdue(core: Core, batch: int = 500) -> int:
    """One operator alert per access request past its due time (lifecycle runner); how many."""
    async def run(tx: Tx) -> int:
        rows = await repo.claim_unalerted_overdue(tx.conn, tx.now, batch)
        for row in rows:
            await notifications.emit(tx, "lifecycle", notifications.operator_alert(
                rules.OVERDUE, f"Access request {row['id']} for {row['domain_name']} is overdue",
                "access requests", f"received {row['received_at'].isoformat()}, due {row['due_at'].isoformat()}, "
                f"from {row['requester']}", f"{rules.OVERDUE}/{row['id']}", request=row["id"],
                domain=row["domain_name"], due=row["due_at"]))
        return len(rows)
    return await core.db.transaction(run)
