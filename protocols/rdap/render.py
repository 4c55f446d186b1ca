"""Domain and nameserver objects (RFC 9083 sections 5.2, 5.3) and the top-level answer
around them: rdapConformance first, RFC 9537 `redacted`, notices last."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from protocols.rdap import entities, notices
from protocols.rdap.statuses import rdap_statuses
from protocols.rdap.view import RDAP_JSON, View
from registry_core.model.domain import DsData
from registry_core.model.host import HostInfo
from registry_core.model.lookup import DomainRecord, DomainSummary, HostRecord, PublicRegistrar
from registry_core.model.names import to_unicode

LAST_UPDATE = "last update of RDAP database"


def rdap_time(at: datetime) -> str:
    """RFC 3339 in UTC to the second (%-formatting: a third of strftime's cost, hot in searches)."""
    u = at if at.tzinfo is UTC else at.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (u.year, u.month, u.day, u.hour, u.minute, u.second)  # noqa: UP031


def events(*pairs: tuple[str, datetime | None]) -> list[dict[str, str]]:
    return [{"eventAction": action, "eventDate": rdap_time(at)} for action, at in pairs if at is not None]


def _names(name: str) -> dict[str, str]:
    unicode = to_unicode(name)
    return {"ldhName": name} if unicode == name else {"ldhName": name, "unicodeName": unicode}


def nameserver(host: HostInfo, view: View, *, full: bool = False) -> dict[str, Any]:
    """A nameserver object; `full` adds what a lookup shows beyond an embedded one."""
    obj: dict[str, Any] = {"objectClassName": "nameserver", "handle": host.roid, **_names(host.name)}
    obj["links"] = [view.self_link(f"nameserver/{host.name}")]
    obj["status"] = rdap_statuses(host.statuses)
    v4 = [a for a in host.addresses if ":" not in a]
    v6 = [a for a in host.addresses if ":" in a]
    if v4 or v6:
        obj["ipAddresses"] = {**({"v4": v4} if v4 else {}), **({"v6": v6} if v6 else {})}
    if full:
        obj["events"] = events(("registration", host.created_at), ("last changed", host.updated_at),
                               ("transfer", host.transferred_at))
    return obj


def _secure_dns(ds: tuple[DsData, ...]) -> dict[str, Any]:
    secure: dict[str, Any] = {"delegationSigned": bool(ds)}
    if ds:
        secure["dsData"] = [{"keyTag": d.key_tag, "algorithm": d.alg, "digest": d.digest,
                             "digestType": d.digest_type} for d in ds]
    keys = [d.key_data for d in ds if d.key_data is not None]
    if keys:
        secure["keyData"] = [{"flags": k.flags, "protocol": k.protocol, "publicKey": k.public_key,
                              "algorithm": k.alg} for k in keys]
    return secure


def _contacts(record: DomainRecord, view: View) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    found, redacted = [], []
    for link in record.contacts:
        if link.role in entities.PUBLISHED_ROLES:
            entity, withheld = entities.contact_entity(link.contact, link.role, view, entities.role_path(link.role))
            found.append(entity)
            redacted += withheld
    return found, redacted


def domain(record: DomainRecord, view: View) -> dict[str, Any]:
    info = record.domain
    contacts, redacted = _contacts(record, view)
    obj: dict[str, Any] = {"objectClassName": "domain", "handle": info.roid, **_names(info.name)}
    obj["links"] = [view.self_link(f"domain/{info.name}")]
    obj["status"] = rdap_statuses(info.statuses + info.rgp_statuses)
    obj["entities"] = [entities.registrar_entity(record.registrar, view), *contacts]
    obj["events"] = events(("registration", info.created_at), ("expiration", info.expires_at),
                           ("last changed", info.updated_at), ("transfer", info.transferred_at),
                           (LAST_UPDATE, record.as_of))
    obj["nameservers"] = [nameserver(h, view) for h in record.nameservers]
    obj["secureDNS"] = _secure_dns(info.ds)
    port43 = view.settings.port43_for(record.tld.name) if record.tld.whois_enabled else None
    if port43:
        obj["port43"] = port43
    return top_level(obj, view, notices.domain_notices(view), redacted)


def host(record: HostRecord, view: View) -> dict[str, Any]:
    obj = nameserver(record.host, view, full=True)
    obj["events"].append({"eventAction": LAST_UPDATE, "eventDate": rdap_time(record.as_of)})
    obj["entities"] = [entities.registrar_entity(record.registrar, view)]
    port43 = view.settings.port43_for(record.tld.name) if record.tld and record.tld.whois_enabled else None
    if port43:
        obj["port43"] = port43
    return top_level(obj, view, [notices.terms(view)])


def _brief_registrar(registrar: PublicRegistrar, view: View) -> dict[str, Any]:
    entity = entities.registrar_entity(registrar, view)
    entity.pop("entities", None)
    return entity


class _Shared:
    """What the hits of one answer share: a registrar's entity and a name server's brief
    object are built once and referenced by every domain that names them (the JSON is the
    same). Hits are the hot path of a search (a hundred a page): their links are built here
    directly, as `View.self_link` builds them."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.url, self.base = view.url, view.base
        self.registrars: dict[str, dict[str, Any]] = {}
        self.nameservers: dict[str, dict[str, Any]] = {}

    def self_link(self, path: str) -> dict[str, str]:
        return {"value": self.url, "rel": "self", "href": self.base + path, "type": RDAP_JSON}

    def registrar(self, registrar: PublicRegistrar) -> dict[str, Any]:
        entity = self.registrars.get(registrar.id)
        if entity is None:
            entity = self.registrars[registrar.id] = _brief_registrar(registrar, self.view)
        return entity

    def nameserver(self, name: str) -> dict[str, Any]:
        obj = self.nameservers.get(name)
        if obj is None:
            obj = self.nameservers[name] = {"objectClassName": "nameserver", **_names(name),
                                            "links": [self.self_link(f"nameserver/{name}")]}
        return obj


def domain_summaries(items: tuple[DomainSummary, ...], view: View) -> list[dict[str, Any]]:
    """The hits of one search answer."""
    shared = _Shared(view)
    return [_summary(item, shared) for item in items]


def _summary(item: DomainSummary, shared: _Shared) -> dict[str, Any]:
    """A search hit: the domain without contacts, DS data or notices."""
    name = item.name
    obj: dict[str, Any] = {"objectClassName": "domain", "handle": item.roid, **_names(name),
                           "links": [shared.self_link(f"domain/{name}")],
                           "status": rdap_statuses(item.statuses + item.rgp_statuses),
                           "entities": [shared.registrar(item.registrar)]}
    dates = (("registration", item.created_at), ("expiration", item.expires_at), ("last changed", item.updated_at),
             ("transfer", item.transferred_at))
    obj["events"] = [{"eventAction": action, "eventDate": rdap_time(at)} for action, at in dates if at is not None]
    obj["nameservers"] = [shared.nameserver(n) for n in item.nameservers]
    return obj


def top_level(obj: dict[str, Any], view: View, notes: list[dict[str, Any]],
              redacted: list[dict[str, Any]] | None = None, *extensions: str) -> dict[str, Any]:
    """rdapConformance first, then the object, `redacted` when anything was withheld, notices last."""
    tokens = view.conformance(*extensions, *(["redacted"] if redacted else []))
    answer: dict[str, Any] = {"rdapConformance": tokens, **obj}
    if redacted:
        answer["redacted"] = redacted
    answer["notices"] = notes
    return answer
