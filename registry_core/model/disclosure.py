"""What an anonymous client may see of a contact (RDAP and WHOIS share this rule).

Contact data is personal data. By server policy every personal field is withheld unless
the contact's RFC 5733 <contact:disclose flag="1"> lists it; a flag="0" list only
confirms the default. State/province and country code are always shown, as the ICANN
Registration Data Policy publishes them. The contact's identifier is shown only when
the contact discloses something, since publishing it then reveals nothing new. The
authInfo is never part of a public view."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from registry_core.model.contact import ContactInfo, PostalInfo

# public view field -> RFC 5733 disclose element (the int/loc suffix is added for postal parts)
_DISCLOSE_KEY = {"name": "name", "org": "org", "street": "addr", "city": "addr", "pc": "addr",
                 "voice": "voice", "voice_ext": "voice", "fax": "fax", "fax_ext": "fax", "email": "email"}
_POSTAL = frozenset({"name", "org", "addr"})
_FIELDS = ("name", "org", "street", "city", "pc", "voice", "voice_ext", "fax", "fax_ext", "email")


@dataclass(frozen=True)
class PublicContact:
    """A contact as the public sees it. A withheld field is None and named in `withheld`
    (fields without a value are None and not named there)."""

    handle: str | None
    roid: str | None
    name: str | None
    org: str | None
    street: tuple[str, ...] | None
    city: str | None
    sp: str | None
    pc: str | None
    cc: str
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    email: str | None
    withheld: frozenset[str]


def postal_of(contact: ContactInfo) -> PostalInfo:
    """The postal info to show: the internationalized (ASCII) form when present."""
    for postal in contact.postal:
        if postal.type == "int":
            return postal
    return {p.type: p for p in contact.postal}["loc"]


def disclosed_keys(contact: ContactInfo, postal_type: str) -> frozenset[str]:
    """The public-view fields the contact asked to publish."""
    disclose = contact.disclose
    if disclose is None or not disclose.flag:
        return frozenset()
    shown = set()
    for field, key in _DISCLOSE_KEY.items():
        wanted = f"{key}_{postal_type}" if key in _POSTAL else key
        if wanted in disclose.fields:
            shown.add(field)
    return frozenset(shown)


@functools.lru_cache(maxsize=1024)  # one entry per combination of fields a contact has
def _all_withheld(present: tuple[bool, ...]) -> frozenset[str]:
    """What a contact that publishes nothing withholds: its identifier and every field it has."""
    return frozenset(field for field, has in zip(_FIELDS, present, strict=True) if has) | {"handle"}


def public_view(contact: ContactInfo) -> PublicContact:
    postal = postal_of(contact)
    shown = disclosed_keys(contact, postal.type)
    values = (postal.name, postal.org, postal.street, postal.city, postal.pc, contact.voice, contact.voice_ext,
              contact.fax, contact.fax_ext, contact.email)
    if not shown:  # the usual case (server policy withholds by default): only sp and cc remain
        return PublicContact(None, None, None, None, None, None, postal.sp, None, postal.cc, None, None, None, None,
                             None, _all_withheld(tuple(map(bool, values))))
    withheld = {field for field, value in zip(_FIELDS, values, strict=True) if value and field not in shown}

    def keep(field: str, value: str | None) -> str | None:
        return value if field in shown else None

    return PublicContact(
        handle=contact.handle, roid=contact.roid,
        name=keep("name", postal.name), org=keep("org", postal.org),
        street=postal.street if "street" in shown else None, city=keep("city", postal.city), sp=postal.sp,
        pc=keep("pc", postal.pc), cc=postal.cc, voice=keep("voice", contact.voice),
        voice_ext=keep("voice_ext", contact.voice_ext), fax=keep("fax", contact.fax),
        fax_ext=keep("fax_ext", contact.fax_ext), email=keep("email", contact.email),
        withheld=frozenset(withheld))
