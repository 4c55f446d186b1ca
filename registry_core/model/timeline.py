"""An object's past, from its history rows alone (pure): the timeline of what happened to a
domain name, and the domain as it stood at a moment T (the basis of "WHOIS history").

Every history row of a domain carries what its transform changed: a create or update the
whole registration (name, ROID, statuses, contacts, name servers, DS, sponsor, expiry), a
renew, transfer, status change or lifecycle step only the fields it touched, a purge
nothing after. Folding the rows up to T in order gives the state at T. A name registered,
deleted and registered again is several objects (one object id each); T picks the one that
was live then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# the fields of the domain snapshots (services.domains.snapshot and the partial ones)
_FIELDS = ("name", "roid", "statuses", "registrant", "contacts", "nameservers", "sponsor_id", "expires_at", "ds",
           "rgp_state")
_TRANSFERRED = ("transfer-approved", "transfer-serverApproved", "transfer-clientApproved")


@dataclass(frozen=True)
class HistoryRow:
    id: int
    object_id: int | None
    at: datetime
    action: str
    registrar_id: str | None
    sv_trid: str
    before: Any
    after: Any


@dataclass(frozen=True)
class DomainAt:
    """The registration as it stood at `at` (as the registry's records show it)."""

    name: str
    roid: str
    statuses: tuple[str, ...]
    registrant: str | None
    contacts: tuple[tuple[str, str], ...]  # (role, handle)
    nameservers: tuple[str, ...]
    sponsor: str
    created_at: datetime
    updated_at: datetime | None
    expires_at: datetime | None
    transferred_at: datetime | None
    ds: tuple[tuple[int, int, int, str], ...]  # (key tag, algorithm, digest type, digest)
    pending_transfer: bool
    rgp_state: str | None
    at: datetime


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def lives(rows: list[HistoryRow]) -> dict[int | None, list[HistoryRow]]:
    """The rows of each registration (object id), each in order."""
    by_object: dict[int | None, list[HistoryRow]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        by_object.setdefault(row.object_id, []).append(row)
    return by_object


def _fold(rows: list[HistoryRow], at: datetime) -> dict[str, Any] | None:
    """The fields as of `at`, plus the dates the fold learns; None before the create or
    after the purge."""
    state: dict[str, Any] | None = None
    for row in rows:
        if row.at > at:
            break
        if row.action == "create":
            state = {**{k: row.after.get(k) for k in _FIELDS}, "created_at": row.at, "updated_at": None,
                     "transferred_at": None, "pending_transfer": False}
            continue
        if state is None:
            continue
        if row.after is None:  # purged (a delete, or the end of redemption)
            state = None
            continue
        _apply(state, row)
    return state


def _apply(state: dict[str, Any], row: HistoryRow) -> None:
    state.update({k: row.after[k] for k in _FIELDS if k in row.after})
    if row.action == "transfer-request":
        state["pending_transfer"] = True
        return
    if row.action.startswith("transfer-"):
        state["pending_transfer"] = False
        if row.action in _TRANSFERRED or state.get("sponsor_id") != (row.before or {}).get("sponsor_id"):
            state["transferred_at"] = row.at
        return
    state["updated_at"] = row.at


def domain_at(rows: list[HistoryRow], at: datetime) -> DomainAt | None:
    """The registration of the name live at `at`, or None (not registered then)."""
    live = [s for s in (_fold(r, at) for r in lives(rows).values()) if s is not None]
    if not live:
        return None
    state = max(live, key=lambda s: s["created_at"])
    return DomainAt(
        state["name"], state["roid"], tuple(state["statuses"] or ()), state["registrant"],
        tuple((role, handle) for role, handle in state["contacts"] or ()), tuple(sorted(state["nameservers"] or ())),
        state["sponsor_id"], state["created_at"], state["updated_at"], _when(state["expires_at"]),
        state["transferred_at"], tuple((int(k), int(a), int(t), str(d)) for k, a, t, d in state["ds"] or ()),
        state["pending_transfer"], state["rgp_state"], at)
