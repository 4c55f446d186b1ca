"""Pure tests of the hardened EPP codec: bytes in, elements or errors out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from protocols.epp import codec
from protocols.epp.codec import EppSchema, SchemaError, XmlError, parse, render

SAMPLES = Path(__file__).parent / "data" / "schema"
VALID = sorted(SAMPLES.glob("valid_*.xml"))
INVALID = sorted(SAMPLES.glob("invalid_*.xml"))

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE epp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><login><clID>&xxe;</clID></login></command></epp>"""

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode() for i in range(1, 10)
    )
    + b']>\n<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello>&lol9;</hello></epp>'
)

HELLO = b'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>'


@pytest.fixture(scope="module")
def schema() -> EppSchema:
    return EppSchema()


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# ------------------------------------------------------------------ hostile input
def test_xxe_is_rejected_and_never_leaks_file_content() -> None:
    with pytest.raises(XmlError) as caught:
        parse(XXE)
    assert "DOCTYPE" in str(caught.value)
    assert "root:" not in str(caught.value)


def test_xxe_in_utf16_is_rejected() -> None:
    data = XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse(data)


def test_parser_itself_never_expands_external_entities() -> None:
    """Defence in depth: even bypassing the byte scan, the module parser resolves nothing."""
    try:
        root = etree.fromstring(XXE, codec.PARSER)
    except etree.XMLSyntaxError:
        return
    assert b"root:" not in etree.tostring(root)


def test_external_dtd_reference_is_rejected() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE epp SYSTEM "http://127.0.0.1:9/epp.dtd"><epp/>'
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse(data)


def test_billion_laughs_is_rejected_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(XmlError):
        parse(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5


def test_parser_itself_does_not_expand_billion_laughs() -> None:
    try:
        root = etree.fromstring(BILLION_LAUGHS, codec.PARSER)
    except etree.XMLSyntaxError:
        return
    assert len(etree.tostring(root)) < 10_000


def test_plain_doctype_is_rejected() -> None:
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse(b"<!DOCTYPE epp>" + HELLO[HELLO.index(b"<epp") :])


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><epp/>',
        b'<?xml version="1.0"?><epp><?evil data?></epp>',
        b'<?xml version="1.0"?><epp/><?trailing pi?>',
    ],
)
def test_processing_instructions_are_rejected(data: bytes) -> None:
    with pytest.raises(XmlError, match="processing instruction"):
        parse(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"<epp>", b"<a></b>", b"\x00\xff\xfe", b'{"epp": 1}', b"<epp>&undefined;</epp>"],
)
def test_non_xml_is_rejected(data: bytes) -> None:
    with pytest.raises(XmlError):
        parse(data)


def test_oversized_document_is_rejected_before_parsing() -> None:
    padding = b" " * codec.MAX_DOCUMENT_BYTES
    with pytest.raises(XmlError, match="larger than"):
        parse(HELLO + padding)
    with pytest.raises(XmlError, match="larger than"):
        parse(HELLO, max_bytes=len(HELLO) - 1)


def test_deep_nesting_is_rejected() -> None:
    depth = codec.MAX_DEPTH + 1
    data = b'<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">' + b"<a>" * depth + b"</a>" * depth + b"</epp>"
    with pytest.raises(XmlError, match="nested deeper"):
        parse(data)


def test_very_deep_nesting_is_rejected() -> None:
    with pytest.raises(XmlError):
        parse(b"<a>" * 5000 + b"</a>" * 5000)


def test_nesting_limit_is_configurable() -> None:
    assert parse(HELLO, max_depth=2).tag == f"{{{codec.EPP_NS}}}epp"
    with pytest.raises(XmlError, match="nested deeper"):
        parse(HELLO, max_depth=1)


def test_comments_and_blank_text_are_dropped() -> None:
    root = parse(b"<epp>\n  <!-- note -->\n  <hello/>\n</epp>")
    assert etree.tostring(root) == b"<epp><hello/></epp>"


# ------------------------------------------------------------------ schema validation
@pytest.mark.parametrize("name", ["valid_login.xml", "valid_check_domain.xml", "valid_create_domain.xml"])
def test_login_check_and_create_validate(schema: EppSchema, name: str) -> None:
    schema.validate(parse(sample(name)))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_schema_accepts_valid_samples(schema: EppSchema, path: Path) -> None:
    schema.validate(parse(path.read_bytes()))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_schema_rejects_invalid_samples(schema: EppSchema, path: Path) -> None:
    root = parse(path.read_bytes())
    with pytest.raises(SchemaError) as caught:
        schema.validate(root)
    assert caught.value.message.startswith("line ")
    assert len(caught.value.message) <= 200


def test_wrong_namespace_fails_validation(schema: EppSchema) -> None:
    with pytest.raises(SchemaError, match="No matching global declaration"):
        schema.validate(parse(sample("invalid_wrong_epp_namespace.xml")))
    with pytest.raises(SchemaError, match="domain-2.0"):
        schema.validate(parse(sample("invalid_wrong_domain_namespace.xml")))


@pytest.mark.parametrize(
    ("name", "expected", "secret"),
    [
        ("invalid_contact_id_too_long.xml", "contact:id: value is too long", "holder-0123456789ab"),
        ("invalid_period_unit_x.xml", "domain:period @unit: value is not one of the allowed values", "'x'"),
        ("invalid_keytag_out_of_range.xml", "secDNS:keyTag: value is not a valid xs:unsignedShort", "65536"),
        ("invalid_login_pw_too_short.xml", "epp:pw: value is too short", "pw-42"),
        ("invalid_missing_authinfo.xml", "domain:create: Missing child element(s)", "s3cret"),
    ],
)
def test_schema_error_names_the_element_but_not_the_value(
    schema: EppSchema, name: str, expected: str, secret: str
) -> None:
    with pytest.raises(SchemaError) as caught:
        schema.validate(parse(sample(name)))
    assert expected in caught.value.message
    assert secret not in caught.value.message


def test_fee_update_result_keeps_rfc_8748_spelling(schema: EppSchema) -> None:
    """RFC 8748's schema declares <fee:updData>; <fee:upData> is not a valid element."""
    schema.validate(parse(sample("valid_fee_update_response.xml")))
    with pytest.raises(SchemaError, match="fee:upData"):
        schema.validate(parse(sample("invalid_fee_updata_spelling.xml")))


@pytest.mark.parametrize("path", sorted(codec.SCHEMA_DIR.glob("*.xsd")), ids=lambda p: p.name)
def test_every_schema_file_compiles_on_its_own(path: Path) -> None:
    etree.XMLSchema(etree.parse(str(path), codec.PARSER))


def test_namespace_constants_match_the_schema_files() -> None:
    declared = {
        etree.parse(str(path), codec.PARSER).getroot().get("targetNamespace")
        for path in codec.SCHEMA_DIR.glob("*-1.*.xsd")
    }
    assert declared == set(codec.NAMESPACES.values())
    assert set(codec.OBJECT_URIS) | set(codec.EXTENSION_URIS) <= declared


# ------------------------------------------------------------------ render
def test_render_writes_declaration_and_round_trips(schema: EppSchema) -> None:
    root = parse(sample("valid_info_response.xml"))
    data = render(root)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='no'?>")
    again = parse(data)
    schema.validate(again)
    assert etree.tostring(again) == etree.tostring(root)


def test_render_encodes_non_ascii_as_utf8() -> None:
    root = etree.Element(f"{{{codec.EPP_NS}}}epp", nsmap={None: codec.EPP_NS})
    etree.SubElement(root, "note").text = "Zürich"
    assert "Zürich".encode() in render(root)
