"""Status values of RFC 5731-5733 and the rules they impose."""

from __future__ import annotations

from collections.abc import Iterable

from registry_core.errors import CoreError, PolicyViolation, StatusProhibits
from registry_core.model.changes import Changed, apply_changes

CLIENT_SETTABLE = {
    "domain": frozenset({"clientDeleteProhibited", "clientHold", "clientRenewProhibited",
                         "clientTransferProhibited", "clientUpdateProhibited"}),
    "contact": frozenset({"clientDeleteProhibited", "clientTransferProhibited",
                          "clientUpdateProhibited"}),
    "host": frozenset({"clientDeleteProhibited", "clientUpdateProhibited"}),
}

# operation -> the statuses that forbid it
_PROHIBITS = {
    "update": ("clientUpdateProhibited", "serverUpdateProhibited", "pendingDelete", "pendingTransfer"),
    "delete": ("clientDeleteProhibited", "serverDeleteProhibited", "pendingDelete", "pendingTransfer"),
    "renew": ("clientRenewProhibited", "serverRenewProhibited", "pendingDelete", "pendingTransfer"),
    "transfer": ("clientTransferProhibited", "serverTransferProhibited", "pendingDelete"),
}


def blocking_status(operation: str, statuses: Iterable[str]) -> str | None:
    """The first status that forbids `operation`, or None."""
    present = set(statuses)
    for status in _PROHIBITS[operation]:
        if status in present:
            return status
    return None


def displayed_statuses(stored: Iterable[str], *, pending_transfer: bool = False,
                       linked: bool = False, inactive: bool = False) -> list[str]:
    """The status set a client sees: stored values plus the derived ones. `ok` appears
    when nothing else applies; RFC 5732/5733 let it stand beside `linked` only, and
    RFC 5731 lets it stand beside nothing (a domain without hosts is `inactive`)."""
    shown = set(stored)
    if pending_transfer:
        shown.add("pendingTransfer")
    if linked:
        shown.add("linked")
    if inactive:
        shown.add("inactive")
    if not shown - {"linked"}:
        shown.add("ok")
    return sorted(shown)


def require_allowed(operation: str, statuses: Iterable[str], object_type: str, name: str,
                    *, pending_transfer: bool = False) -> None:
    present = list(statuses) + (["pendingTransfer"] if pending_transfer else [])
    status = blocking_status(operation, present)
    if status:
        raise StatusProhibits(f"{status} prohibits {operation}", object_type=object_type, name=name,
                              field="status", value=status)


def update_allowed(statuses: Iterable[str], rem: frozenset[str], kind: str, name: str,
                   *, pending_transfer: bool = False) -> None:
    """clientUpdateProhibited lets through only an update that removes it (RFC 5731 2.3)."""
    effective = [s for s in statuses if not (s == "clientUpdateProhibited" and s in rem)]
    require_allowed("update", effective, kind, name, pending_transfer=pending_transfer)


def change_statuses(kind: str, add: frozenset[str], rem: frozenset[str], current: Iterable[str],
                    name: str) -> Changed[str]:
    """Client status changes: only client-settable values, no duplicates, no ghosts. Every
    wrong value is a problem of its own."""
    def refuse(detail: str, status: str) -> CoreError:
        return PolicyViolation(detail, object_type=kind, name=name, field="status", value=status)
    settable = CLIENT_SETTABLE[kind]
    unsettable = [refuse("status is not client-settable", s) for s in sorted(add | rem) if s not in settable]
    changed = apply_changes(current, sorted(add & settable), sorted(rem & settable), refuse=refuse,
                            already="status already present", missing="status not present")
    return Changed(changed.result, unsettable + changed.problems)
