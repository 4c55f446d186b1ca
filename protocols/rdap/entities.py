"""Entity objects (RFC 9083 section 5.1) with jCards (RFC 7095): registrars and contacts.

A contact is shown through `model.disclosure.public_view`. Every withheld field is
described by an RFC 9537 `redacted` member, with the names and methods of the ICANN
gTLD RDAP Response Profile (February 2024): the identifier and organization, phone, fax
and e-mail are removed; name, street, city and postal code are left as empty values."""

from __future__ import annotations

import functools
from typing import Any

from protocols.rdap.view import View
from registry_core.model.contact import ContactInfo
from registry_core.model.disclosure import PublicContact, public_view
from registry_core.model.lookup import PublicRegistrar

RDAP_ROLE = {"registrant": "registrant", "admin": "administrative", "tech": "technical", "billing": "billing"}
PUBLISHED_ROLES = ("registrant", "admin", "tech")  # billing data is never published (ICANN Spec 4)
_LABEL: dict[str | None, str] = {"registrant": "Registrant", "admin": "Admin", "tech": "Tech", None: "Contact"}
_ID_LABEL: dict[str | None, str] = {"registrant": "Registry Registrant ID", "admin": "Registry Admin ID",
                                   "tech": "Registry Tech ID", None: "Contact ID"}
# redacted names registered in the IANA "RDAP JSON Values" registry; others go as descriptions
_REGISTERED = frozenset({
    "Registry Domain ID", "Registry Registrant ID", "Registrant Name", "Registrant Organization",
    "Registrant Street", "Registrant City", "Registrant Postal Code", "Registrant Phone",
    "Registrant Phone Ext", "Registrant Fax", "Registrant Fax Ext", "Registrant Email", "Registry Tech ID",
    "Tech Name", "Tech Phone", "Tech Phone Ext", "Tech Email"})
_FIELD_LABEL = {"name": "Name", "org": "Organization", "street": "Street", "city": "City", "pc": "Postal Code",
                "voice": "Phone", "voice_ext": "Phone Ext", "fax": "Fax", "fax_ext": "Fax Ext", "email": "Email"}
# field -> (method, JSONPath below the entity, whether the path is a prePath)
_REDACTION = {
    "handle": ("removal", ".handle", True),
    "name": ("emptyValue", ".vcardArray[1][?(@[0]=='fn')][3]", False),
    "org": ("removal", ".vcardArray[1][?(@[0]=='org')]", True),
    "street": ("emptyValue", ".vcardArray[1][?(@[0]=='adr')][3][:3]", False),
    "city": ("emptyValue", ".vcardArray[1][?(@[0]=='adr')][3][3]", False),
    "pc": ("emptyValue", ".vcardArray[1][?(@[0]=='adr')][3][5]", False),
    "voice": ("removal", ".vcardArray[1][?(@[1].type=='voice')]", True),
    "voice_ext": ("removal", ".vcardArray[1][?(@[1].type=='voice')]", True),
    "fax": ("removal", ".vcardArray[1][?(@[1].type=='fax')]", True),
    "fax_ext": ("removal", ".vcardArray[1][?(@[1].type=='fax')]", True),
    "email": ("removal", ".vcardArray[1][?(@[0]=='email')]", True),
}
_ORDER = ("handle", "name", "org", "street", "city", "pc", "voice", "voice_ext", "fax", "fax_ext", "email")


def registrar_handle(registrar: PublicRegistrar, icann: bool) -> str:
    """The ICANN profile names a registrar by its IANA id; otherwise by its EPP client id."""
    return str(registrar.iana_id) if icann and registrar.iana_id else registrar.id


def tel(kind: str, number: str, ext: str | None) -> list[Any]:
    """A jCard tel property with a tel: URI (RFC 3966), as TIG section 7.1 asks."""
    return ["tel", {"type": kind}, "uri", f"tel:{number}" + (f";ext={ext}" if ext else "")]


