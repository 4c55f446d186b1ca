"""The registrar console's domain pages: a registrar's domains by name with filters, one
domain's details, and the actions, each through the same service EPP calls, under an
actor whose svTRID says which console user did it (the history records it)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import console_domains as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model import names
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.domain import DomainInfo, DomainRenewed, DomainUpdate
from registry_core.services import domain_update, domains

PAGE = 50
_PREFIX_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")  # A-labels (U-labels: later)
KNOWN_STATUSES = frozenset({"ok", "clientHold", "serverHold", "clientTransferProhibited", "clientUpdateProhibited",
                            "clientDeleteProhibited", "clientRenewProhibited", "redemptionPeriod", "pendingDelete",
                            "pendingTransfer", "inactive"})


@dataclass(frozen=True)
class DomainFilter:
    prefix: str = ""
    status: str | None = None
    expires_before: datetime | None = None


@dataclass(frozen=True)
class DomainRow:
    name: str
    statuses: tuple[str, ...]
    expires_at: datetime
    created_at: datetime


Origin = tuple[tuple[str, str], ...]  # (("ip", address), ("session", hint)): where the request came from


def console_actor(who: Principal, registrar_id: str, origin: Origin = ()) -> Actor:
    """The registrar acted for, an svTRID naming the console user or key (CON-U<id>-<random>),
    and who exactly acted, from where, for the history."""
    via = ((who.kind, who.name), *origin)
    return Actor(registrar_id, f"CON-{who.kind[0].upper()}{who.id}-{secrets.token_hex(6)}", None, via)


def _prefix(text: str) -> str:
    text = text.strip().lower()
    if len(text) > 253 or not all(c in _PREFIX_CHARACTERS for c in text):
        raise InvalidValue("a name prefix has at most 253 letters, digits, hyphens and dots", object_type="domain",
                           name=text[:253])
    return text


async def registrar_domains(core: Core, who: Principal, registrar_id: str, wanted: DomainFilter,
                            after: str = "", limit: int = PAGE) -> list[DomainRow]:
    if not allowed(who, "view", registrar_id):
        raise PermissionDenied("not this registrar's domains", object_type="registrar", name=registrar_id)
    if len(after) > 253:
        raise InvalidValue("after: a domain name (at most 253 characters)", object_type="domain", field="after")
    if wanted.status is not None and wanted.status not in KNOWN_STATUSES:
        raise InvalidValue(f"unknown status {wanted.status}", object_type="domain", field="status")
    rows = await core.db.transaction(lambda tx: repo.fetch_registrar_domains(
        tx.conn, registrar_id, prefix=_prefix(wanted.prefix), status=wanted.status,
        expires_before=wanted.expires_before, after=after, limit=min(limit, 500)), readonly=True)
    return [DomainRow(r["name"], tuple(r["statuses"] or ()) or ("ok",), r["expires_at"], r["created_at"])
            for r in rows]


async def domain_detail(core: Core, who: Principal, name: str) -> DomainInfo:
    """The full view of a domain the user's registrar sponsors (registry staff: any domain)."""
    info = await domains.info_domain(core, Actor(who.registrar_id or "", "CON-INFO"), name)
    if not allowed(who, "view", info.sponsor_id):
        raise PermissionDenied("not this registrar's domain", object_type="domain", name=info.name)
    if who.staff:  # staff see it as its sponsor would
        info = await domains.info_domain(core, Actor(info.sponsor_id, "CON-INFO"), name)
    return info


async def renew_from_console(core: Core, who: Principal, name: str, shown_expiry: date, years: int,
                             origin: Origin = ()) -> DomainRenewed:
    """Renew as the sponsor would over EPP; `shown_expiry` is the date the page showed (a
    second click after a renew meets a different date and is refused, as curExpDate is)."""
    domain_name = names.normalize_object_name(name, "domain")
    info = await domains.info_domain(core, Actor(who.registrar_id or "", "CON-INFO"), domain_name)
    if not allowed(who, "domains.write", info.sponsor_id):
        raise PermissionDenied("this user may not renew this domain", object_type="domain", name=domain_name)
    return await domains.renew_domain(core, console_actor(who, info.sponsor_id, origin), domain_name, shown_expiry,
                                      years)


MAX_NAMESERVERS = 13


async def set_nameservers(core: Core, who: Principal, name: str, wanted: list[str], origin: Origin = ()) -> DomainInfo:
    """Make the domain's name servers exactly `wanted` (host objects that exist, as over
    EPP), as one <update> with the difference; the domain as it is afterwards."""
    domain_name = names.normalize_object_name(name, "domain")
    hosts = sorted({names.normalize_object_name(h, "host") for h in wanted if h.strip()})
    if len(hosts) > MAX_NAMESERVERS:
        raise InvalidValue(f"at most {MAX_NAMESERVERS} name servers", object_type="domain", name=domain_name)
    info = await domains.info_domain(core, Actor(who.registrar_id or "", "CON-INFO"), domain_name)
    if not allowed(who, "domains.write", info.sponsor_id):
        raise PermissionDenied("this user may not change this domain", object_type="domain", name=domain_name)
    current = set(info.nameservers)
    change = DomainUpdate(domain_name, add_nameservers=tuple(h for h in hosts if h not in current),
                          rem_nameservers=tuple(sorted(current - set(hosts))))
    if change.add_nameservers or change.rem_nameservers:
        await domain_update.update_domain(core, console_actor(who, info.sponsor_id, origin), change)
    return await domains.info_domain(core, Actor(info.sponsor_id, "CON-INFO"), domain_name)


EXPORT_BATCH = 2000


async def export_domains(core: Core, who: Principal, registrar_id: str,
                         sink: Callable[[list[dict[str, Any]]], Awaitable[None]]) -> int:
    """Every domain of the registrar, in batches to `sink`, from one snapshot: a CSV export
    of any size that never holds more than a batch. The number of domains."""
    if not allowed(who, "view", registrar_id):
        raise PermissionDenied("not this registrar's domains", object_type="registrar", name=registrar_id)

    async def run(tx: Tx) -> int:
        count, batch = 0, []
        async for row in repo.iter_registrar_domains(tx.conn, registrar_id):
            batch.append(row)
            if len(batch) == EXPORT_BATCH:
                await sink(batch)
                count, batch = count + len(batch), []
        if batch:
            await sink(batch)
        return count + len(batch)
    return await core.db.snapshot(run)
