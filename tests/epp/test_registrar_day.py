"""A whole registrar day over ONE EPP connection: login, contacts, hosts, domain creates
(with DS), checks, infos, DS updates, a renew, a transfer out that the registrar learns of
by poll and approves, acks, deletes and logout. Then the books: the ledger sums to the
balance, and every transform left exactly the history rows its svTRID names."""

from __future__ import annotations

from datetime import date
from typing import Any

from protocols.epp.client import DsData, EppClient, Response, secdns_create, secdns_update
from protocols.epp.results import ResultCode
from registry_core.context import Core
from registry_core.services.registrars import get_registrar, ledger_sum
from tests.conftest import fetch
from tests.epp.conftest import PASSWORDS

DS_KSK = DsData(12345, 13, 2, "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD")
DS_ROLL = DsData(54321, 13, 2, "1D2B3C4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90A")
CONTACTS = {"admin": ["day-admin"], "tech": ["day-admin"]}
CONTACT_UPDATE = """<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><update>
<contact:update xmlns:contact="urn:ietf:params:xml:ns:contact-1.0"><contact:id>day-admin</contact:id>
<contact:add><contact:status s="clientDeleteProhibited"/></contact:add>
<contact:chg><contact:voice>+1.7034444444</contact:voice><contact:email>noc@daybook.example</contact:email></contact:chg>
</contact:update></update><clTRID>DAY-CONTACT-UPDATE</clTRID></command></epp>"""


class Day:
    """alpha's one session, and the transforms it made: (svTRID, clTRID, object, name)."""

    def __init__(self, client: EppClient) -> None:
        self.client = client
        self.transforms: list[tuple[str, str, str, str]] = []

    def expect(self, response: Response, code: ResultCode) -> Response:
        assert ResultCode(response.code) == code, response.raw.decode()
        return response

    def transform(self, response: Response, code: ResultCode, object_type: str, name: str) -> Response:
        self.expect(response, code)
        assert response.sv_trid and response.cl_trid
        self.transforms.append((response.sv_trid, response.cl_trid, object_type, name))
        return response


def texts(response: Response, path: str) -> list[str]:
    return [(el.text or "").strip() for el in response.findall(path)]


def ds_tags(response: Response) -> list[str]:
    return texts(response, "epp:response/epp:extension/secDNS:infData/secDNS:dsData/secDNS:keyTag")


def ex_date(response: Response) -> date:
    value = response.findtext("epp:response/epp:resData/domain:infData/domain:exDate")
    assert value, response.raw.decode()
    return date.fromisoformat(value[:10])


async def morning(day: Day) -> None:
    """Contacts and hosts first: the objects the domains will point to."""
    c = day.client
    chk = day.expect(await c.contact_check("day-admin", "day-spare"), ResultCode.SUCCESS)
    assert [el.get("avail") for el in chk.findall("epp:response/epp:resData/contact:chkData/contact:cd/contact:id")] \
        == ["1", "1"]
    for handle in ("day-admin", "day-spare"):
        day.transform(await c.contact_create(handle, name="Day Admin", email=f"{handle}@example.net",
                                             city="Dulles", cc="US", street=["1 Day St"], voice="+1.7035555555",
                                             auth_info="Contact-Day1"), ResultCode.SUCCESS, "contact", handle)
    for host in ("ns1.daybook.net", "ns2.daybook.net"):
        day.transform(await c.host_create(host), ResultCode.SUCCESS, "host", host)
    day.expect(await c.host_create("ns1.daybook.net"), ResultCode.OBJECT_EXISTS)


async def registrations(day: Day) -> None:
    c = day.client
    day.transform(await c.domain_create("daybook.example", period=2, registrant="day-admin", contacts=CONTACTS,
                                        nameservers=["ns1.daybook.net", "ns2.daybook.net"], auth_info="Day-Auth1",
                                        extensions=[secdns_create([DS_KSK])]),
                  ResultCode.SUCCESS, "domain", "daybook.example")
    for name in ("shop.example", "blog.example"):
        day.transform(await c.domain_create(name, registrant="day-admin", contacts=CONTACTS,
                                            nameservers=["ns1.daybook.net"], auth_info="Day-Auth1"),
                      ResultCode.SUCCESS, "domain", name)
    day.expect(await c.domain_create("shop.example", registrant="day-admin", auth_info="Day-Auth1"),
               ResultCode.OBJECT_EXISTS)
    glue = ["192.0.2.53", "2001:db8::53"]
    day.transform(await c.host_create("ns1.daybook.example", addresses=glue), ResultCode.SUCCESS, "host",
                  "ns1.daybook.example")
    day.transform(await c.domain_update("shop.example", add_ns=["ns1.daybook.example"]), ResultCode.SUCCESS,
                  "domain", "shop.example")
    chk = day.expect(await c.domain_check("daybook.example", "shop.example", "free.example"), ResultCode.SUCCESS)
    assert [el.get("avail") for el in chk.findall("epp:response/epp:resData/domain:chkData/domain:cd/domain:name")] \
        == ["0", "0", "1"]


