"""Domain and host names: lower-case A-labels, U-labels converted with IDNA 2008
(no UTS 46 mapping), LDH syntax per RFC 1123 / RFC 5891."""

from __future__ import annotations

import re

import idna

from registry_core.errors import InvalidValue

_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_NAME = 253


def to_a_label(label: str, *, field: str = "name") -> str:
    """One label to its lower-case A-label form; InvalidValue when it is not valid."""
    if label.isascii():
        lowered = label.lower()
        if not _LDH.match(lowered):
            raise InvalidValue("invalid label", field=field, value=label)
        if lowered[2:4] == "--":
            _check_reserved_hyphens(lowered, field)
        return lowered
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidValue(f"invalid IDN label: {exc}", field=field, value=label) from exc


def _check_reserved_hyphens(label: str, field: str) -> None:
    """Labels with '--' in positions 3-4 must be valid IDNA 2008 A-labels (RFC 5891 4.2.3.1)."""
    if not label.startswith("xn--"):
        raise InvalidValue("hyphens in positions 3 and 4", field=field, value=label)
    try:
        ulabel = idna.ulabel(label)
        if idna.alabel(ulabel).decode("ascii") != label:
            raise InvalidValue("A-label does not round-trip", field=field, value=label)
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidValue(f"invalid A-label: {exc}", field=field, value=label) from exc


def normalize_name(name: str, *, field: str = "name") -> str:
    """A full domain or host name to lower-case A-labels without a trailing dot."""
    raw = name.strip()
    if raw.endswith("."):
        raw = raw[:-1]
    if not raw or len(raw) > 1024:
        raise InvalidValue("empty or oversized name", field=field, value=name[:80])
    labels = [to_a_label(label, field=field) for label in raw.split(".")]
    result = ".".join(labels)
    if len(result) > MAX_NAME or len(labels) < 2:
        raise InvalidValue("name must have at least two labels and at most 253 octets",
                           field=field, value=name[:80])
    return result


def normalize_object_name(name: str, object_type: str) -> str:
    """`normalize_name` for the name a command gives: a refusal names the object and its name."""
    try:
        return normalize_name(name)
    except InvalidValue as exc:
        raise InvalidValue(exc.detail, object_type=object_type, name=name, field="name", value=name) from exc


def to_unicode(name: str) -> str:
    """Display form: U-labels where a label is an A-label, otherwise unchanged."""
    if "xn--" not in name:
        return name
    out = []
    for label in name.split("."):
        if label.startswith("xn--"):
            try:
                out.append(idna.ulabel(label))
                continue
            except (idna.IDNAError, UnicodeError):
                pass
        out.append(label)
    return ".".join(out)


def split_registrable(name: str, tlds: set[str] | frozenset[str]) -> tuple[str, str] | None:
    """For a normalized name return (label, tld) when it is exactly one label below a
    served TLD (the longest matching suffix wins); otherwise None."""
    labels = name.split(".")
    for i in range(1, len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in tlds:
            return (labels[0], suffix) if i == 1 else None
    return None


def parent_candidates(host: str) -> list[str]:
    """Every proper suffix of a host name with at least two labels, longest first."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
