"""Builders for core tests."""

from __future__ import annotations

from registry_core.context import Core
from registry_core.model.contact import ContactCreate, PostalInfo
from registry_core.model.domain import DomainCreate
from registry_core.model.host import HostCreate
from registry_core.services import contacts, domains, hosts
from tests.conftest import actor

POSTAL = PostalInfo("int", "Jane Doe", "Example Org", ("1 Main St",), "Springfield", "IL", "62701", "US")


async def make_contact(core: Core, handle: str, registrar: str = "alpha", auth: str = "Contact-Auth1") -> None:
    await contacts.create_contact(core, actor(registrar), ContactCreate(
        handle, (POSTAL,), "jane@example.net", auth, voice="+1.5555550123"))


async def make_host(core: Core, name: str, registrar: str = "alpha", addresses: tuple[str, ...] = ()) -> None:
    await hosts.create_host(core, actor(registrar), HostCreate(name, addresses))


async def make_domain(core: Core, name: str, registrar: str = "alpha", *, years: int = 1,
                      auth: str = "Domain-Auth1", ns: tuple[str, ...] = (), registrant: str | None = None,
                      contacts_: tuple[tuple[str, str], ...] = ()) -> domains.DomainCreated:
    return await domains.create_domain(core, actor(registrar), DomainCreate(
        name, years, registrant, contacts_, ns, auth))
