"""The admin console's audit search: history rows by object name (and action), newest
first, with who did it (registrar, console user, address). Registry staff only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import audit_search as repo
from registry_core.errors import PermissionDenied
from registry_core.model.accounts import Principal

LIMIT = 100


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    object_type: str
    object_name: str
    action: str
    registrar_id: str | None
    sv_trid: str
    via: dict[str, str] | None
    before: Any
    after: Any


async def search_history(core: Core, who: Principal, object_name: str, action: str = "",
                         limit: int = LIMIT) -> list[AuditRow]:
    if not who.staff:
        raise PermissionDenied("registry staff only", object_type="history")
    rows = await core.db.transaction(lambda tx: repo.fetch_history(
        tx.conn, object_name.strip().lower(), action.strip(), min(limit, 500)), readonly=True)
    return [AuditRow(**row) for row in rows]
