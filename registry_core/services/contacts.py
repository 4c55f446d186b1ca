"""Contact use cases (RFC 5733): check, info, create, update, delete."""

from __future__ import annotations

from functools import partial
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import contacts as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import NotSponsor, ObjectLinked, PolicyViolation, not_found
from registry_core.model.actor import Actor
from registry_core.model.authority import proves_auth_info, require_sponsor
from registry_core.model.check import CheckResult
from registry_core.model.contact import ContactCreate, ContactInfo, ContactUpdate, Disclose, PostalChange, PostalInfo
from registry_core.model.contact_policy import (
    HANDLE,
    create_problems,
    disclose_problems,
    postal_problems,
    value_problems,
)
from registry_core.model.roid import format_roid
from registry_core.model.statuses import change_statuses, displayed_statuses, require_allowed, update_allowed
from registry_core.model.violations import Violations


def _context(row: dict[str, Any]) -> str:
    return f"contact:{row['roid']}"


def _disclose_json(disclose: Disclose | None) -> dict | None:
    return None if disclose is None else {"flag": disclose.flag, "fields": sorted(disclose.fields)}


async def check_contacts(core: Core, actor: Actor, handles: list[str]) -> list[CheckResult]:
    async def run(tx: Tx) -> list[CheckResult]:
        taken = await repo.fetch_existing_handles(tx.conn, handles)
        return [CheckResult(h, False, "In use") if h in taken else
                CheckResult(h, bool(HANDLE.match(h)), None if HANDLE.match(h) else "Invalid id")
                for h in handles]
    return await core.db.transaction(run, readonly=True)


def _info(row: dict[str, Any], linked: bool, auth_info: str | None) -> ContactInfo:
    postal = tuple(PostalInfo.from_json(kind, row[f"postal_{kind}"])
                   for kind in ("int", "loc") if row[f"postal_{kind}"] is not None)
    disclose = row["disclose"]
    return ContactInfo(
        row["handle"], row["roid"], tuple(displayed_statuses(row["statuses"], linked=linked,
                                                             pending_transfer=row.get("pending", False))),
        postal, row["email"], row["voice"], row["voice_ext"], row["fax"], row["fax_ext"],
        row["sponsor_id"], row["creator_id"], row["created_at"], row["updater_id"], row["updated_at"],
        row["transferred_at"],
        Disclose(disclose["flag"], frozenset(disclose["fields"])) if disclose else None,
        auth_info, linked)


async def info_contact(core: Core, actor: Actor, handle: str, auth_info: str | None = None) -> ContactInfo:
    """Contact data is personal data: only the sponsor, or a caller proving the authInfo, sees it."""
    async def run(tx: Tx) -> ContactInfo:
        row = await repo.fetch_contact_by_handle(tx.conn, handle)
        if row is None:
            raise not_found("contact", handle)
        if not proves_auth_info(core.cipher, actor, row, auth_info, _context(row), "contact"):
            raise NotSponsor("contact details need sponsorship or authInfo", object_type="contact", name=handle)
        row["pending"] = await objects.fetch_pending_transfer(tx.conn, "contact", row["id"]) is not None
        # RFC 5733 3.1.2: the authInfo itself goes to the sponsoring client only
        sponsor = row["sponsor_id"] == actor.registrar_id
        secret = core.cipher.decrypt(row["auth_info"], _context(row)) if sponsor and row["auth_info"] else None
        return _info(row, await repo.contact_is_linked(tx.conn, row["id"]), secret)
    return await core.db.transaction(run, readonly=True)


