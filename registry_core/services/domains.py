"""Domain use cases (RFC 5731 with RFC 5910 DS data): check, info, create, renew, delete."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import contacts as contact_repo
from registry_core.db.repo import dns_changes, objects, tlds
from registry_core.db.repo import domains as repo
from registry_core.db.repo import hosts as host_repo
from registry_core.db.repo import lifecycle as lifecycle_repo
from registry_core.db.tx import Tx
from registry_core.errors import (
    CurrentExpiryMismatch,
    DomainHasSubordinateHosts,
    InvalidValue,
    PolicyViolation,
    StatusProhibits,
    not_found,
)
from registry_core.model import lifecycle as lc
from registry_core.model import names
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.authority import proves_auth_info, require_sponsor
from registry_core.model.check import CheckResult
from registry_core.model.domain import DomainCreate, DomainCreated, DomainInfo, DomainRenewed, DsData
from registry_core.model.domain_policy import create_problems, period_problems
from registry_core.model.lifecycle import DomainDeleted
from registry_core.model.periods import MAX_YEARS, add_years
from registry_core.model.pricing import accept_fee
from registry_core.model.registrar import Tld
from registry_core.model.roid import format_roid
from registry_core.model.statuses import displayed_statuses, require_allowed
from registry_core.model.violations import Violations
from registry_core.services import grace, lock_refusals, notifications, pricing, risk, transitions
from registry_core.services.tlds import find_tld


def context(row: dict[str, Any]) -> str:
    return f"domain:{row['roid']}"


async def check_domains(core: Core, actor: Actor, raw_names: list[str], *,
                        fee_check: bool = False) -> list[CheckResult]:
    """Availability of each name. Reserved names are unavailable with their reason. A
    premium name is unavailable unless the client also asked for fees (`fee_check`):
    RFC 8748 section 3.1.1 wants avail="0" for a name whose create would fail without a fee."""
    async def run(tx: Tx) -> list[CheckResult]:
        served = await tlds.fetch_tld_names(tx)
        verdicts: dict[str, str | CheckResult] = {}
        tld_names: set[str] = set()
        for raw in raw_names:
            try:
                name = names.normalize_name(raw)
            except InvalidValue as exc:
                verdicts[raw] = CheckResult(raw, False, exc.detail)
                continue
            split = names.split_registrable(name, served)
            if split is None:
                verdicts[raw] = CheckResult(raw, False, "Not in a TLD served here")
            else:
                verdicts[raw] = name
                tld_names.add(split[1])
        wanted = [v for v in verdicts.values() if isinstance(v, str)]
        blocked = await _blocked_names(tx, wanted, fee_check, tld_names)
        return [v if isinstance(v, CheckResult) else
                CheckResult(raw, False, blocked[v]) if v in blocked else CheckResult(raw, True)
                for raw, v in verdicts.items()]
    return await core.db.transaction(run, readonly=True)


async def _blocked_names(tx: Tx, wanted: list[str], fee_check: bool, tld_names: set[str]) -> dict[str, str]:
    """{name: reason} for names that cannot be created now: taken, reserved, or premium
    when the client did not ask for fees. TLDs without reserved or premium lists (known from
    the cached TLD policy) skip those lookups."""
    if not wanted:
        return {}
    served = [tld for tld in [await tlds.fetch_tld_by_name(tx, n) for n in tld_names] if tld]
    return await repo.fetch_blocked_names(
        tx.conn, wanted, reserved=any(t.has_reserved for t in served),
        premium_blocks=not fee_check and any(t.has_premium for t in served))


def info_of(core: Core, tx: Tx, found: tuple[dict[str, Any], dict[str, Any], list[DsData]], *, full: bool,
            with_secret: bool) -> DomainInfo:
    row, details, ds = found
    statuses = displayed_statuses(row["statuses"], pending_transfer=details["pending_transfer"],
                                  inactive=not details["nameservers"])
    secret = core.cipher.decrypt(row["auth_info"], context(row)) if with_secret and row["auth_info"] else None
    return DomainInfo(
        row["name"], row["roid"], row["tld"], tuple(statuses), details["registrant"],
        tuple(details["contacts"]), tuple(details["nameservers"]), tuple(details["subordinates"]),
        row["sponsor_id"], row["creator_id"], row["created_at"], row["updater_id"], row["updated_at"],
        row["expires_at"], row["transferred_at"], tuple(ds),
        secret, full, lc.rgp_statuses_of(details["graces"], row["rgp_state"], tx.now))


async def info_domain(core: Core, actor: Actor, name: str, auth_info: str | None = None) -> DomainInfo:
    """Anyone gets the public view; the sponsor, or a caller with the right authInfo, also
    gets the authInfo. A wrong authInfo is refused."""
    domain_name = names.normalize_object_name(name, "domain")

    async def run(tx: Tx) -> DomainInfo:
        found = await repo.fetch_domain_for_info(tx.conn, domain_name)
        if found is None:
            raise not_found("domain", domain_name)
        row = found[0]
        authorized = proves_auth_info(core.cipher, actor, row, auth_info, context(row), "domain")
        # RFC 5731 3.1.2: the authInfo itself goes to the sponsoring client only
        return info_of(core, tx, found, full=authorized, with_secret=row["sponsor_id"] == actor.registrar_id)
    return await core.db.transaction(run, readonly=True)


async def resolve_contacts(tx: Tx, handles: list[str], found: Violations) -> dict[str, int]:
    """{handle: id}; each handle that names no contact is a problem of its own."""
    wanted = list(dict.fromkeys(handles))
    ids = await contact_repo.fetch_contact_ids_by_handles(tx.conn, sorted(wanted)) if wanted else {}
    found.add(not_found("contact", handle) for handle in wanted if handle not in ids)
    return ids


async def resolve_hosts(tx: Tx, host_names: list[str], found: Violations) -> dict[str, int]:
    """{normalized name: id}; each malformed or unknown host name is a problem of its own."""
    wanted: list[str] = []
    for raw in dict.fromkeys(host_names):
        host = found.attempt(partial(names.normalize_object_name, raw, "host"))
        if host is not None and host not in wanted:
            wanted.append(host)
    ids = await host_repo.fetch_host_ids_by_names(tx.conn, sorted(wanted)) if wanted else {}
    found.add(not_found("host", host) for host in wanted if host not in ids)
    return ids


def snapshot(row: dict[str, Any], contacts: list[tuple[str, str]], nameservers: list[str],
             registrant: str | None, ds: list[DsData]) -> dict[str, Any]:
    return {"name": row["name"], "roid": row["roid"], "statuses": list(row["statuses"]),
            "registrant": registrant, "contacts": [list(c) for c in contacts], "nameservers": nameservers,
            "sponsor_id": row["sponsor_id"], "expires_at": row["expires_at"],
            "ds": [[d.key_tag, d.alg, d.digest_type, d.digest] for d in ds]}


async def _check_create(tx: Tx, tld: Tld, name: str, req: DomainCreate) -> tuple[dict[str, int], dict[str, int]]:
    """Every independent problem of a create, raised together; else the contact and host ids."""
    found = Violations()
    found.add(create_problems(tld, name, req))
    await found.attempt_async(pricing.require_not_reserved(tx, name))
    handles = [h for _, h in req.contacts] + ([req.registrant] if req.registrant else [])
    contact_ids = await resolve_contacts(tx, handles, found)
    host_ids = await resolve_hosts(tx, list(req.nameservers), found)
    found.raise_any()
    return contact_ids, host_ids


async def create_domain(core: Core, actor: Actor, req: DomainCreate, *, accepted_fee: Decimal | None = None,
                        fee_currency: str | None = None) -> DomainCreated:
    """`accepted_fee` is the fee the client agreed to (RFC 8748 fee:create), None when it
    sent no fee element; a premium name then is refused (PremiumFeeNotAcknowledged)."""
    async def run(tx: Tx) -> DomainCreated:
        name, tld = await find_tld(tx, req.name)
        contact_ids, host_ids = await _check_create(tx, tld, name, req)
        # the fee is judged on a command that is otherwise right: its price depends on the period
        quote = await pricing.quote_in(tx, actor.registrar_id, name, tld, "create", req.period_years)
        accept_fee(quote, accepted_fee, fee_currency)
        assessment = (await risk.assess_create(tx, actor, tld.name, name, sorted(host_ids))
                      if tld.has_risk_policy else None)
        did = await repo.next_domain_id(tx.conn)
        roid = format_roid("domain", did, tld.roid_suffix)
        expires = add_years(tx.now, req.period_years)
        values = {"id": did, "roid": roid, "name": name, "tld": tld.name,
                  "registrant_id": contact_ids[req.registrant] if req.registrant else None,
                  "sponsor_id": actor.registrar_id, "creator_id": actor.registrar_id, "created_at": tx.now,
                  "expires_at": expires, "auth_info": core.cipher.encrypt(req.auth_info, f"domain:{roid}"),
                  "statuses": ["serverHold"] if assessment is not None and assessment.holds else []}
        await repo.insert_domain(tx.conn, values)
        await repo.insert_contact_links(tx.conn, did, [(r, contact_ids[h]) for r, h in req.contacts])
        await repo.insert_host_links(tx.conn, did, sorted(set(host_ids.values())))
        await repo.insert_ds(tx.conn, did, list(req.ds))
        await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[did])
        await grace.open_grace(tx, did, "addPeriod", actor.registrar_id, actor.sv_trid, tld.add_grace, quote)
        await objects.insert_history(tx.conn, actor, tx.now, "domain", did, name, "create", None,
                                     snapshot(values, list(req.contacts), sorted(host_ids), req.registrant,
                                              list(req.ds)))
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_CREATED, actor.registrar_id, values,
            {"exDate": expires, "period": req.period_years, "nameservers": sorted(host_ids)}))
        if assessment is not None:  # flagged or held for review, in this same transaction
            await risk.record_assessment(tx, actor, values, assessment)
        # last: the registrar's balance row stays locked from here to commit, which serializes
        # every paying command of that registrar, so hold it as briefly as possible
        await pricing.charge_quote(tx, actor, actor.registrar_id, quote, ("domain", did, name))
        return DomainCreated(name, tx.now, expires, str(quote.total), quote.currency)
    return await core.db.transaction(run)


async def lock_domain(tx: Tx, name: str) -> tuple[dict[str, Any], Tld]:
    domain_name, tld = await find_tld(tx, name)
    row = await repo.fetch_domain_by_name(tx.conn, domain_name, lock=True)
    if row is None:
        raise not_found("domain", domain_name)
    return row, tld


async def renew_domain(core: Core, actor: Actor, name: str, current_expiry: datetime | Any,
                       years: int, *, accepted_fee: Decimal | None = None,
                       fee_currency: str | None = None) -> DomainRenewed:
    """`current_expiry` is the date the client believes the domain expires on (curExpDate);
    `accepted_fee` the fee it agreed to (RFC 8748 fee:renew), None when it sent none."""
    async def run(tx: Tx) -> DomainRenewed:
        row, tld = await lock_domain(tx, name)
        require_sponsor(actor, row, "domain", row["name"])
        pending = await objects.fetch_pending_transfer(tx.conn, "domain", row["id"]) is not None
        require_allowed("renew", row["statuses"], "domain", row["name"], pending_transfer=pending)
        for problem in period_problems(tld, years, row["name"]):
            raise problem
        if row["expires_at"].date() != current_expiry:
            raise CurrentExpiryMismatch("curExpDate does not match the expiry date", object_type="domain",
                                        name=row["name"], field="curExpDate", value=str(current_expiry))
        expires = add_years(row["expires_at"], years)
        if expires > add_years(tx.now, MAX_YEARS):
            raise PolicyViolation(f"expiry may not lie more than {MAX_YEARS} years ahead",
                                  object_type="domain", name=row["name"], field="period", value=str(years))
        quote = await pricing.quote_in(tx, actor.registrar_id, row["name"], tld, "renew", years)
        accept_fee(quote, accepted_fee, fee_currency)
        await repo.update_domain(tx.conn, row["id"], {"expires_at": expires})
        await pricing.charge_quote(tx, actor, actor.registrar_id, quote, ("domain", row["id"], row["name"]))
        await grace.open_grace(tx, row["id"], "renewPeriod", actor.registrar_id, actor.sv_trid,
                               tld.renew_grace, quote)
        await objects.insert_history(tx.conn, actor, tx.now, "domain", row["id"], row["name"], "renew",
                                     {"expires_at": row["expires_at"]}, {"expires_at": expires})
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_RENEWED, actor.registrar_id, row, {"exDate": expires, "period": years}))
        return DomainRenewed(row["name"], expires, str(quote.total), quote.currency)
    return await core.db.transaction(run)


async def delete_domain(core: Core, actor: Actor, name: str) -> DomainDeleted:
    """RFC 5731 delete with RFC 3915 grace periods. Every open grace period's charge is
    refunded to whoever paid it. Inside the add grace period the domain goes at once and
    the name is free (`pending` False, EPP 1000); otherwise it enters redemptionPeriod,
    restorable, and is purged by the lifecycle runner later (`pending` True, EPP 1001).
    A domain with subordinate hosts cannot be deleted (RFC 5731 section 3.2.2)."""
    async def run(tx: Tx) -> DomainDeleted:
        row, tld = await lock_domain(tx, name)
        require_sponsor(actor, row, "domain", row["name"])
        pending = await objects.fetch_pending_transfer(tx.conn, "domain", row["id"]) is not None
        require_allowed("delete", row["statuses"], "domain", row["name"], pending_transfer=pending)
        subordinates = await host_repo.fetch_subordinate_host_names(tx.conn, row["id"])
        if subordinates:
            raise DomainHasSubordinateHosts("delete its subordinate hosts first", object_type="domain",
                                            name=row["name"], field="host", value=subordinates[0])
        graces = await lifecycle_repo.fetch_grace_periods(tx.conn, row["id"])
        credits = await grace.refund_graces(tx, actor, row, lc.refundable(graces, tx.now), "refunded by delete")
        if lc.in_add_grace(graces, tx.now):
            await transitions.purge(tx, actor, row, "delete", notify=False)
            await _deleted_event(tx, actor, row, None)
            return DomainDeleted(row["name"], False, tuple(credits), tld.currency)
        after = await transitions.enter_redemption(tx, actor, row, tld)
        await _deleted_event(tx, actor, row, after["rgp_until"])
        return DomainDeleted(row["name"], True, tuple(credits), tld.currency)
    try:
        return await core.db.transaction(run)
    except StatusProhibits as refusal:
        await lock_refusals.record_refusal(core, actor, refusal, "delete")
        raise


async def _deleted_event(tx: Tx, actor: Actor, row: dict[str, Any], redemption_until: datetime | None) -> None:
    """domain.deleted: gone at once (inside the add grace period) or in redemption until a time."""
    payload = {"pending": redemption_until is not None, "rgpState": "redemptionPeriod" if redemption_until else None,
               "until": redemption_until}
    await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
        note.DOMAIN_DELETED, actor.registrar_id, row, payload))
