"""An escrowed object as it stood at the deposit's watermark T, rebuilt from its row as it
is now and its history (pure). RFC 9022's watermark is the moment whose state a deposit
holds; the deposit is read later (minutes for the daily run, days when one is caught up or
resent), so the objects changed after T are taken back to T.

The rebuild starts from the object's current row and undoes, newest first, every history
row after T: each row's `before` holds the values its transform replaced (a create undone
means the object did not exist yet; a purge or delete undone brings the object back).
Starting from the current row rather than folding forward from the create keeps objects
whose early history predates the history table (bulk loads), and every column no transform
records. The dates (last update, last transfer) come from the rows up to T."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from registry_core.model.timeline import HistoryRow

# the row columns a transform's `before` may carry, per object type
_UNDONE = {
    "domain": ("name", "statuses", "registrant", "contacts", "nameservers", "sponsor_id", "expires_at", "ds",
               "rgp_state"),
    "host": ("name", "statuses", "addresses", "sponsor_id"),
    "contact": ("handle", "statuses", "postal_int", "postal_loc", "voice", "voice_ext", "fax", "fax_ext", "email",
                "sponsor_id"),
}
_APPROVED = ("transfer-approved", "transfer-serverApproved", "transfer-clientApproved")


def changed_after(history: Sequence[HistoryRow], at: datetime) -> bool:
    return any(r.at > at for r in history)


def row_at(kind: str, current: dict[str, Any], history: Sequence[HistoryRow], at: datetime) -> dict[str, Any] | None:
    """The row of `kind` (the deposit query's columns) as it stood at `at`, or None when the
    object did not exist then (created later, or deleted before)."""
    rows = sorted(history, key=lambda r: r.id)
    later = [r for r in rows if r.at > at]
    deleted_at = current.get("deleted_at")
    if not later:
        return None if deleted_at is not None and deleted_at <= at else dict(current)
    state = dict(current)
    for row in reversed(later):
        if row.action == "create":
            return None
        _undo(kind, state, row)
    earlier = [r for r in rows if r.at <= at]
    if any(_updates(r) for r in later):
        last = next((r for r in reversed(earlier) if _updates(r)), None)
        state["updated_at"], state["updater_id"] = (last.at, last.registrar_id) if last else (None, None)
    if any(r.action in _APPROVED for r in later):
        moved = next((r for r in reversed(earlier) if r.action in _APPROVED), None)
        state["transferred_at"] = moved.at if moved else None
    state["deleted_at"] = None
    return state


def _updates(row: HistoryRow) -> bool:
    """Whether the transform counts as the object's last update (a create or a transfer does not)."""
    return row.action != "create" and not row.action.startswith("transfer-") and row.before is not None


def _undo(kind: str, state: dict[str, Any], row: HistoryRow) -> None:
    before = row.before
    if not isinstance(before, dict):
        return
    if row.action == "nameserver-purged":  # a host purged with its superordinate domain left the NS set
        state["nameservers"] = sorted({*state.get("nameservers", ()), before["nameserver"]})
        return
    for key in _UNDONE[kind]:
        if key in before:
            state[key] = _column(kind, key, before[key])


def _column(kind: str, key: str, value: Any) -> Any:
    """A history value in the deposit query's shape (history holds JSON)."""
    if value is None:
        return None
    if key == "expires_at":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if key == "contacts":  # [[role, handle], ...] -> ["role handle", ...] as the query aggregates them
        return sorted(f"{role} {handle}" for role, handle in value)
    if key == "nameservers":
        return sorted(value)
    if key == "addresses":
        return sorted((str(a) for a in value), key=lambda a: (ipaddress.ip_address(a).version,
                                                              ipaddress.ip_address(a)))
    if key == "ds":
        return sorted(([int(k), int(a), int(t), str(d)] for k, a, t, d in value), key=lambda d: tuple(d)) or None
    if key == "statuses":
        return list(value)
    return value