def _abuse(registrar: PublicRegistrar) -> dict[str, Any] | None:
    if not registrar.abuse_email and not registrar.abuse_phone:
        return None
    card: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", "Abuse Contact"]]
    if registrar.abuse_phone:
        card.append(tel("voice", registrar.abuse_phone, None))
    if registrar.abuse_email:
        card.append(["email", {}, "text", registrar.abuse_email])
    return {"objectClassName": "entity", "roles": ["abuse"], "vcardArray": ["vcard", card]}


def registrar_entity(registrar: PublicRegistrar, view: View, *, handle: str | None = None) -> dict[str, Any]:
    handle = handle or registrar_handle(registrar, view.icann)
    card: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", registrar.name]]
    if registrar.url:
        card.append(["url", {}, "uri", registrar.url])
    entity: dict[str, Any] = {"objectClassName": "entity", "handle": handle, "roles": ["registrar"]}
    if registrar.iana_id:
        entity["publicIds"] = [{"type": "IANA Registrar ID", "identifier": str(registrar.iana_id)}]
    entity["vcardArray"] = ["vcard", card]
    entity["status"] = ["inactive" if registrar.status == "suspended" else "active"]
    abuse = _abuse(registrar)
    if abuse:
        entity["entities"] = [abuse]
    entity["links"] = [view.self_link(f"entity/{handle}")]
    if registrar.url:
        entity["links"].append(view.link("about", registrar.url, "text/html"))
    return entity


def _card(shown: PublicContact, contact_uri: str) -> list[Any]:
    card: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", shown.name or ""]]
    if shown.org:
        card.append(["org", {}, "text", shown.org])
    street: Any = list(shown.street) if shown.street and len(shown.street) > 1 else (shown.street or [""])[0]
    card.append(["adr", {"cc": shown.cc}, "text", ["", "", street, shown.city or "", shown.sp or "",
                                                   shown.pc or "", ""]])
    if shown.voice:
        card.append(tel("voice", shown.voice, shown.voice_ext))
    if shown.fax:
        card.append(tel("fax", shown.fax, shown.fax_ext))
    if shown.email:
        card.append(["email", {}, "text", shown.email])
    elif contact_uri:
        card.append(["contact-uri", {}, "uri", contact_uri])
    return card


@functools.lru_cache(maxsize=512)  # a few roles x fields x paths; entries are only ever serialized
def _redaction(role: str | None, field: str, base: str, contact_uri: str) -> dict[str, Any]:
    text = _ID_LABEL[role] if field == "handle" else f"{_LABEL[role]} {_FIELD_LABEL[field]}"
    method, path, pre = _REDACTION[field]
    entry: dict[str, Any] = {"name": {"type": text} if text in _REGISTERED else {"description": text}}
    entry["prePath" if pre else "postPath"] = base + path
    if field == "email" and contact_uri:
        method = "replacementValue"
        entry["replacementPath"] = base + ".vcardArray[1][?(@[0]=='contact-uri')]"
    entry.update(pathLang="jsonpath", method=method, reason={"description": "Server policy"})
    return entry


@functools.lru_cache(maxsize=512)  # roles x paths x the few sets of withheld fields contacts have
def _redactions(role: str | None, withheld: frozenset[str], base: str,
                contact_uri: str) -> tuple[dict[str, Any], ...]:
    return tuple(_redaction(role, f, base, contact_uri) for f in _ORDER if f in withheld)


def contact_entity(contact: ContactInfo, role: str | None, view: View,
                   base: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The entity and its `redacted` members; `base` is the JSONPath of the entity in the
    response ("$" at the top level)."""
    shown = public_view(contact)
    entity: dict[str, Any] = {"objectClassName": "entity"}
    if shown.roid:
        entity["handle"] = shown.roid
    if role:
        entity["roles"] = [RDAP_ROLE[role]]
    entity["vcardArray"] = ["vcard", _card(shown, view.settings.contact_uri)]
    if shown.roid:
        entity["links"] = [view.self_link(f"entity/{shown.roid}")]
    return entity, list(_redactions(role, shown.withheld, base, view.settings.contact_uri))


def role_path(role: str) -> str:
    return f"$.entities[?(@.roles[0]=='{RDAP_ROLE[role]}')]"
