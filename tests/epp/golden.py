"""Golden EPP exchanges: request file -> expected response file, compared after masking
what legitimately varies (svTRID, svDate), and validated against our schemas."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from protocols.epp import codec

DATA = Path(__file__).parent / "data"
# Golden tests run on a frozen clock (GOLDEN_NOW), so only the server's own ids and clock vary.
MASKED = {"svTRID", "svDate"}
GOLDEN_NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
SCHEMA = codec.EppSchema()


def canonical(raw: bytes) -> str:
    """Pretty, masked text of an EPP document, stable for comparison."""
    root = etree.fromstring(raw, etree.XMLParser(remove_blank_text=True))
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in MASKED:
            el.text = "*"
    # canonical XML drops namespace declarations an ancestor already made, so that the same
    # document written by a tree serializer or by text templates compares equal
    canonical_root = etree.fromstring(etree.tostring(root, method="c14n"), etree.XMLParser(remove_blank_text=True))
    return etree.tostring(canonical_root, pretty_print=True, encoding="unicode")


def request_bytes(stem: str) -> bytes:
    return (DATA / f"{stem}.xml").read_bytes()


def assert_golden(stem: str, actual: bytes) -> None:
    """The response must validate against the schemas and equal the golden file (masked)."""
    SCHEMA.validate(codec.parse(actual))
    expected_path = DATA / f"{stem}_response.xml"
    got = canonical(actual)
    if not expected_path.exists():
        expected_path.write_text(got)  # first run records; review the file before committing
        raise AssertionError(f"recorded new golden file {expected_path.name}; review and re-run")
    want = canonical(expected_path.read_bytes())
    if got != want:
        diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "expected", "actual", lineterm=""))
        raise AssertionError(f"{stem}: response differs from golden file\n{diff}")
