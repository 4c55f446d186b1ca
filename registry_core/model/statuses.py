"""Status values of RFC 5731-5733 and the rules they impose."""

from __future__ import annotations

from collections.abc import Iterable

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