async def dnssec_and_renew(day: Day) -> None:
    """Roll the DS set (add, then remove all), renew shop.example by a year."""
    c = day.client
    info = day.expect(await c.domain_info("daybook.example"), ResultCode.SUCCESS)
    assert ds_tags(info) == ["12345"]
    assert texts(info, "epp:response/epp:resData/domain:infData/domain:host") == ["ns1.daybook.example"]
    day.transform(await c.domain_update("daybook.example", extensions=[secdns_update(add=[DS_ROLL])]),
                  ResultCode.SUCCESS, "domain", "daybook.example")
    assert sorted(ds_tags(await c.domain_info("daybook.example"))) == ["12345", "54321"]
    day.transform(await c.domain_update("daybook.example", extensions=[secdns_update(rem_all=True)]),
                  ResultCode.SUCCESS, "domain", "daybook.example")
    assert ds_tags(await c.domain_info("daybook.example")) == []
    expiry = ex_date(await c.domain_info("shop.example"))
    renewed = day.transform(await c.domain_renew("shop.example", expiry, 1), ResultCode.SUCCESS, "domain",
                            "shop.example")
    new_expiry = renewed.findtext("epp:response/epp:resData/domain:renData/domain:exDate") or ""
    assert date.fromisoformat(new_expiry[:10]) == expiry.replace(year=expiry.year + 1)


async def maintenance(day: Day) -> None:
    """A contact's details change; the glue host gets a new address and a new name."""
    c = day.client
    day.transform(await c.request(CONTACT_UPDATE.encode()), ResultCode.SUCCESS, "contact", "day-admin")
    info = day.expect(await c.contact_info("day-admin"), ResultCode.SUCCESS)
    inf = "epp:response/epp:resData/contact:infData/"
    assert info.findtext(inf + "contact:voice") == "+1.7034444444"
    assert info.findtext(inf + "contact:email") == "noc@daybook.example"
    assert [el.get("s") for el in info.findall(inf + "contact:status")] == ["clientDeleteProhibited", "linked"]
    day.transform(await c.host_update("ns1.daybook.example", add_addrs=["192.0.2.54"], rem_addrs=["2001:db8::53"]),
                  ResultCode.SUCCESS, "host", "ns1.daybook.example")
    host = day.expect(await c.host_info("ns1.daybook.example"), ResultCode.SUCCESS)
    assert texts(host, "epp:response/epp:resData/host:infData/host:addr") == ["192.0.2.53", "192.0.2.54"]
    day.transform(await c.host_update("ns1.daybook.example", new_name="ns2.daybook.example"), ResultCode.SUCCESS,
                  "host", "ns1.daybook.example")
    day.expect(await c.host_info("ns1.daybook.example"), ResultCode.OBJECT_DOES_NOT_EXIST)
    shop = day.expect(await c.domain_info("shop.example"), ResultCode.SUCCESS)
    assert "ns2.daybook.example" in texts(shop, "epp:response/epp:resData/domain:infData/domain:ns/domain:hostObj")


