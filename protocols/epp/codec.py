"""Hardened EPP XML codec (pure, no I/O beyond loading our own XSDs once).

The namespace map and the hardened parsing of the package: the server reads commands
and the client (`protocols.epp.client`) reads responses through the same `parse`.
`parse` turns untrusted bytes into an element tree or raises `XmlError`; `EppSchema`
validates a parsed instance against our schema bundle (RFC 5730-5733, 5910, 3915, 8748)
or raises `SchemaError`; `render` turns a response tree back into bytes.

Defences, outermost first: a size bound; a byte scan that refuses DTDs before libxml2
sees them (XXE, billion laughs); a parser that never loads DTDs, never expands entities,
never touches the network and keeps libxml2's own size limits (no `huge_tree`); after
parsing, no DOCTYPE, no processing instruction and a bounded nesting depth.
lxml parsers are not thread-safe: use one `hardened_parser()` per thread (PARSER is the
server's, used from its event loop's thread only).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from lxml import etree

# ---------------------------------------------------------------------------- namespaces
EPP_NS: Final = "urn:ietf:params:xml:ns:epp-1.0"
EPPCOM_NS: Final = "urn:ietf:params:xml:ns:eppcom-1.0"
DOMAIN_NS: Final = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT_NS: Final = "urn:ietf:params:xml:ns:contact-1.0"
HOST_NS: Final = "urn:ietf:params:xml:ns:host-1.0"
SECDNS_NS: Final = "urn:ietf:params:xml:ns:secDNS-1.1"
RGP_NS: Final = "urn:ietf:params:xml:ns:rgp-1.0"
FEE_NS: Final = "urn:ietf:params:xml:ns:epp:fee-1.0"

# Conventional prefix -> namespace URI (no schemaLocation): nsmap for rendering, XPath, messages.
NAMESPACES: Final[dict[str, str]] = {
    "epp": EPP_NS,
    "eppcom": EPPCOM_NS,
    "domain": DOMAIN_NS,
    "contact": CONTACT_NS,
    "host": HOST_NS,
    "secDNS": SECDNS_NS,
    "rgp": RGP_NS,
    "fee": FEE_NS,
}
# Namespace URI -> conventional prefix.
PREFIXES: Final[dict[str, str]] = {uri: prefix for prefix, uri in NAMESPACES.items()}
# What the greeting offers: object services (<objURI>) and extensions (<extURI>).
OBJECT_URIS: Final = (DOMAIN_NS, CONTACT_NS, HOST_NS)
EXTENSION_URIS: Final = (SECDNS_NS, RGP_NS, FEE_NS)

SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "schemas"
SCHEMA_BUNDLE: Final = "bundle.xsd"

# ---------------------------------------------------------------------------- limits
# RFC 5734 section 4 leaves the data unit size to the server; keep in step with framing's 1 MiB.
MAX_DOCUMENT_BYTES: Final = 1 << 20
# The deepest EPP instance (a domain info response with hostAttr/hostAddr) nests 7 levels;
# rgp reports and <extValue> echo free markup, so allow generous headroom, far below libxml2's 256.
MAX_DEPTH: Final = 48



def hardened_parser() -> etree.XMLParser:
    """A parser that never loads a DTD, expands an entity or touches the network, and keeps
    libxml2's size limits; `parse` adds the checks a parser option cannot express."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
        remove_comments=True,
    )


# The server's parser (also used for our own XSD files).
PARSER: Final = hardened_parser()

# DTD markup refused before parsing, in the encodings EPP allows (RFC 5730 section 2.4).
_DTD_MARKERS: Final = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_MAX_REASON = 200


class XmlError(Exception):
    """The bytes are not an acceptable XML document (EPP answers 2001)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SchemaError(Exception):
    """The document is well-formed but not a valid EPP instance (EPP answers 2001)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------- parse
