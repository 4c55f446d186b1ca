"""One function per RDAP query type: parse the argument, call one core service, render.
Each returns the JSON body of a 200 answer or raises (CoreError / RdapError)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from protocols.rdap import entities, notices, paging, render
from protocols.rdap.errors import RdapError
from protocols.rdap.statuses import rdap_statuses
from protocols.rdap.view import RdapSettings, View
from registry_core.context import Core
from registry_core.errors import not_found
from registry_core.model.lookup import ContactRecord, Page, RegistrarRecord
from registry_core.model.search import parse_name_pattern, parse_text_pattern
from registry_core.services import lookup


@dataclass(frozen=True)
class Query:
    kind: str  # the path's query type: domain, nameserver, entity, domains, ..., help
    arg: str  # the object a lookup names ("" for searches and help)
    params: dict[str, str]
    base: str  # base URL for links, ending with "/"
    url: str  # the URL as asked

    def view(self, settings: RdapSettings, icann: bool) -> View:
        return View(settings, self.base, self.url, icann)


Handler = Callable[[Core, RdapSettings, Query], Awaitable[dict[str, Any]]]


async def domain_lookup(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    record = await lookup.lookup_domain(core, q.arg)
    return render.domain(record, q.view(settings, record.tld.rdap_icann_profile))


async def nameserver_lookup(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    record = await lookup.lookup_host(core, q.arg)
    icann = record.tld.rdap_icann_profile if record.tld else record.any_icann_profile
    return render.host(record, q.view(settings, icann))


def _registrar_answer(record: RegistrarRecord, q: Query, view: View) -> dict[str, Any]:
    registrar = record.registrar
    by_iana = q.arg.strip().isdigit() and str(registrar.iana_id) == q.arg.strip()
    entity = entities.registrar_entity(registrar, view, handle=q.arg.strip() if by_iana else registrar.id)
    entity["events"] = render.events(("registration", registrar.created_at), ("last changed", registrar.updated_at),
                                     (render.LAST_UPDATE, record.as_of))
    return render.top_level(entity, view, [notices.terms(view)])


def _contact_answer(record: ContactRecord, q: Query, view: View) -> dict[str, Any]:
    contact = record.contact
    entity, redacted = entities.contact_entity(contact, None, view, "$")
    if "handle" not in entity:  # a contact that publishes nothing cannot be looked up either
        raise not_found("entity", q.arg)
    entity["status"] = rdap_statuses(contact.statuses)
    entity["events"] = render.events(("registration", contact.created_at), ("last changed", contact.updated_at),
                                     ("transfer", contact.transferred_at), (render.LAST_UPDATE, record.as_of))
    return render.top_level(entity, view, [notices.terms(view)], redacted)


async def entity_lookup(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    record = await lookup.lookup_entity(core, q.arg)
    view = q.view(settings, record.any_icann_profile)
    if isinstance(record, ContactRecord):
        return _contact_answer(record, q, view)
    return _registrar_answer(record, q, view)


async def help_query(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    view = q.view(settings, await lookup.icann_profile_for(core, None))
    return {"rdapConformance": view.conformance(), "notices": notices.help_notices(view)}


def _search_key(q: Query, allowed: tuple[str, ...]) -> tuple[str, str]:
    given = [k for k in allowed if k in q.params]
    if len(given) != 1:
        raise RdapError(400, f"give exactly one of: {', '.join(allowed)}")
    return given[0], q.params[given[0]]


def _each(render_item: Callable[[Any, View], dict[str, Any]]) -> Callable[[tuple[Any, ...], View], list[Any]]:
    return lambda items, view: [render_item(item, view) for item in items]


def _results(q: Query, settings: RdapSettings, page: Page[Any], number: int, member: str,
             render_items: Callable[[tuple[Any, ...], View], list[Any]],
             last_key: Callable[[Any], str]) -> dict[str, Any]:
    view = q.view(settings, page.any_icann_profile)
    href = None
    if page.truncated and page.items:
        href = paging.next_href(view, q.kind, q.params, paging.encode_cursor(number + 1, last_key(page.items[-1])))
    notes = [notices.terms(view)]
    if page.truncated:
        notes.append(notices.truncated(view, settings.search_limit, href))
    obj = {member: render_items(page.items, view),
           "paging_metadata": paging.metadata(view, number, len(page.items), href)}
    return render.top_level(obj, view, notes, None, "paging")


async def domain_search(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    key, value = _search_key(q, ("name", "nsLdhName", "nsIp"))
    number, after = paging.decode_cursor(q.params.get("cursor"))
    limit = settings.search_limit
    if key == "name":
        page = await lookup.search_domains_by_name(core, parse_name_pattern(value), after, limit)
    elif key == "nsLdhName":
        page = await lookup.search_domains_by_nameserver(core, parse_name_pattern(value, field=key), after, limit)
    else:
        page = await lookup.search_domains_by_nameserver_ip(core, value, after, limit)
    return _results(q, settings, page, number, "domainSearchResults", render.domain_summaries, lambda d: d.name)


async def nameserver_search(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    key, value = _search_key(q, ("name", "ip"))
    number, after = paging.decode_cursor(q.params.get("cursor"))
    if key == "name":
        page = await lookup.search_hosts_by_name(core, parse_name_pattern(value), after, settings.search_limit)
    else:
        page = await lookup.search_hosts_by_ip(core, value, after, settings.search_limit)
    return _results(q, settings, page, number, "nameserverSearchResults", _each(render.nameserver),
                    lambda h: h.name)


async def entity_search(core: Core, settings: RdapSettings, q: Query) -> dict[str, Any]:
    """Registrars only: contact data is personal and not searchable."""
    key, value = _search_key(q, ("fn", "handle"))
    number, after = paging.decode_cursor(q.params.get("cursor"))
    page = await lookup.search_registrars(core, "name" if key == "fn" else "id", parse_text_pattern(value, field=key),
                                          after, settings.search_limit)
    return _results(q, settings, page, number, "entitySearchResults", _each(entities.registrar_entity),
                    lambda r: r.id)


HANDLERS: dict[str, Handler] = {
    "domain": domain_lookup, "nameserver": nameserver_lookup, "entity": entity_lookup, "help": help_query,
    "domains": domain_search, "nameservers": nameserver_search, "entities": entity_search,
}
