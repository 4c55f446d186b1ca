"""Domain update (RFC 5731 3.2.5, RFC 5910 secDNS update): one transaction that applies
status, contact, name-server, registrant, authInfo and DS changes after checking all of them.
Every independent problem is found before the command answers, all of them at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects
from registry_core.db.repo import domains as repo
from registry_core.db.repo import registry_lock as lock_repo
from registry_core.db.tx import Tx
from registry_core.errors import CoreError, PolicyViolation, StatusProhibits
from registry_core.model.actor import Actor
from registry_core.model.authority import require_sponsor
from registry_core.model.changes import apply_changes
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.model.domain_policy import contact_policy_problems, ds_problems, nameserver_count_problems
from registry_core.model.registrar import Tld
from registry_core.model.registry_lock import ds_only, without_lock
from registry_core.model.statuses import change_statuses, update_allowed
from registry_core.model.violations import Violations
from registry_core.services import lock_refusals
from registry_core.services.domains import context, lock_domain, resolve_contacts, resolve_hosts, snapshot


@dataclass(frozen=True)
class _Plan:
    """What the update leaves: the domain's new sets, and the ids the writes need."""

    statuses: list[str]
    nameservers: list[str]
    add_hosts: dict[str, int]
    rem_hosts: dict[str, int]
    contacts: list[tuple[str, str]]
    contact_ids: dict[str, int]
    registrant: str | None
    ds_before: list[DsData]
    ds_after: list[DsData]


def _refusal(name: str, field: str) -> Callable[[str, Any], CoreError]:
    def refuse(detail: str, item: Any) -> CoreError:
        value = item[1] if isinstance(item, tuple) else item  # a contact link names its handle
        return PolicyViolation(detail, object_type="domain", name=name, field=field, value=value)
    return refuse


async def _plan(tx: Tx, tld: Tld, row: dict[str, Any], links: dict[str, Any], req: DomainUpdate) -> _Plan:
    name, found = row["name"], Violations()
    statuses = change_statuses("domain", req.add_statuses, req.rem_statuses, row["statuses"], name)
    found.add(statuses.problems)
    add_hosts = await resolve_hosts(tx, list(req.add_nameservers), found)
    rem_hosts = await resolve_hosts(tx, list(req.rem_nameservers), found)
    nameservers = apply_changes(links["nameservers"], add_hosts, rem_hosts, refuse=_refusal(name, "hostObj"),
                                already="name server already present", missing="name server not present")
    found.add([*nameservers.problems, *nameserver_count_problems(name, len(nameservers.result))])
    contacts = apply_changes(links["contacts"], req.add_contacts, req.rem_contacts, refuse=_refusal(name, "contact"),
                             already="contact already linked in this role", missing="contact not linked in this role")
    found.add(contacts.problems)
    linked = [h for role, h in req.rem_contacts if (role, h) in links["contacts"]]  # these exist
    given = [h for _, h in req.add_contacts] + ([req.registrant] if req.registrant else [])
    contact_ids = await resolve_contacts(tx, given + linked, found)
    registrant = links["registrant"] if req.registrant is None else (req.registrant or None)
    found.add(contact_policy_problems(tld, name, registrant, contacts.result, given_registrant=req.registrant,
                                      given_contacts=req.add_contacts))
    ds_before = await repo.fetch_ds(tx.conn, row["id"])
    ds_after = _change_ds(req, ds_before)
    found.add(ds_problems(name, ds_after))
    found.raise_any()
    return _Plan(statuses.result, nameservers.result, add_hosts, rem_hosts, contacts.result, contact_ids,
                 registrant, ds_before, ds_after)


async def update_domain(core: Core, actor: Actor, req: DomainUpdate) -> None:
    async def run(tx: Tx) -> None:
        row, tld = await lock_domain(tx, req.name)
        name = row["name"]
        require_sponsor(actor, row, "domain", name)
        links = await repo.fetch_domain_details(tx.conn, row["id"])  # one round trip for links and state
        statuses = await _judged_statuses(tx, tld, row, req)
        update_allowed(statuses, req.rem_statuses, "domain", name, pending_transfer=links["pending_transfer"])
        plan = await _plan(tx, tld, row, links, req)
        values: dict[str, Any] = {"statuses": plan.statuses, "updated_at": tx.now, "updater_id": actor.registrar_id}
        if req.registrant is not None:
            values["registrant_id"] = plan.contact_ids[req.registrant] if req.registrant else None
        if req.auth_info is not None:
            values["auth_info"] = core.cipher.encrypt(req.auth_info, context(row))
        await repo.update_domain(tx.conn, row["id"], values)
        await _write_links(tx, row["id"], req, plan)
        if _changes_zone(row, req, plan):
            await dns_changes.record_dns_changes(tx.conn, tx.now, domains=[row["id"]],
                                                 hosts=list(plan.rem_hosts.values()))
        await objects.insert_history(
            tx.conn, actor, tx.now, "domain", row["id"], name, "update",
            snapshot(row, links["contacts"], links["nameservers"], links["registrant"], plan.ds_before),
            snapshot({**row, **values}, plan.contacts, plan.nameservers, plan.registrant, plan.ds_after))
    try:
        await core.db.transaction(run)
    except StatusProhibits as refusal:
        await lock_refusals.record_refusal(core, actor, refusal, "update")
        raise


async def _judged_statuses(tx: Tx, tld: Tld, row: dict[str, Any], req: DomainUpdate) -> list[str]:
    """The statuses the update is judged by: a DS-only update of a locked domain on a TLD whose
    policy lets DS changes through a lock is not stopped by the lock's serverUpdateProhibited."""
    statuses = list(row["statuses"] or ())
    if (tld.lock_allows_ds and "serverUpdateProhibited" in statuses and ds_only(req)
            and await lock_repo.fetch_lock(tx.conn, row["id"]) is not None):
        return without_lock(statuses)
    return statuses


async def _write_links(tx: Tx, domain_id: int, req: DomainUpdate, plan: _Plan) -> None:
    ids = plan.contact_ids
    await repo.delete_host_links(tx.conn, domain_id, list(plan.rem_hosts.values()))
    await repo.insert_host_links(tx.conn, domain_id, [i for h, i in plan.add_hosts.items() if h not in plan.rem_hosts])
    await repo.delete_contact_links(tx.conn, domain_id, [(r, ids[h]) for r, h in req.rem_contacts])
    await repo.insert_contact_links(tx.conn, domain_id, [(r, ids[h]) for r, h in req.add_contacts])
    await repo.delete_ds(tx.conn, domain_id, None if req.rem_all_ds else list(req.rem_ds))
    await repo.insert_ds(tx.conn, domain_id, list(req.add_ds))


def _changes_zone(row: dict[str, Any], req: DomainUpdate, plan: _Plan) -> bool:
    """Whether the update can change what the zone holds: statuses (hold), name servers, DS."""
    return (sorted(plan.statuses) != sorted(row["statuses"]) or bool(req.add_nameservers or req.rem_nameservers)
            or plan.ds_before != plan.ds_after)


def _change_ds(req: DomainUpdate, current: list[Any]) -> list[Any]:
    def key(ds: Any) -> tuple[int, int, int, str]:
        return (ds.key_tag, ds.alg, ds.digest_type, ds.digest)
    removed = {key(d) for d in current} if req.rem_all_ds else {key(d) for d in req.rem_ds}
    kept = [d for d in current if key(d) not in removed]
    return kept + [d for d in req.add_ds if key(d) not in {key(k) for k in kept}]
