"""What a flow receives (`Request`) and returns (`Reply`), and small readers over lxml
elements that every flow shares. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from lxml import etree

from protocols.epp.results import ResultCode
from protocols.epp.session import Session

if TYPE_CHECKING:
    from registry_core.context import Core
    from registry_core.model.actor import Actor

Element: TypeAlias = etree._Element


@dataclass
class Request:
    core: Core
    session: Session
    verb: str  # check, info, create, ... or login, logout, poll
    body: Element  # the object element (domain:create ...) or the verb element itself
    extensions: list[Element]
    cl_trid: str | None
    sv_trid: str

    @property
    def actor(self) -> Actor:
        from registry_core.model.actor import Actor

        assert self.session.registrar_id is not None
        return Actor(self.session.registrar_id, self.sv_trid, self.cl_trid)

    def extension(self, namespace: str) -> Element | None:
        """The first child of <extension> in `namespace`, if the client sent one."""
        for ext in self.extensions:
            if etree.QName(ext).namespace == namespace:
                return ext
        return None


@dataclass
class MessageQueue:
    count: int
    id: str | None = None
    queued_at: datetime | None = None
    message: str | None = None


@dataclass
class Reply:
    code: ResultCode = ResultCode.SUCCESS
    res_data: Element | None = None
    extensions: list[Element] = field(default_factory=list)
    msgq: MessageQueue | None = None
    # <extValue>: (offending element, reason); <value>: elements echoed for syntax errors
    ext_values: list[tuple[Element, str]] = field(default_factory=list)
    message: str | None = None
    # further <result> elements after the first, each (code, its extValues): a failed command
    # may document several failure conditions (RFC 5730 section 2.6)
    more_results: list[tuple[ResultCode, list[tuple[Element, str]]]] = field(default_factory=list)


def text(parent: Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else (child.text or "")


def texts(parent: Element, tag: str) -> list[str]:
    return [child.text or "" for child in parent.findall(tag)]


def q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def sub(parent: Element, namespace: str, local: str, value: str | None = None, **attrs: str) -> Element:
    child = etree.SubElement(parent, q(namespace, local), attrs)
    if value is not None:
        child.text = value
    return child


def element(namespace: str, local: str, prefix: str, **attrs: str) -> Element:
    return etree.Element(q(namespace, local), attrs, nsmap={prefix: namespace})


def epp_datetime(at: datetime) -> str:
    """RFC 5731 section 2.4: date-times in UTC with a Z, millisecond precision."""
    u = at if at.tzinfo is UTC else at.astimezone(UTC)
    # %-formatting: a third of strftime's cost (an info answer has three or more dates)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond // 1000)