def snapshot(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("handle", "roid", "statuses", "postal_int", "postal_loc", "voice", "voice_ext", "fax",
            "fax_ext", "email", "disclose", "sponsor_id")
    return {k: row.get(k) for k in keys}


async def create_contact(core: Core, actor: Actor, req: ContactCreate) -> ContactInfo:
    found = Violations()
    found.add(create_problems(req))
    found.raise_any()

    async def run(tx: Tx) -> ContactInfo:
        cid = await repo.next_contact_id(tx.conn)
        roid = format_roid("contact", cid, core.settings.roid_suffix)
        values = {
            "id": cid, "roid": roid, "handle": req.handle, "sponsor_id": actor.registrar_id,
            "creator_id": actor.registrar_id, "created_at": tx.now,
            "auth_info": core.cipher.encrypt(req.auth_info, f"contact:{roid}"),
            "postal_int": next((p.as_json() for p in req.postal if p.type == "int"), None),
            "postal_loc": next((p.as_json() for p in req.postal if p.type == "loc"), None),
            "voice": req.voice, "voice_ext": req.voice_ext, "fax": req.fax, "fax_ext": req.fax_ext,
            "email": req.email, "disclose": _disclose_json(req.disclose), "statuses": []}
        await repo.insert_contact(tx.conn, values)
        await objects.insert_history(tx.conn, actor, tx.now, "contact", cid, req.handle, "create",
                                     None, snapshot(values))
        return _info({**values, "updater_id": None, "updated_at": None, "transferred_at": None},
                     False, req.auth_info)
    return await core.db.transaction(run)


def _merge_postal(current: dict[str, Any] | None, change: PostalChange) -> dict[str, Any]:
    merged = dict(current or {})
    for key in ("name", "org", "city", "cc"):
        value = getattr(change, key)
        if value is not None:
            merged[key] = value
    if change.has_addr:
        merged.update(street=list(change.street or ()), city=change.city, sp=change.sp, pc=change.pc,
                      cc=change.cc)
    if not merged.get("name") or not merged.get("city") or not merged.get("cc"):
        raise PolicyViolation("a new postalInfo needs name and address", object_type="contact",
                              field="postalInfo", value=change.type)
    return merged


def _update_values(req: ContactUpdate, row: dict[str, Any], core: Core, found: Violations) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for change in req.postal:
        merged = found.attempt(partial(_merge_postal, row[f"postal_{change.type}"], change))
        values[f"postal_{change.type}"] = merged or row[f"postal_{change.type}"]
    found.add(postal_problems([PostalInfo.from_json(k, values.get(f"postal_{k}") or row[f"postal_{k}"])
                               for k in ("int", "loc") if values.get(f"postal_{k}") or row[f"postal_{k}"]]))
    found.add([*value_problems(req.email, req.voice, req.fax), *disclose_problems(req.disclose)])
    for key in ("voice", "voice_ext", "fax", "fax_ext", "email"):
        value = getattr(req, key)
        if value is not None:
            values[key] = value or None
    if req.auth_info is not None:
        values["auth_info"] = core.cipher.encrypt(req.auth_info, _context(row))
    if req.disclose is not None:
        values["disclose"] = _disclose_json(req.disclose)
    return values


async def update_contact(core: Core, actor: Actor, req: ContactUpdate) -> None:
    async def run(tx: Tx) -> None:
        row = await repo.fetch_contact_by_handle(tx.conn, req.handle, lock=True)
        if row is None:
            raise not_found("contact", req.handle)
        require_sponsor(actor, row, "contact", req.handle)
        pending = await objects.fetch_pending_transfer(tx.conn, "contact", row["id"]) is not None
        update_allowed(row["statuses"], req.rem_statuses, "contact", req.handle, pending_transfer=pending)
        found = Violations()
        values = _update_values(req, row, core, found)
        statuses = change_statuses("contact", req.add_statuses, req.rem_statuses, row["statuses"], req.handle)
        found.add(statuses.problems)
        found.raise_any()
        values.update(statuses=statuses.result, updated_at=tx.now, updater_id=actor.registrar_id)
        await repo.update_contact(tx.conn, row["id"], values)
        await objects.insert_history(tx.conn, actor, tx.now, "contact", row["id"], req.handle, "update",
                                     snapshot(row), snapshot({**row, **values}))
    await core.db.transaction(run)


async def delete_contact(core: Core, actor: Actor, handle: str) -> None:
    async def run(tx: Tx) -> None:
        row = await repo.fetch_contact_by_handle(tx.conn, handle, lock=True)
        if row is None:
            raise not_found("contact", handle)
        require_sponsor(actor, row, "contact", handle)
        pending = await objects.fetch_pending_transfer(tx.conn, "contact", row["id"]) is not None
        require_allowed("delete", row["statuses"], "contact", handle, pending_transfer=pending)
        if await repo.contact_is_linked(tx.conn, row["id"]):
            raise ObjectLinked("contact is linked to a domain", object_type="contact", name=handle)
        await repo.mark_contact_deleted(tx.conn, row["id"], tx.now)
        await objects.insert_history(tx.conn, actor, tx.now, "contact", row["id"], handle, "delete",
                                     snapshot(row), None)
    await core.db.transaction(run)
