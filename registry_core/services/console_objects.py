"""The registrar console's contact and host lists and their CSV exports (one snapshot,
one batch in memory at a time), for any user of the registrar."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import console_objects as repo
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model.accounts import Principal, allowed
from registry_core.services.exports import Sink, in_batches

PAGE = 50
KINDS = ("contact", "host")


def _check(who: Principal, kind: str, registrar_id: str, after: str = "") -> None:
    if kind not in KINDS:
        raise InvalidValue(f"unknown object kind {kind}", field="kind")
    if not allowed(who, "view", registrar_id):
        raise PermissionDenied(f"not this registrar's {kind}s", object_type="registrar", name=registrar_id)
    if len(after) > 253:
        raise InvalidValue("after: at most 253 characters", object_type=kind, field="after")


async def registrar_objects(core: Core, who: Principal, kind: str, registrar_id: str, after: str = "",
                            limit: int = PAGE) -> list[dict[str, Any]]:
    """Up to `limit` of the registrar's contacts or hosts after `after`, by handle or name."""
    _check(who, kind, registrar_id, after)
    return await core.db.transaction(lambda tx: repo.fetch_objects(tx.conn, kind, registrar_id, after,
                                                                   min(limit, 500)), readonly=True)


async def export_objects(core: Core, who: Principal, kind: str, registrar_id: str, sink: Sink) -> int:
    _check(who, kind, registrar_id)
    return await core.db.snapshot(lambda tx: in_batches(repo.iter_objects(tx.conn, kind, registrar_id), sink))
