"""EPP status values to RDAP status values (RFC 8056 section 2; RFC 3915 grace periods)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

EPP_TO_RDAP = {
    "ok": "active",
    "linked": "associated",
    "inactive": "inactive",
    "pendingCreate": "pending create",
    "pendingDelete": "pending delete",
    "pendingRenew": "pending renew",
    "pendingTransfer": "pending transfer",
    "pendingUpdate": "pending update",
    "clientDeleteProhibited": "client delete prohibited",
    "clientHold": "client hold",
    "clientRenewProhibited": "client renew prohibited",
    "clientTransferProhibited": "client transfer prohibited",
    "clientUpdateProhibited": "client update prohibited",
    "serverDeleteProhibited": "server delete prohibited",
    "serverHold": "server hold",
    "serverRenewProhibited": "server renew prohibited",
    "serverTransferProhibited": "server transfer prohibited",
    "serverUpdateProhibited": "server update prohibited",
    "addPeriod": "add period",
    "autoRenewPeriod": "auto renew period",
    "renewPeriod": "renew period",
    "transferPeriod": "transfer period",
    "redemptionPeriod": "redemption period",
    "pendingRestore": "pending restore",
}


def rdap_statuses(epp: Iterable[str]) -> list[str]:
    """Mapped values in input order without repeats; unknown values are dropped."""
    return list(_mapped(tuple(epp)))


@functools.lru_cache(maxsize=4096)  # status sets repeat: the same few combinations, over and over
def _mapped(epp: tuple[str, ...]) -> tuple[str, ...]:
    mapped = (EPP_TO_RDAP.get(status) for status in epp)
    return tuple(dict.fromkeys(s for s in mapped if s))