def parse(
    data: bytes,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
    parser: etree.XMLParser = PARSER,
) -> etree._Element:
    """Parse one untrusted EPP document; raise XmlError on anything unsafe or malformed.
    `parser` (from `hardened_parser`) lets another thread or party bring its own instance."""
    if not data:
        raise XmlError("empty document")
    if len(data) > max_bytes:
        raise XmlError(f"document larger than {max_bytes} bytes")
    if any(marker in data for marker in _DTD_MARKERS):
        raise XmlError("DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlError(_short(f"not well-formed: {exc.msg}")) from None
    _check_tree(root, max_depth)
    return root


def _check_tree(root: etree._Element, max_depth: int) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlError("DOCTYPE and entity declarations are not allowed")
    outside = [*root.itersiblings(preceding=True), *root.itersiblings()]
    if any(isinstance(node, etree._ProcessingInstruction) for node in outside):
        raise XmlError("processing instructions are not allowed")
    if next(root.iter(etree.ProcessingInstruction), None) is not None:
        raise XmlError("processing instructions are not allowed")
    if next(root.iter(etree.Entity), None) is not None:
        raise XmlError("entity references are not allowed")
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > max_depth:
            raise XmlError(f"elements nested deeper than {max_depth}")


# ---------------------------------------------------------------------------- validate
class EppSchema:
    """Our XSD bundle, compiled once at start-up; `validate` is then cheap and reusable."""

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        document = etree.parse(str(directory / SCHEMA_BUNDLE), PARSER)
        self._schema = etree.XMLSchema(document)

    def validate(self, root: etree._Element) -> None:
        """Raise SchemaError with the first violation ("line N: <where>: <what>")."""
        if self._schema.validate(root):
            return
        error = self._schema.error_log[0]
        raise SchemaError(_short(f"line {error.line}: {_describe(error)}"))


# Errors whose lxml text quotes the offending value: replaced by a fixed phrase.
_VALUE_ERRORS: Final = {
    "SCHEMAV_CVC_ENUMERATION_VALID": "value is not one of the allowed values",
    "SCHEMAV_CVC_PATTERN_VALID": "value does not match the required pattern",
    "SCHEMAV_CVC_LENGTH_VALID": "value has the wrong length",
    "SCHEMAV_CVC_MINLENGTH_VALID": "value is too short",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "value is too long",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "value is below the minimum",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "value is above the maximum",
    "SCHEMAV_CVC_MINEXCLUSIVE_VALID": "value is below the minimum",
    "SCHEMAV_CVC_MAXEXCLUSIVE_VALID": "value is above the maximum",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "value has too many digits",
    "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "value has too many fraction digits",
}
_WHERE = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<what>.*)$", re.S)
_CLARK = re.compile(r"\{([^}]*)\}")
_TYPE_NAME = re.compile(r"of the (?:atomic|list|union) type '([^']+)'")


def _describe(error: etree._LogEntry) -> str:
    """Element/attribute names plus a description that never echoes document values."""
    match = _WHERE.match(error.message.strip())
    if match is None:
        return _prefixed(error.message.strip())
    where = _prefixed(match["element"])
    if match["attribute"]:
        where += f" @{_prefixed(match['attribute'])}"
    return f"{where}: {_what(error.type_name, match['what'])}"


def _what(type_name: str, detail: str) -> str:
    if type_name in _VALUE_ERRORS:
        return _VALUE_ERRORS[type_name]
    if (declared := _TYPE_NAME.search(detail)) is not None:
        return f"value is not a valid {_prefixed(declared[1])}"
    return "invalid value" if "value" in detail.lower() else _prefixed(detail)


def _prefixed(text: str) -> str:
    """Rewrite Clark names ({uri}local) as prefix:local for the namespaces we know."""
    return _CLARK.sub(lambda m: f"{PREFIXES[m[1]]}:" if m[1] in PREFIXES else m[0], text)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


# ---------------------------------------------------------------------------- render
def render(root: etree._Element) -> bytes:
    """Serialize a response tree: UTF-8 with an XML declaration (standalone="no")."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)
