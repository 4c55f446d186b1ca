"""Host use cases (RFC 5732): check, info, create, update, delete.

A host whose name lies inside a TLD this registry serves is subordinate: its parent
domain must exist, be sponsored by the same registrar, and the host needs at least one
address (glue). Any other host is external and must not carry addresses."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import dns_changes, objects, tlds
from registry_core.db.repo import domains as domain_repo
from registry_core.db.repo import hosts as repo
from registry_core.db.tx import Tx
from registry_core.errors import (
    CoreError,
    ExternalHostHasAddress,
    InvalidValue,
    NotSponsor,
    ObjectLinked,
    PolicyViolation,
    StatusProhibits,
    SubordinateHostInUse,
    SubordinateHostNeedsAddress,
    ValueOutOfRange,
    not_found,
)
from registry_core.model import names
from registry_core.model.actor import Actor
from registry_core.model.authority import require_sponsor
from registry_core.model.changes import apply_changes
from registry_core.model.check import CheckResult
from registry_core.model.host import MAX_ADDRESSES, HostCreate, HostInfo, HostUpdate, normalize_address
from registry_core.model.roid import format_roid
from registry_core.model.statuses import change_statuses, displayed_statuses, require_allowed, update_allowed
from registry_core.model.violations import Violations


def _in_served_tld(name: str, tld_names: frozenset[str]) -> bool:
    return any(name.endswith("." + tld) for tld in tld_names)


async def _superordinate(tx: Tx, actor: Actor, name: str) -> dict[str, Any] | None:
    """The parent domain of an in-registry host (it must exist and be the actor's), else None."""
    if not _in_served_tld(name, await tlds.fetch_tld_names(tx)):
        return None
    candidates = names.parent_candidates(name)
    if not candidates:
        raise PolicyViolation("a host in this registry must lie below a registered domain",
                              object_type="host", name=name, field="name", value=name)
    parent = await domain_repo.fetch_superordinate_candidate(tx.conn, candidates)
    if parent is None:
        raise not_found("domain", candidates[-1])
    if parent["sponsor_id"] != actor.registrar_id:
        raise NotSponsor("the superordinate domain is sponsored by another registrar",
                         object_type="domain", name=parent["name"])
    if "pendingDelete" in parent["statuses"]:
        raise StatusProhibits("the superordinate domain is being deleted", object_type="domain",
                              name=parent["name"], field="status", value="pendingDelete")
    return parent


def _address(name: str, text: str) -> str:
    version = 6 if text.startswith("v6:") else 4 if text.startswith("v4:") else None
    try:
        return normalize_address(text.split(":", 1)[1] if version else text, version)
    except CoreError as exc:  # name the host, so that a protocol can point at the address sent
        exc.object_type, exc.name = "host", name
        raise


def _addresses(name: str, raw: tuple[str, ...], found: Violations) -> list[str]:
    """The addresses normalized; each malformed or unroutable one is a problem of its own."""
    normalized = (found.attempt(partial(_address, name, text)) for text in raw)
    return [a for a in normalized if a is not None]


def _glue_problems(name: str, superordinate: dict[str, Any] | None, addresses: list[str]) -> list[CoreError]:
    problems: list[CoreError] = []
    if superordinate is not None and not addresses:
        problems.append(SubordinateHostNeedsAddress("a subordinate host needs at least one address",
                                                    object_type="host", name=name, field="addr"))
    if superordinate is None and addresses:
        problems.append(ExternalHostHasAddress("an external host must not have addresses", object_type="host",
                                               name=name, field="addr", value=addresses[0]))
    if len(addresses) > MAX_ADDRESSES:
        problems.append(ValueOutOfRange(f"at most {MAX_ADDRESSES} addresses", object_type="host", name=name,
                                        field="addr"))
    return problems


async def check_hosts(core: Core, actor: Actor, host_names: list[str]) -> list[CheckResult]:
    async def run(tx: Tx) -> list[CheckResult]:
        normalized: dict[str, str | None] = {}
        for raw in host_names:
            try:
                normalized[raw] = names.normalize_name(raw)
            except InvalidValue:
                normalized[raw] = None
        taken = await repo.fetch_existing_host_names(tx.conn, [n for n in normalized.values() if n])
        return [CheckResult(raw, False, "Invalid host name") if n is None else
                CheckResult(raw, False, "In use") if n in taken else CheckResult(raw, True)
                for raw, n in normalized.items()]
    return await core.db.transaction(run, readonly=True)


def _info(row: dict[str, Any], linked: bool) -> HostInfo:
    return HostInfo(row["name"], row["roid"], tuple(displayed_statuses(row["statuses"], linked=linked)),
                    tuple(row["addresses"]), row["sponsor_id"], row["creator_id"], row["created_at"],
                    row["updater_id"], row["updated_at"], row["transferred_at"],
                    row["superordinate_name"], linked)


async def info_host(core: Core, actor: Actor | None, name: str) -> HostInfo:
    host_name = names.normalize_object_name(name, "host")

    async def run(tx: Tx) -> HostInfo:
        row = await repo.fetch_host_by_name(tx.conn, host_name)
        if row is None:
            raise not_found("host", host_name)
        return _info(row, await repo.host_is_linked(tx.conn, row["id"]))
    return await core.db.transaction(run, readonly=True)


def snapshot(row: dict[str, Any], addresses: list[str]) -> dict[str, Any]:
    return {"name": row["name"], "roid": row["roid"], "statuses": row["statuses"], "addresses": addresses,
            "sponsor_id": row["sponsor_id"], "superordinate_id": row.get("superordinate_id")}


async def create_host(core: Core, actor: Actor, req: HostCreate) -> HostInfo:
    host_name = names.normalize_object_name(req.name, "host")

    async def run(tx: Tx) -> HostInfo:
        found = Violations()
        addresses = sorted(set(_addresses(host_name, req.addresses, found)))
        addresses_valid = not found
        parent = await found.attempt_async(_superordinate(tx, actor, host_name))
        if addresses_valid and not found:  # the glue rule needs the addresses and the kind of host
            found.add(_glue_problems(host_name, parent, addresses))
        found.raise_any()
        hid = await repo.next_host_id(tx.conn)
        values: dict[str, Any] = {"id": hid, "roid": format_roid("host", hid, core.settings.roid_suffix),
                  "name": host_name, "superordinate_id": parent["id"] if parent else None,
                  "sponsor_id": actor.registrar_id, "creator_id": actor.registrar_id, "created_at": tx.now,
                  "statuses": []}
        await repo.insert_host(tx.conn, values, addresses)
        await objects.insert_history(tx.conn, actor, tx.now, "host", hid, host_name, "create",
                                     None, snapshot(values, addresses))
        row = await repo.fetch_host_by_name(tx.conn, host_name)
        assert row is not None
        return _info(row, False)
    return await core.db.transaction(run)


async def _rename_target(tx: Tx, actor: Actor, row: dict[str, Any], new_name: str,
                         linked: bool) -> dict[str, Any] | None:
    parent = await _superordinate(tx, actor, new_name)
    if row["superordinate_id"] is None and linked:
        # An external host in use names a server outside our control; renaming it would
        # silently redirect every domain that delegates to it.
        raise ObjectLinked("a linked external host cannot be renamed", object_type="host", name=row["name"])
    if row["superordinate_id"] is not None and parent is None and linked:
        raise SubordinateHostInUse("a linked subordinate host cannot become external",
                                   object_type="host", name=row["name"])
    return parent


def _refuse_address(name: str) -> Callable[[str, str], CoreError]:
    def refuse(detail: str, address: str) -> CoreError:
        return PolicyViolation(detail, object_type="host", name=name, field="addr", value=address)
    return refuse


async def _planned_parent(tx: Tx, actor: Actor, row: dict[str, Any], req: HostUpdate,
                          found: Violations) -> tuple[str, dict[str, Any] | None, bool]:
    """(name after the update, its superordinate domain, whether that is known for sure)."""
    parent = {"id": row["superordinate_id"]} if row["superordinate_id"] else None
    if req.new_name is None:
        return row["name"], parent, True
    new_name = found.attempt(partial(names.normalize_object_name, req.new_name, "host"))
    if new_name is None:
        return row["name"], parent, False
    linked = await repo.host_is_linked(tx.conn, row["id"])
    before = len(found.found)
    parent = await found.attempt_async(_rename_target(tx, actor, row, new_name, linked))
    return new_name, parent, len(found.found) == before


async def update_host(core: Core, actor: Actor, req: HostUpdate) -> None:
    host_name = names.normalize_object_name(req.name, "host")

    async def run(tx: Tx) -> None:
        row = await repo.fetch_host_by_name(tx.conn, host_name, lock=True)
        if row is None:
            raise not_found("host", host_name)
        require_sponsor(actor, row, "host", host_name)
        update_allowed(row["statuses"], req.rem_statuses, "host", host_name)
        found = Violations()
        add, rem = _addresses(host_name, req.add_addresses, found), _addresses(host_name, req.rem_addresses, found)
        current = list(row["addresses"])
        addresses = apply_changes(current, add, rem, refuse=_refuse_address(host_name),
                                  already="address already present", missing="address not present")
        found.add(addresses.problems)
        addresses_valid = not found
        statuses = change_statuses("host", req.add_statuses, req.rem_statuses, row["statuses"], host_name)
        found.add(statuses.problems)
        name, parent, known = await _planned_parent(tx, actor, row, req, found)
        if addresses_valid and known:  # the glue rule needs the addresses and the kind of host
            found.add(_glue_problems(name, parent, addresses.result))
        found.raise_any()
        values: dict[str, Any] = {"statuses": statuses.result, "updated_at": tx.now, "updater_id": actor.registrar_id}
        if req.new_name is not None:
            values.update(name=name, superordinate_id=parent["id"] if parent else None)
        old_owner = await dns_changes.fetch_host_owner(tx.conn, row["id"])
        await repo.update_host(tx.conn, row["id"], values)
        await repo.delete_addresses(tx.conn, row["id"], rem)
        await repo.insert_addresses(tx.conn, row["id"], add)
        await _record_zone_change(tx, row["id"], old_owner, renamed=req.new_name is not None,
                                  readdressed=bool(add or rem))
        await objects.insert_history(tx.conn, actor, tx.now, "host", row["id"], host_name, "update",
                                     snapshot(row, current), snapshot({**row, **values}, addresses.result))
    await core.db.transaction(run)


async def _record_zone_change(tx: Tx, host_id: int, old_owner: tuple[str, str] | None, *,
                              renamed: bool, readdressed: bool) -> None:
    """New addresses change the host's glue; a new name also withdraws the old name's glue
    and changes the NS set of every domain that uses the host."""
    if renamed or readdressed:
        await dns_changes.record_dns_changes(tx.conn, tx.now, hosts=[host_id],
                                             renamed_hosts=[host_id] if renamed else [],
                                             owners=[old_owner] if renamed and old_owner else [])


async def delete_host(core: Core, actor: Actor, name: str) -> None:
    host_name = names.normalize_object_name(name, "host")

    async def run(tx: Tx) -> None:
        row = await repo.fetch_host_by_name(tx.conn, host_name, lock=True)
        if row is None:
            raise not_found("host", host_name)
        require_sponsor(actor, row, "host", host_name)
        require_allowed("delete", row["statuses"], "host", host_name)
        if await repo.host_is_linked(tx.conn, row["id"]):
            raise ObjectLinked("host is a name server of a domain", object_type="host", name=host_name)
        await repo.mark_host_deleted(tx.conn, row["id"], tx.now)
        await objects.insert_history(tx.conn, actor, tx.now, "host", row["id"], host_name, "delete",
                                     snapshot(row, list(row["addresses"])), None)
    await core.db.transaction(run)
