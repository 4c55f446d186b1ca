"""The deposit report (rdeReport) a registry PUTs to ICANN after each escrow deposit: the
deposit's id, resend number and kind, its watermark, when it was written, the escrow and
mapping specifications it follows (RFC 8909, RFC 9022) and its header's counts. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from protocols.epp.request import epp_datetime
from registry_core.model.escrow import URI_HEADER

REPORT = "urn:ietf:params:xml:ns:rdeReport-1.0"
REPORT_VERSION = "1"
ESCROW_SPEC, MAPPING_SPEC = "RFC8909", "RFC9022"


def _sub(parent: Any, ns: str, tag: str, text: str, **attrib: str) -> Any:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    el.text = text
    return el


def deposit_report(deposit: dict[str, Any]) -> bytes:
    """The report of one logged deposit (a row of `escrow.list_deposits`)."""
    root = etree.Element(f"{{{REPORT}}}report", nsmap={"rdeReport": REPORT, "rdeHeader": URI_HEADER})
    written: datetime = deposit["written_at"]
    for tag, text in (("id", deposit["deposit_id"]), ("version", REPORT_VERSION), ("rydeSpecEscrow", ESCROW_SPEC),
                      ("rydeSpecMapping", MAPPING_SPEC), ("resend", str(deposit["resend"])),
                      ("crDate", epp_datetime(written)), ("kind", deposit["deposit_type"]),
                      ("watermark", deposit["watermark"].strftime("%Y-%m-%dT%H:%M:%SZ"))):
        _sub(root, REPORT, tag, text)
    header = etree.SubElement(root, f"{{{URI_HEADER}}}header")
    _sub(header, URI_HEADER, "tld", deposit["tld"])
    for uri, number in deposit["counts"].items():
        _sub(header, URI_HEADER, "count", str(number), uri=uri)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
