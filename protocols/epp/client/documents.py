"""What the server sends, parsed defensively: the server is a peer, not a trusted party.

Every document goes through the server's own hardened `codec.parse` (no DTD, no entities,
no network, no huge trees, bounded depth). A processing instruction is refused too, not
stripped: EPP never carries one (RFC 5730 section 2), so a response with one is hostile or
broken, and the caller learns that instead of reading a silently edited document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from protocols.epp import codec
from protocols.epp.client.errors import EppCommandError, EppProtocolError
from protocols.epp.codec import EPP_NS, NAMESPACES

Element = Any  # lxml.etree._Element; lxml ships no type information

# The client's own parser instance (lxml parsers must not be shared across threads).
_PARSER = codec.hardened_parser()


def parse_document(raw: bytes, *, max_bytes: int = codec.MAX_DOCUMENT_BYTES) -> Element:
    """The `<epp>` root of one server document; refuses anything unsafe and foreign roots."""
    try:
        root = codec.parse(raw, max_bytes=max_bytes, parser=_PARSER)
    except codec.XmlError as exc:
        raise EppProtocolError(f"unusable XML from server: {exc.reason}") from exc
    if root.tag != f"{{{EPP_NS}}}epp":
        raise EppProtocolError(f"unexpected root element {root.tag}")
    return root


@dataclass(frozen=True)
class _Document:
    root: Element
    raw: bytes = field(repr=False)

    def xpath(self, expr: str, **variables: Any) -> Any:
        """XPath from the `<epp>` root with the standard prefixes (epp, domain, contact,
        host, secDNS, rgp, fee); pass user values as `$variables`, never by formatting."""
        return self.root.xpath(expr, namespaces=NAMESPACES, **variables)

    def find(self, path: str) -> Element | None:
        """ElementPath search below `<epp>`; e.g. `find(".//domain:exDate")`."""
        return self.root.find(path, NAMESPACES)

    def findall(self, path: str) -> list[Element]:
        return list(self.root.findall(path, NAMESPACES))

    def findtext(self, path: str, default: str | None = None) -> str | None:
        return self.root.findtext(path, default, NAMESPACES)


@dataclass(frozen=True)
class Greeting(_Document):
    sv_id: str
    sv_date: str
    versions: tuple[str, ...]
    langs: tuple[str, ...]
    obj_uris: tuple[str, ...]
    ext_uris: tuple[str, ...]

    @classmethod
    def parse(cls, raw: bytes, *, max_bytes: int = codec.MAX_DOCUMENT_BYTES) -> Greeting:
        root = parse_document(raw, max_bytes=max_bytes)
        node = root.find("epp:greeting", NAMESPACES)
        if node is None:
            raise EppProtocolError("expected <greeting>")

        def texts(path: str) -> tuple[str, ...]:
            return tuple((e.text or "").strip() for e in node.findall("epp:svcMenu/" + path, NAMESPACES))

        return cls(
            root,
            raw,
            sv_id=node.findtext("epp:svID", "", NAMESPACES),
            sv_date=node.findtext("epp:svDate", "", NAMESPACES),
            versions=texts("epp:version"),
            langs=texts("epp:lang"),
            obj_uris=texts("epp:objURI"),
            ext_uris=texts("epp:svcExtension/epp:extURI"),
        )


@dataclass(frozen=True)
class Response(_Document):
    code: int  # of the first <result> (RFC 5730 section 2.6)
    message: str
    results: tuple[tuple[int, str], ...]
    cl_trid: str | None
    sv_trid: str | None
    msgq_count: int | None
    msgq_id: str | None

    @property
    def ok(self) -> bool:
        return 1000 <= self.code < 2000

    def check(self) -> Response:
        """Self if the command succeeded, else raise EppCommandError."""
        if not self.ok:
            raise EppCommandError(self)
        return self

    @property
    def res_data(self) -> Element | None:
        return self.find("epp:response/epp:resData")

    @property
    def extension(self) -> Element | None:
        return self.find("epp:response/epp:extension")

    @classmethod
    def parse(cls, raw: bytes, *, max_bytes: int = codec.MAX_DOCUMENT_BYTES) -> Response:
        root = parse_document(raw, max_bytes=max_bytes)
        node = root.find("epp:response", NAMESPACES)
        if node is None:
            raise EppProtocolError("expected <response>")
        results = tuple(_result(r) for r in node.findall("epp:result", NAMESPACES))
        if not results:
            raise EppProtocolError("response without <result>")
        msgq = node.find("epp:msgQ", NAMESPACES)
        return cls(
            root,
            raw,
            code=results[0][0],
            message=results[0][1],
            results=results,
            cl_trid=node.findtext("epp:trID/epp:clTRID", None, NAMESPACES),
            sv_trid=node.findtext("epp:trID/epp:svTRID", None, NAMESPACES),
            msgq_count=None if msgq is None else _int_attribute(msgq, "count"),
            msgq_id=None if msgq is None else msgq.get("id"),
        )


def _result(node: Element) -> tuple[int, str]:
    return _int_attribute(node, "code"), (node.findtext("epp:msg", "", NAMESPACES) or "").strip()


def _int_attribute(node: Element, name: str) -> int:
    try:
        return int(node.get(name, ""))
    except ValueError as exc:
        raise EppProtocolError(f"<{etree.QName(node).localname}> {name}={node.get(name)!r}") from exc
