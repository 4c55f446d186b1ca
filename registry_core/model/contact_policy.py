"""The rules a contact create or update must meet (RFC 5733), as pure functions. Each
returns every problem it finds, so a command can answer once with all of them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from registry_core.errors import CoreError, InvalidValue, PolicyViolation
from registry_core.model.contact import DISCLOSE_FIELDS, ContactCreate, Disclose, PostalInfo

HANDLE = re.compile(r"^[A-Za-z0-9._:-]{3,16}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9]{1,3}\.[0-9]{1,14}$")
_COUNTRY = re.compile(r"[A-Z]{2}")


def handle_problems(handle: str) -> list[CoreError]:
    if HANDLE.match(handle):
        return []
    return [InvalidValue("contact id must be 3-16 letters, digits or . _ : -", object_type="contact",
                         name=handle, field="id", value=handle)]


def value_problems(email: str | None, voice: str | None, fax: str | None) -> list[CoreError]:
    problems: list[CoreError] = []
    if email is not None and not _EMAIL.match(email):
        problems.append(InvalidValue("invalid e-mail address", object_type="contact", field="email", value=email))
    problems += [InvalidValue("phone numbers are +CC.NUMBER", object_type="contact", field=name, value=phone)
                 for name, phone in (("voice", voice), ("fax", fax)) if phone and not _PHONE.match(phone)]
    return problems


def postal_problems(postal: Sequence[PostalInfo]) -> list[CoreError]:
    kinds = [p.type for p in postal]
    problems: list[CoreError] = []
    if not postal or len(set(kinds)) != len(kinds):
        problems.append(PolicyViolation("one postalInfo of each type (int, loc) at most", object_type="contact",
                                        field="postalInfo"))
    for info in postal:
        if info.type == "int" and not all(
                (v or "").isascii() for v in (info.name, info.org, info.city, info.sp, info.pc, *info.street)):
            problems.append(PolicyViolation("int postal info must be 7-bit ASCII", object_type="contact",
                                            field="postalInfo", value=info.name))
        if not _COUNTRY.fullmatch(info.cc):
            problems.append(InvalidValue("country code must be ISO 3166 alpha-2", object_type="contact",
                                         field="cc", value=info.cc))
    return problems


def disclose_problems(disclose: Disclose | None) -> list[CoreError]:
    unknown = sorted(disclose.fields - DISCLOSE_FIELDS) if disclose else []
    return [InvalidValue("unknown disclose field", object_type="contact", field="disclose", value=field)
            for field in unknown]


def create_problems(req: ContactCreate) -> list[CoreError]:
    return [*handle_problems(req.handle), *postal_problems(req.postal),
            *value_problems(req.email, req.voice, req.fax), *disclose_problems(req.disclose)]
