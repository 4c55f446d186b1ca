"""What the consoles' dashboards show: a registrar's money and domains that need attention,
and the registry's totals. Permissions are checked here, on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from registry_core.context import Core
from registry_core.db.repo import console_notifications as notification_repo
from registry_core.db.repo import overview as repo
from registry_core.db.repo import registrars as registrar_repo
from registry_core.db.tx import Tx
from registry_core.errors import PermissionDenied, not_found
from registry_core.model.accounts import Principal, allowed

EXPIRING_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class RegistrarOverview:
    registrar_id: str
    name: str
    balance: Decimal
    credit_limit: Decimal
    currency: str
    counts: dict[str, int]  # domains, expiring, in_redemption, on_hold, pending_transfers, unread_poll,
    #                         unread_notifications (a user's: events since they last opened the page)


async def registrar_overview(core: Core, who: Principal, registrar_id: str) -> RegistrarOverview:
    if not allowed(who, "view", registrar_id):
        raise PermissionDenied("not this registrar's data", object_type="registrar", name=registrar_id)

    async def run(tx: Tx) -> RegistrarOverview:
        registrar = await registrar_repo.fetch_registrar_by_id(tx.conn, registrar_id)
        if registrar is None:
            raise not_found("registrar", registrar_id)
        counts = await repo.fetch_registrar_counts(tx.conn, registrar_id, tx.now, EXPIRING_WITHIN)
        counts["unread_notifications"] = (await notification_repo.count_unread_events(tx.conn, registrar_id, who.id)
                                          if who.kind == "user" else 0)
        return RegistrarOverview(registrar.id, registrar.name, registrar.balance, registrar.credit_limit,
                                 registrar.currency, counts)
    return await core.db.transaction(run, readonly=True)


async def registry_totals(core: Core, who: Principal) -> dict[str, int]:
    if not who.staff:
        raise PermissionDenied("registry staff only", object_type="registry")
    return await core.db.transaction(lambda tx: repo.fetch_registry_counts(tx.conn), readonly=True)


async def fold_counts(core: Core) -> int:
    """Fold the registrars' count deltas into their totals (run by the lifecycle runner)."""
    return await core.db.transaction(lambda tx: repo.fold_registrar_counts(tx.conn))
