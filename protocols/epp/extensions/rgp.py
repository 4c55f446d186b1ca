"""rgp-1.0 (RFC 3915): read the restore request/report of a domain update, write the
rgpStatus values of info (section 3.1.2) and restore (section 3.2.5) responses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from protocols.epp.codec import RGP_NS
from protocols.epp.request import Element, element, q, sub
from registry_core.errors import InvalidValue
from registry_core.model.lifecycle import RestoreReport


def _r(local: str) -> str:
    return q(RGP_NS, local)


def _content(el: Element | None) -> str:
    """The free text and markup inside a mixedType element (preData, postData, ...), as sent."""
    if el is None:
        return ""
    inner = "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in el)
    return ((el.text or "") + inner).strip()


def _time(el: Element | None, local: str) -> datetime:
    """An xs:dateTime (the schema checked its shape); one without a zone is taken as UTC."""
    value = (el.text or "").strip() if el is not None else ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue("not a date-time this server can read", object_type="domain", field=local,
                           value=value[:64]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _report(el: Element) -> RestoreReport:
    """RFC 3915 section 4.3.2: preData, postData, delTime, resTime, resReason, statement{1,2}, other?"""
    other = el.find(_r("other"))
    return RestoreReport(
        pre_data=_content(el.find(_r("preData"))), post_data=_content(el.find(_r("postData"))),
        deleted_at=_time(el.find(_r("delTime")), "delTime"), restored_at=_time(el.find(_r("resTime")), "resTime"),
        reason=_content(el.find(_r("resReason"))),
        statements=tuple(_content(s) for s in el.findall(_r("statement"))),
        other=_content(other) if other is not None else None)


def read_update(ext: Element | None) -> tuple[str, RestoreReport | None] | None:
    """("request", None) or ("report", report) from <rgp:update>; None without the extension.
    A report op without its <rgp:report> is answered 2003 by the caller (report None)."""
    if ext is None:
        return None
    restore = ext.find(_r("restore"))
    assert restore is not None  # required by the schema
    op = restore.get("op", "")
    report = restore.find(_r("report"))
    return op, (_report(report) if op == "report" and report is not None else None)


def _statuses(local: str, statuses: Iterable[str]) -> Element:
    root = element(RGP_NS, local, "rgp")
    for status in statuses:
        sub(root, RGP_NS, "rgpStatus", s=status)
    return root


def info(statuses: Iterable[str]) -> Element:
    """<rgp:infData> for a domain info response (call with at least one status)."""
    return _statuses("infData", statuses)


def up_data(statuses: Iterable[str]) -> Element:
    """<rgp:upData> for a restore response (call with at least one status)."""
    return _statuses("upData", statuses)
