"""A domain name's past from the history (`registry history domain NAME [--at T]`): every
transform in order, and the registration as it stood at a time T (model/timeline.py)."""

from __future__ import annotations

from datetime import datetime

from registry_core.context import Core
from registry_core.db.repo import audit_search as repo
from registry_core.db.tx import Tx
from registry_core.errors import not_found
from registry_core.model import names
from registry_core.model.timeline import DomainAt, HistoryRow, domain_at


async def domain_history(core: Core, name: str) -> list[HistoryRow]:
    """Every history row of the name (every registration of it), oldest first."""
    domain_name = names.normalize_object_name(name, "domain")

    async def run(tx: Tx) -> list[HistoryRow]:
        return [HistoryRow(**row) for row in await repo.fetch_object_history(tx.conn, "domain", domain_name)]
    rows: list[HistoryRow] = await core.db.transaction(run, readonly=True)
    if not rows:
        raise not_found("domain", domain_name)
    return rows


async def domain_state_at(core: Core, name: str, at: datetime) -> DomainAt:
    """The registration live at `at`; ObjectNotFound when the name was not registered then."""
    found = domain_at(await domain_history(core, name), at)
    if found is None:
        raise not_found("domain", names.normalize_object_name(name, "domain"))
    return found
