"""The admin console's lists as CSV of any size: each list's columns, its rows read from a
cursor in one snapshot and handed on in batches (exports.in_batches). Registry staff only."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.db.repo import admin_export as repo
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model.accounts import Principal, allowed
from registry_core.services.exports import Sink, in_batches

COLUMNS: dict[str, tuple[str, ...]] = {
    "tlds": ("name", "contact_policy", "currency", "min_period_years", "max_period_years", "prices"),
    "registrars": ("id", "name", "iana_id", "status", "balance", "credit_limit", "currency", "email",
                   "price_group", "ip_allowlist"),
    "premium": ("name", "create", "renew", "transfer", "restore"),
    "reserved": ("name", "reason"),
    "users": ("login", "email", "role", "registrar_id", "created_at", "disabled_at"),
}
KEYED = frozenset({"premium", "reserved"})  # lists of one TLD


async def export_list(core: Core, who: Principal, kind: str, sink: Sink, key: str | None = None) -> int:
    """Hand the list's rows to `sink` a batch at a time; the number of rows."""
    if not who.staff or not allowed(who, "view"):
        raise PermissionDenied("registry staff only", object_type="export", name=kind)
    if kind not in COLUMNS or (kind in KEYED and not key):
        raise InvalidValue("no such list", object_type="export", name=kind)
    return await core.db.snapshot(lambda tx: in_batches(repo.iter_rows(tx.conn, kind, key), sink))
