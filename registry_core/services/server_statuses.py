"""Server statuses (RFC 5731 server*): set and removed by registry staff only, each change
with a reason, recorded in the history with who did it and from where; a change of
serverHold reaches DNS through the change log like any other."""

from __future__ import annotations

from collections.abc import Iterable

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects
from registry_core.db.repo import domains as repo
from registry_core.db.repo import registry_lock as lock_repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, PermissionDenied, PolicyViolation
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.registry_lock import LOCK_STATUSES
from registry_core.services.domains import lock_domain

SERVER_SETTABLE = frozenset({"serverHold", "serverDeleteProhibited", "serverRenewProhibited",
                             "serverTransferProhibited", "serverUpdateProhibited"})
MAX_REASON = 500


def _checked(add: Iterable[str], rem: Iterable[str], reason: str, name: str) -> tuple[set[str], set[str], str]:
    adding, removing, why = set(add), set(rem), " ".join(reason.split())
    unknown = sorted((adding | removing) - SERVER_SETTABLE)
    if unknown:
        raise InvalidValue(f"not a server status: {', '.join(unknown)}", object_type="domain", name=name,
                           field="status", value=unknown[0])
    if adding & removing:
        raise InvalidValue("a status cannot be added and removed at once", object_type="domain", name=name)
    if not why or len(why) > MAX_REASON:
        raise InvalidValue(f"a reason is required (at most {MAX_REASON} characters)", object_type="domain",
                           name=name, field="reason")
    return adding, removing, why


async def set_server_statuses(core: Core, who: Principal, name: str, add: Iterable[str], rem: Iterable[str],
                              reason: str, origin: tuple[tuple[str, str], ...] = ()) -> tuple[str, ...]:
    """The domain's statuses after the change."""
    if not allowed(who, "registry.policy"):
        raise PermissionDenied("only registry admins set server statuses", object_type="domain", name=name)
    adding, removing, why = _checked(add, rem, reason, name)
    actor = Actor("", f"ADM-U{who.id}", None, ((who.kind, who.name), *origin))

    async def run(tx: Tx) -> tuple[str, ...]:
        return await apply_server_statuses(tx, actor, name, adding, removing, why)
    return await core.db.transaction(run)


async def is_registry_locked(tx: Tx, name: str) -> bool:
    row, _tld = await lock_domain(tx, name)
    return await lock_repo.fetch_lock(tx.conn, row["id"]) is not None


async def apply_server_statuses(tx: Tx, actor: Actor, name: str, adding: set[str], removing: set[str],
                                why: str) -> tuple[str, ...]:
    """The change inside the caller's transaction (its permission checked by the caller):
    an abuse case's hold is one transaction with the case's own step."""
    row, _tld = await lock_domain(tx, name)
    if removing & LOCK_STATUSES and await lock_repo.fetch_lock(tx.conn, row["id"]) is not None:
        raise PolicyViolation("the domain is under registry lock: unlock it through a lock request",
                              object_type="domain", name=row["name"], field="status",
                              value=sorted(removing & LOCK_STATUSES)[0])
    before = sorted(row["statuses"] or ())
    after = sorted((set(before) - removing) | adding)
    if after == before:
        return tuple(after)
    await repo.update_domain(tx.conn, row["id"], {"statuses": after, "updated_at": tx.now})
    if ("serverHold" in before) != ("serverHold" in after):
        await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[row["id"]])
    await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], "server-status",
                                 {"statuses": before}, {"statuses": after, "reason": why})
    return tuple(after)
