"""The ICANN gTLD RDAP Response Profile (February 2024) and TIG v2.2 as a per-TLD switch."""

from __future__ import annotations

import pytest

from protocols.config import AbuseConfig
from registry_core.services import tlds
from tests.core.helpers import make_domain
from tests.rdap.rfc9083 import check_error, check_help, check_object

ICANN = ["icann_rdap_response_profile_1", "icann_rdap_technical_implementation_guide_1"]


@pytest.fixture
async def icann(core, seeded):
    await tlds.configure_tld(core, "example", rdap_icann_profile=True)
    return seeded


def notice_links(doc: dict) -> dict[str, dict]:
    return {n["title"]: n["links"][0] for n in doc["notices"] if n.get("links")}


async def test_profile_off_declares_rfc_levels_only(rdap, seeded):
    doc = (await rdap.get(f"domain/{seeded.domain}")).json
    assert not set(ICANN) & set(doc["rdapConformance"])
    assert set(notice_links(doc)) == {"Terms of Use", "Abuse Reports"}  # the registry's intake, profile or not


async def test_domain_answer_under_the_profile(rdap, icann):
    url = f"{rdap.base}domain/{icann.domain}"
    doc = (await rdap.get(f"domain/{icann.domain}")).json
    assert check_object(doc, "domain") == []
    assert doc["rdapConformance"] == ["rdap_level_0", *ICANN, "redacted"]
    links = notice_links(doc)
    assert links["Terms of Use"]["rel"] == "terms-of-service" and links["Terms of Use"]["value"] == url
    assert links["Status Codes"] == {"value": url, "rel": "glossary", "href": "https://icann.org/epp",
                                     "type": "text/html"}
    assert links["RDDS Inaccuracy Complaint Form"] == {"value": url, "rel": "help", "href": "https://icann.org/wicf",
                                                       "type": "text/html"}
    assert links["Abuse Reports"] == {"value": url, "rel": "help", "href": AbuseConfig().report_url,
                                      "type": "text/html"}
    abuse = next(n for n in doc["notices"] if n["title"] == "Abuse Reports")
    assert AbuseConfig().email in abuse["description"][0]
    registrar = doc["entities"][0]
    assert registrar["handle"] == "9999"  # the IANA Registrar ID (profile section 2.4.1)
    assert registrar["links"][0]["href"] == f"{rdap.base}entity/9999"


async def test_other_answers_under_the_profile(rdap, icann):
    for path, kind in ((f"nameserver/{icann.glue_host}", "nameserver"), ("entity/alpha", "entity")):
        doc = (await rdap.get(path)).json
        assert check_object(doc, kind) == []
        assert doc["rdapConformance"][1:3] == ICANN
        assert doc["events"][-1]["eventAction"] == "last update of RDAP database"
        assert notice_links(doc)["Terms of Use"]["value"] == rdap.base + path
    help_doc = (await rdap.get("help")).json
    assert check_help(help_doc) == [] and help_doc["rdapConformance"][1:] == ICANN
    error = (await rdap.get("domain/nx-name.example")).json
    assert check_error(error, 404) == [] and error["rdapConformance"][1:] == ICANN


async def test_the_switch_is_per_tld(rdap, icann, core):
    await make_domain(core, "plain.strict", registrant=icann.private_contact,
                      contacts_=(("admin", icann.private_contact), ("tech", icann.private_contact)))
    doc = (await rdap.get("domain/plain.strict")).json
    assert not set(ICANN) & set(doc["rdapConformance"])
    assert doc["entities"][0]["handle"] == "alpha"
    assert (await rdap.get("domain/nx.example")).json["rdapConformance"][1:] == ICANN
    assert not set(ICANN) & set((await rdap.get("domain/nx.strict")).json["rdapConformance"])


async def test_switching_off_takes_effect_on_the_next_answer(rdap, icann, core):
    await tlds.configure_tld(core, "example", rdap_icann_profile=False)
    doc = (await rdap.get(f"domain/{icann.domain}")).json
    assert not set(ICANN) & set(doc["rdapConformance"])
