"""Domain update (RFC 5731 3.2.5, RFC 5910 secDNS update): one transaction that applies
status, contact, name-server, registrant, authInfo and DS changes after checking all of them."""

from __future__ import annotations

from typing import Any

from registry_core.context import Core
from registry_core.db.repo import domains as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import ContactPolicyViolation, PolicyViolation, ValueOutOfRange
from registry_core.model.common import Actor
from registry_core.model.domain import MAX_NAMESERVERS, DomainUpdate
from registry_core.model.registrar import Tld
from registry_core.services.common import check_status_change, require_sponsor, update_allowed
from registry_core.services.domains import (
    check_ds,
    context,
    lock_domain,
    resolve_contacts,
    resolve_hosts,
    snapshot,
)


def _change_nameservers(name: str, current: list[str], add: dict[str, int], rem: dict[str, int]) -> list[str]:
    for host in add:
        if host in current and host not in rem:
            raise PolicyViolation("name server already present", object_type="domain", name=name,
                                  field="hostObj", value=host)
    for host in rem:
        if host not in current:
            raise PolicyViolation("name server not present", object_type="domain", name=name,
                                  field="hostObj", value=host)
    result = sorted((set(current) - set(rem)) | set(add))
    if len(result) > MAX_NAMESERVERS:
        raise ValueOutOfRange(f"at most {MAX_NAMESERVERS} name servers", object_type="domain", name=name,
                              field="ns")
    return result


def _change_contacts(name: str, current: list[tuple[str, str]], add: list[tuple[str, str]],
                     rem: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for link in add:
        if link in current and link not in rem:
            raise PolicyViolation("contact already linked in this role", object_type="domain", name=name,
                                  field="contact", value=link[1])
    for link in rem:
        if link not in current:
            raise PolicyViolation("contact not linked in this role", object_type="domain", name=name,
                                  field="contact", value=link[1])
    return sorted((set(current) - set(rem)) | set(add))


def _check_policy(tld: Tld, name: str, registrant: str | None, contacts: list[tuple[str, str]],
                  req: DomainUpdate) -> None:
    if tld.contact_policy == "none" and (req.add_contacts or req.registrant):
        raise ContactPolicyViolation(f"contacts are not collected for .{tld.name}", object_type="domain",
                                     name=name, field="contact")
    if tld.contact_policy == "required":
        roles = {role for role, _ in contacts}
        missing = ([] if registrant else ["registrant"]) + [r for r in ("admin", "tech") if r not in roles]
        if missing:
            raise ContactPolicyViolation(f".{tld.name} requires {', '.join(missing)}", object_type="domain",
                                         name=name, field=missing[0])


async def update_domain(core: Core, actor: Actor, req: DomainUpdate) -> None:
    async def run(tx: Tx) -> None:
        row, tld = await lock_domain(tx, req.name)
        name = row["name"]
        require_sponsor(actor, row, "domain", name)
        links = await repo.fetch_domain_details(tx.conn, row["id"])  # one round trip for links and state
        update_allowed(row["statuses"], req.rem_statuses, "domain", name, pending_transfer=links["pending_transfer"])
        statuses = check_status_change("domain", req.add_statuses, req.rem_statuses, row["statuses"], name)
        add_hosts = await resolve_hosts(tx, list(req.add_nameservers))
        rem_hosts = await resolve_hosts(tx, list(req.rem_nameservers))
        nameservers = _change_nameservers(name, links["nameservers"], add_hosts, rem_hosts)
        contacts = _change_contacts(name, links["contacts"], list(req.add_contacts), list(req.rem_contacts))
        handles = [h for _, h in req.add_contacts + req.rem_contacts] + ([req.registrant] if req.registrant else [])
        contact_ids = await resolve_contacts(tx, handles)
        old_registrant = links["registrant"]
        registrant = old_registrant if req.registrant is None else (req.registrant or None)
        _check_policy(tld, name, registrant, contacts, req)
        ds_before = await repo.fetch_ds(tx.conn, row["id"])
        ds_after = _change_ds(req, ds_before)
        check_ds(name, ds_after)
        values: dict[str, Any] = {"statuses": statuses, "updated_at": tx.now, "updater_id": actor.registrar_id}
        if req.registrant is not None:
            values["registrant_id"] = contact_ids[req.registrant] if req.registrant else None
        if req.auth_info is not None:
            values["auth_info"] = core.cipher.encrypt(req.auth_info, context(row))
        await repo.update_domain(tx.conn, row["id"], values)
        await repo.delete_host_links(tx.conn, row["id"], list(rem_hosts.values()))
        await repo.insert_host_links(tx.conn, row["id"], [i for h, i in add_hosts.items() if h not in rem_hosts])
        await repo.delete_contact_links(tx.conn, row["id"], [(r, contact_ids[h]) for r, h in req.rem_contacts])
        await repo.insert_contact_links(tx.conn, row["id"], [(r, contact_ids[h]) for r, h in req.add_contacts])
        await repo.delete_ds(tx.conn, row["id"], None if req.rem_all_ds else list(req.rem_ds))
        await repo.insert_ds(tx.conn, row["id"], list(req.add_ds))
        await objects.insert_history(
            tx.conn, actor, tx.now, "domain", row["id"], name, "update",
            snapshot(row, links["contacts"], links["nameservers"], old_registrant, ds_before),
            snapshot({**row, **values}, contacts, nameservers, registrant, ds_after))
    await core.db.transaction(run)


def _change_ds(req: DomainUpdate, current: list[Any]) -> list[Any]:
    def key(ds: Any) -> tuple[int, int, int, str]:
        return (ds.key_tag, ds.alg, ds.digest_type, ds.digest)
    removed = {key(d) for d in current} if req.rem_all_ds else {key(d) for d in req.rem_ds}
    kept = [d for d in current if key(d) not in removed]
    return kept + [d for d in req.add_ds if key(d) not in {key(k) for k in kept}]
