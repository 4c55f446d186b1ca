"""The XML each EppClient helper builds: well-formed, right namespaces, RFC element order,
user values escaped. Pure tests on bytes (CommandBuilder does no I/O)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from lxml import etree

from protocols.epp.client import (
    CONTACT_NS,
    DOMAIN_NS,
    EPP_NS,
    FEE_NS,
    HOST_NS,
    NAMESPACES,
    RGP_NS,
    SECDNS_NS,
    CommandBuilder,
    Disclose,
    DsData,
    EppProtocolError,
    HostAttr,
    Response,
    fee_agreement,
    fee_check,
    rgp_restore_request,
    secdns_create,
    secdns_update,
)
from protocols.epp.codec import EppSchema, parse

DS = DsData(12345, 13, 2, "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE49FD46E6C4B45C55D4AC69CB")
B = CommandBuilder("t")

# Every helper once, for the structural checks below and for XSD validation.
SAMPLES: dict[str, bytes] = {
    "hello": B.hello(),
    "login": B.login("demo", "demo-Pass1", new_password="demo-Pass2"),
    "logout": B.logout(),
    "poll_request": B.poll_request(),
    "poll_ack": B.poll_ack(42),
    "domain_check": B.domain_check("a.example", "b.example", extensions=[fee_check("create")]),
    "domain_info": B.domain_info("a.example", auth_info="2fooBAR", hosts="none"),
    "domain_create": B.domain_create(
        "a.example",
        registrant="jd1234",
        contacts={"admin": ["sh8013"], "tech": ["sh8013", "ab1"]},
        nameservers=["ns1.example.net", "ns2.example.net"],
        auth_info="2fooBAR",
        extensions=[secdns_create([DS]), fee_agreement("create", "5.00", currency="USD")],
    ),
    "domain_create_host_attr": B.domain_create(
        "b.example", period=24, unit="m", nameservers=[HostAttr("ns1.b.example", ("192.0.2.1", "2001:db8::1"))]
    ),
    "domain_renew": B.domain_renew("a.example", date(2027, 4, 3), 2, extensions=[fee_agreement("renew", "10")]),
    "domain_delete": B.domain_delete("a.example"),
    "domain_update": B.domain_update(
        "a.example",
        add_status=["clientHold"],
        rem_status=["clientTransferProhibited"],
        add_ns=["ns3.example.net"],
        rem_ns=["ns1.example.net"],
        add_contacts={"tech": ["ab2"]},
        rem_contacts={"tech": ["ab1"]},
        registrant="jd9999",
        auth_info="2BARfoo",
        extensions=[secdns_update(rem_all=True, add=[DS])],
    ),
    "domain_restore": B.domain_restore("a.example"),
    "domain_transfer": B.domain_transfer("request", "a.example", auth_info="2fooBAR", auth_roid="C1-X", period=1),
    "domain_transfer_query": B.domain_transfer("query", "a.example"),
    "contact_check": B.contact_check("sh8013", "ab1"),
    "contact_info": B.contact_info("sh8013", auth_info="2fooBAR"),
    "contact_create": B.contact_create(
        "sh8013",
        name="John Doe",
        org="Example Inc.",
        street=["123 Example Dr.", "Suite 100"],
        city="Dulles",
        sp="VA",
        pc="20166-6503",
        cc="US",
        voice="+1.7035555555",
        fax="+1.7035555556",
        email="jdoe@example.com",
        auth_info="2fooBAR",
        disclose=Disclose(False, ("email", "voice", "name")),
    ),
    "contact_create_minimal": B.contact_create("min1", name="M", email="m@example.com", city="X", cc="DE"),
    "contact_delete": B.contact_delete("sh8013"),
    "host_check": B.host_check("ns1.example.com", "ns2.example.com"),
    "host_info": B.host_info("ns1.example.com"),
    "host_create": B.host_create("ns1.example.com", addresses=["192.0.2.2", "1080:0:0:0:8:800:200C:417A"]),
    "host_delete": B.host_delete("ns1.example.com"),
    "host_update": B.host_update(
        "ns1.example.com",
        add_addrs=["192.0.2.22"],
        rem_addrs=["192.0.2.2"],
        add_status=["clientUpdateProhibited"],
        new_name="ns2.example.com",
    ),
}


def _tree(document: bytes) -> Any:
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='no'?>")
    root = etree.fromstring(document)
    assert root.tag == f"{{{EPP_NS}}}epp"
    return root


def _x(root: Any, expr: str) -> Any:
    return root.xpath(expr, namespaces=NAMESPACES)


def _children(node: Any) -> list[str]:
    return [etree.QName(child).localname for child in node]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_document_is_one_epp_command_with_a_cl_trid(name: str) -> None:
    root = _tree(SAMPLES[name])
    if name == "hello":
        assert _children(root) == ["hello"]
        return
    (command,) = _x(root, "epp:command")
    names = _children(command)
    assert names[-1] == "clTRID" and names[1:-1] in ([], ["extension"])
    assert _x(command, "string(epp:clTRID)").startswith("t-")
    verb = command[0]
    if names[0] not in ("login", "logout", "poll"):
        (obj,) = verb  # one object element, in the object's namespace, named like the verb
        assert etree.QName(obj).namespace in (DOMAIN_NS, CONTACT_NS, HOST_NS)
        assert etree.QName(obj).localname == names[0]


def test_cl_trids_are_unique_unless_given() -> None:
    ids = {_x(_tree(B.logout()), "string(//epp:clTRID)") for _ in range(100)}
    assert len(ids) == 100
    assert all(3 <= len(i) <= 64 for i in ids)
    assert _x(_tree(B.logout(cl_trid="ABC-12345")), "string(//epp:clTRID)") == "ABC-12345"


def test_object_prefixes_are_the_standard_ones() -> None:
    for name, prefix in (("domain_create", "domain"), ("contact_create", "contact"), ("host_create", "host")):
        obj = _x(_tree(SAMPLES[name]), "/epp:epp/epp:command/epp:create/*")[0]
        assert obj.prefix == prefix


def test_login() -> None:
    root = _tree(SAMPLES["login"])
    login = _x(root, "//epp:login")[0]
    assert _children(login) == ["clID", "pw", "newPW", "options", "svcs"]
    assert _x(login, "string(epp:options/epp:version)") == "1.0"
    assert _x(login, "epp:svcs/epp:objURI/text()") == [DOMAIN_NS, CONTACT_NS, HOST_NS]
    assert _x(login, "epp:svcs/epp:svcExtension/epp:extURI/text()") == [SECDNS_NS, RGP_NS, FEE_NS]
    bare = _tree(B.login("demo", "demo-Pass1", obj_uris=[DOMAIN_NS], ext_uris=[]))
    assert _x(bare, "//epp:svcExtension") == [] and _x(bare, "//epp:newPW") == []


def test_poll() -> None:
    assert _x(_tree(SAMPLES["poll_request"]), "//epp:poll/@op") == ["req"]
    ack = _x(_tree(SAMPLES["poll_ack"]), "//epp:poll")[0]
    assert (ack.get("op"), ack.get("msgID")) == ("ack", "42")


def test_domain_create_order_and_values() -> None:
    root = _tree(SAMPLES["domain_create"])
    create = _x(root, "//domain:create")[0]
    assert _children(create) == ["name", "period", "ns", "registrant", "contact", "contact", "contact", "authInfo"]
    assert _x(create, "domain:period/@unit") == ["y"] and _x(create, "string(domain:period)") == "1"
    assert _x(create, "domain:ns/domain:hostObj/text()") == ["ns1.example.net", "ns2.example.net"]
    assert [(c.get("type"), c.text) for c in _x(create, "domain:contact")] == [
        ("admin", "sh8013"),
        ("tech", "sh8013"),
        ("tech", "ab1"),
    ]
    assert _x(create, "string(domain:authInfo/domain:pw)") == "2fooBAR"
    extension = _x(root, "/epp:epp/epp:command/epp:extension")[0]
    assert [etree.QName(e).text for e in extension] == [f"{{{SECDNS_NS}}}create", f"{{{FEE_NS}}}create"]
    assert _x(extension, "string(secDNS:create/secDNS:dsData/secDNS:keyTag)") == "12345"
    assert _x(extension, "string(fee:create/fee:currency)") == "USD"


def test_domain_create_host_attr_and_generated_auth_info() -> None:
    root = _tree(SAMPLES["domain_create_host_attr"])
    addresses = _x(root, "//domain:hostAttr/domain:hostAddr")
    assert [(a.get("ip"), a.text) for a in addresses] == [("v4", "192.0.2.1"), ("v6", "2001:db8::1")]
    assert _x(root, "//domain:period/@unit") == ["m"]
    generated = _x(root, "string(//domain:authInfo/domain:pw)")
    assert len(generated) == 16 and generated != _x(_tree(B.domain_create("b.example")), "string(//domain:pw)")


def test_domain_nameservers_cannot_mix_obj_and_attr() -> None:
    with pytest.raises(ValueError):
        B.domain_create("a.example", nameservers=["ns1.example.net", HostAttr("ns2.a.example", ("192.0.2.1",))])


def test_domain_renew_info_delete_transfer() -> None:
    renew = _x(_tree(SAMPLES["domain_renew"]), "//domain:renew")[0]
    assert _children(renew) == ["name", "curExpDate", "period"]
    assert _x(renew, "string(domain:curExpDate)") == "2027-04-03"
    info = _x(_tree(SAMPLES["domain_info"]), "//domain:info/domain:name")[0]
    assert info.get("hosts") == "none"
    assert _x(_tree(SAMPLES["domain_delete"]), "//domain:delete/domain:name/text()") == ["a.example"]
    root = _tree(SAMPLES["domain_transfer"])
    assert _x(root, "/epp:epp/epp:command/epp:transfer/@op") == ["request"]
    assert _children(_x(root, "//domain:transfer")[0]) == ["name", "period", "authInfo"]
    assert _x(root, "//domain:authInfo/domain:pw/@roid") == ["C1-X"]
    assert _children(_x(_tree(SAMPLES["domain_transfer_query"]), "//domain:transfer")[0]) == ["name"]
    with pytest.raises(ValueError):
        B.domain_transfer("steal", "a.example")


def test_domain_update_sections() -> None:
    root = _tree(SAMPLES["domain_update"])
    update = _x(root, "//domain:update")[0]
    assert _children(update) == ["name", "add", "rem", "chg"]
    assert _children(_x(update, "domain:add")[0]) == ["ns", "contact", "status"]
    assert _x(update, "domain:add/domain:status/@s") == ["clientHold"]
    assert _x(update, "domain:rem/domain:contact[@type='tech']/text()") == ["ab1"]
    assert _children(_x(update, "domain:chg")[0]) == ["registrant", "authInfo"]
    assert _x(root, "//secDNS:update/secDNS:rem/secDNS:all/text()") == ["true"]
    removal = _x(_tree(B.domain_update("a.example", registrant="")), "//domain:chg/domain:registrant")[0]
    assert removal.text is None


def test_domain_restore_uses_rgp() -> None:
    root = _tree(SAMPLES["domain_restore"])
    assert _children(_x(root, "//domain:update")[0]) == ["name", "chg"]
    assert _x(root, "//epp:extension/rgp:update/rgp:restore/@op") == ["request"]
    assert rgp_restore_request().nsmap == {"rgp": RGP_NS}


def test_contact_create_order() -> None:
    root = _tree(SAMPLES["contact_create"])
    create = _x(root, "//contact:create")[0]
    assert _children(create) == ["id", "postalInfo", "voice", "fax", "email", "authInfo", "disclose"]
    assert _children(_x(create, "contact:postalInfo")[0]) == ["name", "org", "addr"]
    assert _children(_x(create, "contact:postalInfo/contact:addr")[0]) == ["street", "street", "city", "sp", "pc", "cc"]
    disclose = _x(create, "contact:disclose")[0]
    assert disclose.get("flag") == "0" and _children(disclose) == ["name", "voice", "email"]
    assert _x(disclose, "contact:name/@type") == ["int"]
    minimal = _x(_tree(SAMPLES["contact_create_minimal"]), "//contact:create")[0]
    assert _children(minimal) == ["id", "postalInfo", "email", "authInfo"]
    with pytest.raises(ValueError):
        B.contact_create("x1", name="n", email="e@x", city="c", cc="US", disclose=Disclose(True, ("ssn",)))


def test_host_commands() -> None:
    create = _x(_tree(SAMPLES["host_create"]), "//host:create/host:addr")
    assert [a.get("ip") for a in create] == ["v4", "v6"]
    update = _x(_tree(SAMPLES["host_update"]), "//host:update")[0]
    assert _children(update) == ["name", "add", "rem", "chg"]
    assert _children(_x(update, "host:add")[0]) == ["addr", "status"]
    assert _x(update, "string(host:chg/host:name)") == "ns2.example.com"
    with pytest.raises(ValueError):
        B.host_create("ns1.example.com", addresses=["not-an-ip"])
    with pytest.raises(ValueError):
        B.host_check()


def test_user_values_are_escaped_not_injected() -> None:
    hostile = 'x</domain:name><domain:name>evil"&'
    root = _tree(B.domain_info(hostile, auth_info="]]><pw>"))
    assert _x(root, "//domain:name/text()") == [hostile]
    assert _x(root, "string(//domain:pw)") == "]]><pw>"
    with pytest.raises(ValueError):
        B.domain_check("bad\x00name.example")


def test_extension_builders() -> None:
    check = fee_check("renew", period=2, currency="EUR")
    assert etree.QName(check).text == f"{{{FEE_NS}}}check"
    assert _x(check, "fee:command/@name") == ["renew"] and _x(check, "fee:command/fee:period/@unit") == ["y"]
    update = secdns_update(rem=[DS], urgent=True)
    assert update.get("urgent") == "true" and _children(update) == ["rem"]
    assert _x(secdns_create([DS], max_sig_life=604800), "string(secDNS:maxSigLife)") == "604800"


def test_response_parsing() -> None:
    raw = (
        f'<epp xmlns="{EPP_NS}"><response>'
        '<result code="1301"><msg lang="en">Command completed successfully; ack to dequeue</msg></result>'
        '<msgQ count="5" id="12345"><qDate>2000-06-08T22:00:00.0Z</qDate><msg>Transfer requested.</msg></msgQ>'
        f'<resData><domain:trnData xmlns:domain="{DOMAIN_NS}"><domain:name>example.com</domain:name>'
        "</domain:trnData></resData>"
        "<trID><clTRID>ABC-12345</clTRID><svTRID>54321-XYZ</svTRID></trID></response></epp>"
    ).encode()
    response = Response.parse(raw)
    assert (response.code, response.ok, response.msgq_count, response.msgq_id) == (1301, True, 5, "12345")
    assert (response.cl_trid, response.sv_trid) == ("ABC-12345", "54321-XYZ")
    assert response.findtext(".//domain:name") == "example.com"
    assert response.xpath("//domain:name[. = $n]/text()", n="example.com") == ["example.com"]
    assert response.res_data is not None and response.check() is response


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?><?xml-stylesheet href="x"?><epp xmlns="%s"/>',
        b'<epp xmlns="%s"><response><?evil ?></response></epp>',
        b'<!DOCTYPE epp [<!ENTITY x "y">]><epp xmlns="%s"/>',
        b'<greeting xmlns="%s"/>',
        b'<epp xmlns="%s"><response>',
    ],
    ids=["pi-outside-root", "pi-inside", "dtd", "foreign-root", "truncated"],
)
def test_hostile_or_broken_server_documents_are_refused(raw: bytes) -> None:
    """The client reads through the server's hardened parser: a processing instruction is
    refused (EPP never carries one), not silently stripped."""
    with pytest.raises(EppProtocolError):
        Response.parse(raw.replace(b"%s", EPP_NS.encode()))


def test_server_documents_are_bounded_in_size_and_depth() -> None:
    deep = f'<epp xmlns="{EPP_NS}">'.encode() + b"<a>" * 60 + b"</a>" * 60 + b"</epp>"
    with pytest.raises(EppProtocolError, match="deeper"):
        Response.parse(deep)
    with pytest.raises(EppProtocolError, match="larger"):
        Response.parse(f'<epp xmlns="{EPP_NS}"/>'.encode(), max_bytes=10)


@pytest.fixture(scope="module")
def schema() -> EppSchema:
    return EppSchema()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_documents_validate_against_the_schemas(schema: EppSchema, name: str) -> None:
    schema.validate(parse(SAMPLES[name]))
