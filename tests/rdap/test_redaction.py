"""Contact data in RDAP: withheld unless the contact's disclose flags publish it, every
withheld field named in an RFC 9537 `redacted` member; the authInfo never appears."""

from __future__ import annotations

from registry_core.model.contact import ContactUpdate, Disclose
from registry_core.services import contacts
from tests.conftest import actor
from tests.core.helpers import POSTAL
from tests.rdap.conftest import running_rdap
from tests.rdap.data import DOMAIN_AUTH
from tests.rdap.rfc9083 import check_object, walk_strings

PRIVATE_VALUES = (POSTAL.name, POSTAL.org, POSTAL.street[0], POSTAL.city, POSTAL.pc, "jane@example.net",
                  "+1.5555550123", "priv-1")


def entity(doc: dict, role: str) -> dict:
    return next(e for e in doc["entities"] if e.get("roles") == [role])


def card(ent: dict) -> dict[str, list]:
    return {prop[0]: prop for prop in ent["vcardArray"][1]}


async def test_private_contacts_show_no_personal_data(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    strings = walk_strings(doc)
    for value in PRIVATE_VALUES:
        assert not [s for s in strings if value in s], value
    registrant = card(entity(doc, "registrant"))
    assert "handle" not in entity(doc, "registrant")
    assert registrant["fn"][3] == ""
    assert registrant["adr"] == ["adr", {"cc": "US"}, "text", ["", "", "", "", "IL", "", ""]]
    assert not {"org", "tel", "email"} & set(registrant)


async def test_every_withheld_field_is_named_in_redacted(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    assert "redacted" in doc["rdapConformance"]
    by_name = {(r["name"].get("type") or r["name"]["description"]): r for r in doc["redacted"]}
    for field, method in (("Registry Registrant ID", "removal"), ("Registrant Name", "emptyValue"),
                          ("Registrant Organization", "removal"), ("Registrant Street", "emptyValue"),
                          ("Registrant City", "emptyValue"), ("Registrant Postal Code", "emptyValue"),
                          ("Registrant Phone", "removal"), ("Registrant Email", "removal"),
                          ("Registry Tech ID", "removal"), ("Tech Name", "emptyValue"), ("Tech Email", "removal"),
                          ("Admin Fax", "removal")):
        assert by_name[field]["method"] == method, field
    assert by_name["Registrant Name"]["postPath"] == \
        "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]"
    assert by_name["Registry Registrant ID"]["prePath"] == "$.entities[?(@.roles[0]=='registrant')].handle"
    assert "Registrant Fax" not in by_name  # nothing withheld where there is no value
    assert not [n for n in by_name if n.startswith("Admin") and n != "Admin Fax"]


async def test_disclose_flags_publish_exactly_the_listed_fields(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    admin = entity(doc, "administrative")
    shown = card(admin)
    assert admin["handle"].startswith("C")
    assert shown["fn"][3] == "Pat Public" and shown["org"][3] == "Public Org"
    assert shown["adr"][3] == ["", "", ["2 High St", "Floor 3"], "Leeds", "WYK", "LS1 4AP", ""]
    assert shown["tel"] == ["tel", {"type": "voice"}, "uri", "tel:+44.1132220000;ext=12"]
    assert shown["email"][3] == "pat@public.example"
    assert "+44.1132220001" not in walk_strings(doc)  # the fax was not disclosed


async def test_withdrawing_consent_redacts_at_once(rdap, seeded, core):
    await contacts.update_contact(core, actor(), ContactUpdate(seeded.public_contact,
                                                               disclose=Disclose(False, frozenset({"email"}))))
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    assert "Pat Public" not in walk_strings(doc)
    assert (await rdap.get(f"entity/{seeded.public_contact}")).status == 404


async def test_private_contact_cannot_be_looked_up(rdap, seeded):
    for key in (seeded.private_contact, "C1-TEST"):
        assert (await rdap.get(f"entity/{key}")).status == 404


async def test_contact_form_replaces_a_withheld_email(core, seeded):
    async with running_rdap(core, contact_uri="https://registry.example/contact-form") as rdap:
        doc = (await rdap.get(f"domain/{seeded.domain}")).json
    assert check_object(doc, "domain") == []
    assert card(entity(doc, "registrant"))["contact-uri"][3] == "https://registry.example/contact-form"
    email = next(r for r in doc["redacted"] if r["name"].get("type") == "Registrant Email")
    assert email["method"] == "replacementValue"
    assert email["replacementPath"].endswith("[?(@[0]=='contact-uri')]")


async def test_auth_info_appears_nowhere(rdap, seeded):
    for path in (f"domain/{seeded.domain}", f"entity/{seeded.public_contact}", "domains?name=example-*"):
        assert DOMAIN_AUTH not in (await rdap.get(path)).raw.decode()
