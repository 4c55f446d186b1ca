"""Registry lock's rules: what a lock sets, how long a mailed code lives, and which update
a TLD's policy still lets through under lock (DS changes only: key rollovers)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from registry_core.model.domain import DomainUpdate

LOCK_STATUSES = frozenset({"serverUpdateProhibited", "serverDeleteProhibited", "serverTransferProhibited"})
ACTIONS = ("lock", "unlock")
CODE_LIFETIME = timedelta(hours=1)
CODE_DIGITS = 8
MAX_TRIES = 5  # wrong codes before the request is cancelled (10^8 codes, 5 guesses)
MAX_REASON = 500


@dataclass(frozen=True)
class LockRequest:
    id: int
    domain: str
    registrar_id: str
    action: str
    state: str
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True)
class LockedDomain:
    domain: str
    registrar_id: str
    locked_at: datetime


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def code_digest(request_key: str, code: str) -> bytes:
    return hashlib.sha256(f"{request_key}:{code.strip()}".encode()).digest()


def code_matches(stored: bytes, request_key: str, code: str) -> bool:
    return hmac.compare_digest(bytes(stored), code_digest(request_key, code))


def ds_only(req: DomainUpdate) -> bool:
    """Whether the update changes DS records and nothing else."""
    changes_ds = bool(req.add_ds or req.rem_ds or req.rem_all_ds)
    others = (req.add_statuses or req.rem_statuses or req.add_nameservers or req.rem_nameservers
              or req.add_contacts or req.rem_contacts or req.registrant is not None or req.auth_info is not None)
    return changes_ds and not others


def without_lock(statuses: list[str]) -> list[str]:
    """The statuses a DS-only update is judged by when the TLD lets DS changes through a lock."""
    return [s for s in statuses if s != "serverUpdateProhibited"]
