"""The registrar console's contact and host forms: create, update and delete through the
same use cases EPP calls (contacts.*, hosts.*), under the console's actor, so every rule
EPP obeys holds and each refusal is the core error EPP would map. Reading needs the view
permission, changing the domains.write one (owner, technical), checked here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from registry_core.context import Core
from registry_core.errors import PermissionDenied
from registry_core.model import names
from registry_core.model.accounts import Principal, allowed
from registry_core.model.actor import Actor
from registry_core.model.contact import ContactCreate, ContactInfo, ContactUpdate, PostalChange, PostalInfo
from registry_core.model.host import HostCreate, HostInfo, HostUpdate
from registry_core.services import contacts, hosts
from registry_core.services.console_domains import Origin, console_actor


@dataclass(frozen=True)
class ContactForm:
    """What the console's contact form holds: one international (int) postal address."""

    name: str
    org: str
    street: tuple[str, ...]
    city: str
    sp: str
    pc: str
    cc: str
    email: str
    voice: str


def _registrar(who: Principal, permission: str) -> str:
    registrar = who.registrar_id or ""
    if not registrar or not allowed(who, permission, registrar):
        raise PermissionDenied("this user may not do that for the registrar", object_type="registrar",
                               name=registrar)
    return registrar


def _writer(who: Principal, origin: Origin) -> Actor:
    return console_actor(who, _registrar(who, "domains.write"), origin)


def _or_none(text: str) -> str | None:
    return text.strip() or None


def _postal(form: ContactForm) -> PostalInfo:
    return PostalInfo("int", form.name.strip(), _or_none(form.org), tuple(s.strip() for s in form.street if s.strip()),
                      form.city.strip(), _or_none(form.sp), _or_none(form.pc), form.cc.strip().upper())


async def contact_detail(core: Core, who: Principal, handle: str) -> ContactInfo:
    """The contact as EPP's <info> shows it to its sponsor (another registrar's: NotSponsor)."""
    registrar = _registrar(who, "view")
    return await contacts.info_contact(core, Actor(registrar, "CON-INFO"), handle.strip())


async def create_contact(core: Core, who: Principal, handle: str, form: ContactForm,
                         origin: Origin = ()) -> ContactInfo:
    """A new contact with a random authInfo (the sponsor reads it on the contact's page)."""
    req = ContactCreate(handle.strip(), (_postal(form),), form.email.strip(), "Ci1-" + secrets.token_urlsafe(12),
                        voice=_or_none(form.voice))
    return await contacts.create_contact(core, _writer(who, origin), req)


async def update_contact(core: Core, who: Principal, handle: str, form: ContactForm,
                         origin: Origin = ()) -> ContactInfo:
    """Replace the int address, e-mail and phone (an empty phone removes it) in one <update>."""
    postal = _postal(form)
    change = PostalChange("int", postal.name, postal.org, postal.street, postal.city, postal.sp, postal.pc, postal.cc,
                          has_addr=True)
    actor = _writer(who, origin)
    await contacts.update_contact(core, actor, ContactUpdate(handle.strip(), postal=(change,), email=form.email.strip(),
                                                             voice=form.voice.strip()))
    return await contacts.info_contact(core, Actor(actor.registrar_id, "CON-INFO"), handle.strip())


async def delete_contact(core: Core, who: Principal, handle: str, origin: Origin = ()) -> None:
    await contacts.delete_contact(core, _writer(who, origin), handle.strip())


async def host_detail(core: Core, who: Principal, name: str) -> HostInfo:
    registrar = _registrar(who, "view")
    found = await hosts.info_host(core, Actor(registrar, "CON-INFO"), names.normalize_object_name(name, "host"))
    if found.sponsor_id != registrar:
        raise PermissionDenied("not this registrar's host", object_type="host", name=found.name)
    return found


async def create_host(core: Core, who: Principal, name: str, addresses: tuple[str, ...],
                      origin: Origin = ()) -> HostInfo:
    return await hosts.create_host(core, _writer(who, origin), HostCreate(name.strip(), addresses))


async def set_host_addresses(core: Core, who: Principal, name: str, addresses: tuple[str, ...],
                             origin: Origin = ()) -> HostInfo:
    """Make the host's addresses exactly `addresses`, as one <update> with the difference."""
    actor = _writer(who, origin)
    current = await host_detail(core, who, name)
    wanted = tuple(dict.fromkeys(a.strip() for a in addresses if a.strip()))
    change = HostUpdate(current.name, add_addresses=tuple(a for a in wanted if a not in current.addresses),
                        rem_addresses=tuple(a for a in current.addresses if a not in wanted))
    if change.add_addresses or change.rem_addresses:
        await hosts.update_host(core, actor, change)
    return await host_detail(core, who, name)


async def delete_host(core: Core, who: Principal, name: str, origin: Origin = ()) -> None:
    await hosts.delete_host(core, _writer(who, origin), name.strip())
