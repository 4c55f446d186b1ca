"""A registry staff member's change made through a console or the API: who acts, why, and
from where. Services that change registry-wide settings (TLD policy, prices, name lists,
registrars) take one; `authorize` checks the role on the server and gives the actor and the
reason their history row records, in the same transaction as the change. `None` is the
operator at the command line, who needs no role and gives no reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor

MAX_REASON = 500


@dataclass(frozen=True)
class StaffChange:
    """Who (a console user or API key), why (a sentence for the audit) and from where."""

    who: Principal
    reason: str
    origin: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Authorized:
    """The actor a history row names and the reason it records (both None for the CLI)."""

    actor: Actor | None
    reason: str | None

    @property
    def sv_trid(self) -> str | None:
        return None if self.actor else "admin"

    def noted(self, after: dict[str, Any]) -> dict[str, Any]:
        return after if self.reason is None else {**after, "reason": self.reason}


OPERATOR = Authorized(None, None)


def authorize(change: StaffChange | None, permission: str, object_type: str, name: str) -> Authorized:
    """The change's actor if its principal has `permission` and it gives a reason; else
    PermissionDenied or InvalidValue (nothing is written)."""
    if change is None:
        return OPERATOR
    who = change.who
    if not who.staff or not allowed(who, permission):
        raise PermissionDenied(f"the {who.role} role may not do this", object_type=object_type, name=name)
    why = " ".join(change.reason.split())
    if not why or len(why) > MAX_REASON:
        raise InvalidValue(f"a reason is required (at most {MAX_REASON} characters)", object_type=object_type,
                           name=name, field="reason")
    return Authorized(Actor("", f"ADM-U{who.id}", None, ((who.kind, who.name), *change.origin)), why)