async def transfer_out(day: Day, beta: EppClient) -> str:
    """beta asks for blog.example; alpha hears of it by poll, approves, and acks. Returns
    the svTRID of beta's request (a transform too, by another registrar)."""
    c = day.client
    request = await beta.domain_transfer("request", "blog.example", auth_info="Day-Auth1", period=1)
    day.expect(request, ResultCode.SUCCESS_ACTION_PENDING)
    poll = day.expect(await c.poll_request(), ResultCode.ACK_TO_DEQUEUE)
    assert poll.msgq_count == 1 and poll.msgq_id
    trn = "epp:response/epp:resData/domain:trnData/"
    assert poll.findtext(trn + "domain:name") == "blog.example"
    assert poll.findtext(trn + "domain:trStatus") == "pending"
    assert poll.findtext(trn + "domain:reID") == "beta"
    day.transform(await c.domain_transfer("approve", "blog.example"), ResultCode.SUCCESS, "domain", "blog.example")
    day.expect(await c.poll_ack(poll.msgq_id), ResultCode.SUCCESS)
    approved = day.expect(await c.poll_request(), ResultCode.ACK_TO_DEQUEUE)
    assert approved.findtext(trn + "domain:trStatus") == "clientApproved"
    assert approved.msgq_id is not None
    acked = day.expect(await c.poll_ack(approved.msgq_id), ResultCode.SUCCESS)
    assert acked.msgq_count == 0
    day.expect(await c.poll_request(), ResultCode.NO_MESSAGES)
    day.expect(await c.domain_update("blog.example", add_status=["clientHold"]), ResultCode.AUTHORIZATION_ERROR)
    assert request.sv_trid is not None
    return request.sv_trid


async def evening(day: Day) -> None:
    """Clean-up: what is linked refuses to go, then goes in the right order."""
    c = day.client
    day.expect(await c.host_delete("ns2.daybook.example"), ResultCode.OBJECT_ASSOCIATION_PROHIBITS_OPERATION)
    day.expect(await c.domain_delete("daybook.example"), ResultCode.OBJECT_ASSOCIATION_PROHIBITS_OPERATION)
    day.transform(await c.domain_delete("shop.example"), ResultCode.SUCCESS, "domain", "shop.example")
    day.transform(await c.host_delete("ns2.daybook.example"), ResultCode.SUCCESS, "host", "ns2.daybook.example")
    day.expect(await c.contact_delete("day-admin"), ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION)  # locked at noon
    day.transform(await c.contact_delete("day-spare"), ResultCode.SUCCESS, "contact", "day-spare")
    day.expect(await c.domain_info("shop.example"), ResultCode.OBJECT_DOES_NOT_EXIST)
    logout = await c.logout()
    assert ResultCode(logout.code) == ResultCode.SUCCESS_ENDING_SESSION
    assert not c.connected


async def assert_books_balance(core: Core) -> None:
    for registrar in ("alpha", "beta"):
        account = await get_registrar(core, registrar)
        assert await ledger_sum(core, registrar) == account.balance, registrar


async def assert_history(core: Core, day: Day, transfer_request: str) -> None:
    """Every transform has its history row (same svTRID, clTRID, object and actor), and every
    row written after the set-up belongs to one of those transforms."""
    rows = await fetch(core, "SELECT sv_trid, cl_trid, object_type, object_name, registrar_id FROM history "
                             "WHERE object_type IN ('domain', 'contact', 'host')")
    by_trid: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_trid.setdefault(row["sv_trid"], []).append(row)
    for sv_trid, cl_trid, object_type, name in day.transforms:
        found = by_trid.get(sv_trid, [])
        assert any(r["object_type"] == object_type and r["object_name"] == name and r["cl_trid"] == cl_trid
                   and r["registrar_id"] == "alpha" for r in found), (sv_trid, object_type, name, found)
    assert transfer_request in by_trid
    expected = {t[0] for t in day.transforms} | {transfer_request}
    assert set(by_trid) <= expected, set(by_trid) - expected


async def assert_ledger_rows_are_commands(core: Core, day: Day, transfer_request: str) -> None:
    """Money moved only by the seed credits and by commands this day sent."""
    rows = await fetch(core, "SELECT sv_trid FROM ledger WHERE sv_trid NOT LIKE 'seed-%'")
    commands = {t[0] for t in day.transforms} | {transfer_request}
    assert rows and {r["sv_trid"] for r in rows} <= commands


async def test_registrar_day_over_one_connection(registry, clients):
    client = await clients.connect("alpha")
    day = Day(client)
    day.expect(await client.login("alpha", PASSWORDS["alpha"]), ResultCode.SUCCESS)
    beta = await clients.login("beta")
    await morning(day)
    await registrations(day)
    await dnssec_and_renew(day)
    await maintenance(day)
    transfer_request = await transfer_out(day, beta)
    await evening(day)
    await assert_books_balance(registry)
    await assert_history(registry, day, transfer_request)
    await assert_ledger_rows_are_commands(registry, day, transfer_request)
    assert len(day.transforms) >= 15
