"""Console users as an admin (or a registrar's owner) manages them: change a user's role
and end all of a user's sessions, each with a history row naming who did it, why and from
where. Inviting users and API keys are in accounts.py; the rules in model/accounts.py."""

from __future__ import annotations

from dataclasses import dataclass

from registry_core.context import Core
from registry_core.db.repo import accounts as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound, PermissionDenied
from registry_core.model import accounts as rules
from registry_core.model.actor import Actor
from registry_core.services.accounts import IDLE_TIMEOUT
from registry_core.services.staff import MAX_REASON, StaffChange


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    email: str
    role: str
    registrar_id: str | None
    has_totp: bool
    disabled: bool
    live_sessions: int


async def _user_for(tx: Tx, change: StaffChange, user_id: int) -> tuple[dict, Actor, str]:
    """The user `change.who` may manage, the actor to record and the reason."""
    user = await repo.fetch_user_by_id(tx.conn, user_id, lock=True)
    if user is None:
        raise ObjectNotFound("no such user", object_type="user", name=str(user_id))
    if not rules.allowed(change.who, "users.write", user["registrar_id"]) or (
            user["registrar_id"] is None and not change.who.staff):
        raise PermissionDenied("only an admin or the registrar's owner manages this user", object_type="user",
                               name=user["login"])
    why = " ".join(change.reason.split())
    if not why or len(why) > MAX_REASON:
        raise InvalidValue(f"a reason is required (at most {MAX_REASON} characters)", object_type="user",
                           name=user["login"], field="reason")
    who = change.who
    actor = Actor(who.registrar_id or "", f"ADM-U{who.id}", None, ((who.kind, who.name), *change.origin))
    return user, actor, why


async def change_role(core: Core, change: StaffChange, user_id: int, role: str) -> str:
    """Give a user another role of its kind (never one's own: no admin locks itself out)."""
    async def run(tx: Tx) -> str:
        user, actor, why = await _user_for(tx, change, user_id)
        if not rules.role_fits(role, user["registrar_id"]):
            raise InvalidValue(f"{role!r} is not a role for this user", object_type="user", name=user["login"],
                               field="role", value=role)
        if change.who.kind == "user" and change.who.id == user_id:
            raise PermissionDenied("another admin changes your own role", object_type="user", name=user["login"])
        if role != user["role"]:
            await repo.update_user(tx.conn, user_id, {"role": role})
            await objects.insert_history(tx.conn, actor, tx.now, "user", user_id, user["login"], "role",
                                         {"role": user["role"]}, {"role": role, "reason": why})
        return str(user["login"])
    return await core.db.transaction(run)


async def end_user_sessions(core: Core, change: StaffChange, user_id: int) -> int:
    """End every session of a user (a lost laptop, a leaver); the number ended."""
    async def run(tx: Tx) -> int:
        user, actor, why = await _user_for(tx, change, user_id)
        ended = await repo.end_sessions(tx.conn, user_id, tx.now)
        await objects.insert_history(tx.conn, actor, tx.now, "user", user_id, user["login"], "sessions-end", None,
                                     {"ended": ended, "reason": why})
        return ended
    return await core.db.transaction(run)


async def users_of(core: Core, who: rules.Principal, registrar_id: str | None) -> list[UserRow]:
    """The registry's staff (None) or one registrar's users, each with its live sessions."""
    if not rules.allowed(who, "view", registrar_id) or (registrar_id is None and not who.staff):
        raise PermissionDenied("not these users", object_type="user")

    async def run(tx: Tx) -> list[UserRow]:
        found = []
        for user in await repo.fetch_users(tx.conn, registrar_id):
            sessions = await repo.fetch_live_sessions(tx.conn, user["id"], tx.now, IDLE_TIMEOUT)
            found.append(UserRow(user["id"], user["login"], user["email"], user["role"], registrar_id,
                                 user["has_totp"], user["disabled_at"] is not None, len(sessions)))
        return found
    return await core.db.transaction(run, readonly=True)
