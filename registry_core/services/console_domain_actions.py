"""The registrar console's further domain actions: DS records (secDNS add/remove), the
domain's contacts, delete, and restore with its report. Each one is the use case EPP calls,
under the console actor (the history names the console user), after the role check."""

from __future__ import annotations

import re
from datetime import datetime

from registry_core.context import Core
from registry_core.errors import InvalidValue, PermissionDenied
from registry_core.model import names
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.domain import DomainInfo, DomainUpdate, DsData
from registry_core.model.lifecycle import DomainDeleted, RestoreCompleted, RestoreReport
from registry_core.services import domain_update, domains, restore
from registry_core.services.console_domains import Origin, console_actor

_HEX = re.compile(r"[0-9A-F]+")
DIGEST_LENGTHS = {1: 40, 2: 64, 4: 96}  # SHA-1, SHA-256, SHA-384 (RFC 4034, 4509, 6605), hex digits
CONTACT_ROLES = ("admin", "tech", "billing")


def ds_record(key_tag: str, alg: str, digest_type: str, digest: str) -> DsData:
    """A DS record from a form's four fields, checked as the secDNS schema checks them."""
    try:
        tag, algorithm, kind = int(key_tag), int(alg), int(digest_type)
    except ValueError:
        raise InvalidValue("a DS record's key tag, algorithm and digest type are numbers", object_type="domain",
                           field="ds") from None
    hexed = digest.strip().replace(" ", "").upper()
    if not (0 <= tag <= 65535 and 0 <= algorithm <= 255 and 0 <= kind <= 255):
        raise InvalidValue("key tag 0-65535, algorithm and digest type 0-255", object_type="domain", field="ds")
    if not _HEX.fullmatch(hexed) or len(hexed) != DIGEST_LENGTHS.get(kind, len(hexed)) or len(hexed) % 2:
        raise InvalidValue("the digest is hexadecimal of the digest type's length", object_type="domain",
                           field="digest", value=digest[:100])
    return DsData(tag, algorithm, kind, hexed)


async def _writable(core: Core, who: Principal, name: str, what: str) -> tuple[str, DomainInfo]:
    domain_name = names.normalize_object_name(name, "domain")
    info = await domains.info_domain(core, Actor(who.registrar_id or "", "CON-INFO"), domain_name)
    if not allowed(who, "domains.write", info.sponsor_id):
        raise PermissionDenied(f"this user may not {what} this domain", object_type="domain", name=domain_name)
    return domain_name, info


async def change_ds(core: Core, who: Principal, name: str, add: tuple[DsData, ...] = (),
                    remove: tuple[DsData, ...] = (), origin: Origin = ()) -> DomainInfo:
    """One secDNS <update> adding and removing DS records; the domain afterwards."""
    domain_name, info = await _writable(core, who, name, "change the DS records of")
    await domain_update.update_domain(core, console_actor(who, info.sponsor_id, origin),
                                      DomainUpdate(domain_name, add_ds=add, rem_ds=remove))
    return await domains.info_domain(core, Actor(info.sponsor_id, "CON-INFO"), domain_name)


async def set_contacts(core: Core, who: Principal, name: str, registrant: str,
                       wanted: tuple[tuple[str, str], ...], origin: Origin = ()) -> DomainInfo:
    """Make the registrant and the (role, handle) contacts exactly these, as one <update>."""
    domain_name, info = await _writable(core, who, name, "change the contacts of")
    if any(role not in CONTACT_ROLES for role, _handle in wanted):
        raise InvalidValue("contact roles are admin, tech and billing", object_type="domain", field="contact")
    handles = tuple(sorted({(role, handle.strip()) for role, handle in wanted if handle.strip()}))
    current = set(info.contacts)
    change = DomainUpdate(domain_name, add_contacts=tuple(c for c in handles if c not in current),
                          rem_contacts=tuple(sorted(current - set(handles))),
                          registrant=registrant.strip() if registrant.strip() != (info.registrant or "") else None)
    if change.add_contacts or change.rem_contacts or change.registrant is not None:
        await domain_update.update_domain(core, console_actor(who, info.sponsor_id, origin), change)
    return await domains.info_domain(core, Actor(info.sponsor_id, "CON-INFO"), domain_name)


async def delete_from_console(core: Core, who: Principal, name: str, origin: Origin = ()) -> DomainDeleted:
    domain_name, info = await _writable(core, who, name, "delete")
    return await domains.delete_domain(core, console_actor(who, info.sponsor_id, origin), domain_name)


async def restore_from_console(core: Core, who: Principal, name: str, report: RestoreReport,
                               origin: Origin = ()) -> RestoreCompleted:
    """RGP restore: the request (charged) unless one is already pending, then the report.
    They are two use cases, as in EPP: a refused report leaves the request pending, and
    the same form sent again only reports."""
    domain_name, info = await _writable(core, who, name, "restore")
    acting = console_actor(who, info.sponsor_id, origin)
    if "pendingRestore" not in info.rgp_statuses:
        await restore.restore_request(core, acting, domain_name)
    return await restore.restore_report(core, acting, domain_name, report)


def report_of(deleted_at: datetime, restored_at: datetime, fields: dict[str, str]) -> RestoreReport:
    """The RFC 3915 report from the console's form (both statements are the form's fixed text)."""
    return RestoreReport(fields.get("pre_data", ""), fields.get("post_data", ""), deleted_at, restored_at,
                         fields.get("reason", ""), tuple(s for s in (fields.get("statement1", ""),
                                                                     fields.get("statement2", "")) if s),
                         fields.get("other") or None)
