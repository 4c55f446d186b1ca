"""Domain lives walked over EPP on the injected clock: RFC 3915 grace periods, redemption
and restore (request, report), and RFC 8748 fees (check, agreement, refusals), as a
registrar sees them. Prices (tests/conftest.py): create, renew, transfer 10.00 a year,
restore 50.00; premium1.example costs 100.00 to create and 40.00 a year to renew."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from lxml import etree

from protocols.epp.client import EppClient, Response, fee_agreement, fee_check, rgp_restore_request
from protocols.epp.codec import RGP_NS
from protocols.epp.results import ResultCode
from registry_core.context import Core
from registry_core.services import lifecycle, price_lists, registrars
from tests.conftest import fetch

T0 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
AUTH = "2fooBAR-life"


async def balance(core: Core, registrar_id: str = "alpha") -> Decimal:
    return (await registrars.get_registrar(core, registrar_id)).balance


async def assert_books_balance(core: Core) -> None:
    for rid in ("alpha", "beta"):
        assert await registrars.ledger_sum(core, rid) == await balance(core, rid)


async def history(core: Core, name: str) -> list[str]:
    rows = await fetch(core, "SELECT action FROM history WHERE object_type = 'domain' AND object_name = $1 "
                             "ORDER BY id", name)
    return [r["action"] for r in rows]


def rgp_statuses(response: Response) -> list[str]:
    return response.xpath("epp:response/epp:extension/rgp:*/rgp:rgpStatus/@s")


def statuses(response: Response) -> list[str]:
    return response.xpath("epp:response/epp:resData/domain:infData/domain:status/@s")


def fees(response: Response, local: str) -> list[tuple[str, str]]:
    """(description, amount) of each fee:fee / fee:credit in <fee:{local}>."""
    return [(el.get("description"), el.text) for el in
            response.xpath(f"epp:response/epp:extension/fee:{local}/*[self::fee:fee or self::fee:credit]")]


def restore_report(deleted: datetime, restored: datetime) -> etree._Element:
    """RFC 3915 section 4.2.5 `<rgp:update><rgp:restore op="report">` with a full report."""
    def r(parent: etree._Element, local: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{RGP_NS}}}{local}", attrs)
        el.text = text
        return el
    root = etree.Element(f"{{{RGP_NS}}}update", nsmap={"rgp": RGP_NS})
    report = r(r(root, "restore", op="report"), "report")
    r(report, "preData", "whois before the delete")
    r(report, "postData", "whois after the restore")
    r(report, "delTime", deleted.isoformat().replace("+00:00", "Z"))
    r(report, "resTime", restored.isoformat().replace("+00:00", "Z"))
    r(report, "resReason", "Registrant error.")
    r(report, "statement", "Not restored to assume the rights to use or sell the name.")
    r(report, "statement", "The information in this report is true.")
    return root


async def create(client: EppClient, name: str, *extensions: etree._Element, years: int = 1) -> Response:
    return await client.domain_create(name, period=years, auth_info=AUTH, extensions=extensions)


async def test_delete_inside_add_grace_is_immediate_and_refunds_the_create(registry, clients, clock):
    clock.frozen = T0
    alpha = await clients.login("alpha")
    before = await balance(registry)
    created = await create(alpha, "agp.example")
    assert created.code == ResultCode.SUCCESS
    assert fees(created, "creData") == [("Registration Fee", "10.00")]
    assert created.xpath("string(//fee:creData/fee:fee/@grace-period)") == "P5D"
    info = await alpha.domain_info("agp.example")
    assert rgp_statuses(info) == ["addPeriod"]
    clock.frozen = T0 + 4 * DAY
    deleted = await alpha.domain_delete("agp.example")
    assert deleted.code == ResultCode.SUCCESS  # 1000: gone at once (RFC 3915 3.2)
    assert fees(deleted, "delData") == [("Add Grace Period Credit", "-10.00")]
    assert await balance(registry) == before
    assert (await alpha.domain_info("agp.example")).code == ResultCode.OBJECT_DOES_NOT_EXIST
    check = await alpha.domain_check("agp.example")
    assert check.xpath("string(//domain:name/@avail)") == "1"
    assert await history(registry, "agp.example") == ["create", "delete"]
    await assert_books_balance(registry)


async def test_delete_restore_request_report(registry, clients, clock):
    clock.frozen = T0
    alpha = await clients.login("alpha")
    await create(alpha, "life.example")
    paid = await balance(registry)
    clock.frozen = T0 + 10 * DAY  # the add grace period is over
    deleted = await alpha.domain_delete("life.example")
    assert deleted.code == ResultCode.SUCCESS_ACTION_PENDING  # 1001: into redemption
    assert deleted.extension is None  # nothing refunded
    info = await alpha.domain_info("life.example")
    assert statuses(info) == ["inactive", "pendingDelete"] and rgp_statuses(info) == ["redemptionPeriod"]

    clock.frozen = T0 + 12 * DAY
    low = await alpha.domain_update("life.example", extensions=[rgp_restore_request(), fee_agreement("update", "49")])
    assert low.code == ResultCode.PARAMETER_VALUE_RANGE_ERROR
    requested = await alpha.domain_restore("life.example")
    assert requested.code == ResultCode.SUCCESS
    assert rgp_statuses(requested) == ["pendingRestore"]
    assert fees(requested, "updData") == [("Redemption Fee", "50.00")]
    assert await balance(registry) == paid - Decimal("50.00")
    assert rgp_statuses(await alpha.domain_info("life.example")) == ["pendingRestore"]

    clock.frozen = T0 + 13 * DAY
    reported = await alpha.domain_update("life.example", extensions=[
        restore_report(T0 + 10 * DAY, T0 + 12 * DAY)])
    assert reported.code == ResultCode.SUCCESS
    info = await alpha.domain_info("life.example")
    assert statuses(info) == ["inactive"] and rgp_statuses(info) == []  # no name servers: inactive
    assert await history(registry, "life.example") == ["create", "delete", "restore-request", "restore-report"]
    await assert_books_balance(registry)


async def test_restore_refusals(registry, clients, clock):
    clock.frozen = T0
    alpha = await clients.login("alpha")
    await create(alpha, "late.example")
    live = await alpha.domain_restore("late.example")
    assert live.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION  # not in redemptionPeriod
    clock.frozen = T0 + 10 * DAY
    assert (await alpha.domain_delete("late.example")).code == ResultCode.SUCCESS_ACTION_PENDING
    report = restore_report(T0 + 10 * DAY, T0 + 10 * DAY)
    unrequested = await alpha.domain_update("late.example", extensions=[report])
    assert unrequested.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION  # report without a request
    beta = await clients.login("beta")
    assert (await beta.domain_restore("late.example")).code == ResultCode.AUTHORIZATION_ERROR
    before_request = await balance(registry)
    assert (await alpha.domain_restore("late.example")).code == ResultCode.SUCCESS
    clock.frozen = T0 + 18 * DAY  # the restore window (7 days) has closed: back to redemption
    lapsed = await alpha.domain_update("late.example", extensions=[report])
    assert lapsed.code == ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION
    assert (await lifecycle.run_lifecycle(registry)).restores_lapsed == 1  # the runner refunds the request
    assert rgp_statuses(await alpha.domain_info("late.example")) == ["redemptionPeriod"]
    assert await balance(registry) == before_request
    await assert_books_balance(registry)


async def test_fee_check_prices_every_command(registry, clients, clock):
    clock.frozen = T0
    await price_lists.import_premium_csv(registry, "example", "name,create,renew\npremium1,100.00,40.00\n")
    await price_lists.reserve_names(registry, "example", ["reserved1"], "Reserved")
    alpha = await clients.login("alpha")
    await create(alpha, "taken.example")
    names = ("taken.example", "free.example", "premium1.example", "reserved1.example")
    plain = await alpha.domain_check(*names)
    assert plain.xpath("//domain:name/@avail") == ["0", "1", "0", "0"]  # premium needs fee:check (RFC 8748 4)
    for command, period in (("create", 2), ("renew", 1), ("transfer", 1), ("restore", None)):
        check = await alpha.domain_check(*names, extensions=[fee_check(command, period=period)])
        assert check.xpath("//domain:name/@avail") == ["0", "1", "1", "0"]
        cds = check.xpath("//fee:chkData/fee:cd")
        assert [cd.get("avail") for cd in cds] == ["1", "1", "1", "0" if command == "create" else "1"]
        amount = {cd.findtext("fee:objID", namespaces={"fee": cd.nsmap["fee"]}):
                  cd.xpath("string(fee:command/fee:fee)", namespaces={"fee": cd.nsmap["fee"]}) for cd in cds}
        expected = {"create": "20.00", "renew": "10.00", "transfer": "10.00", "restore": "50.00"}[command]
        premium = {"create": "200.00", "renew": "40.00"}.get(command, expected)
        assert amount == {"taken.example": expected, "free.example": expected, "premium1.example": premium,
                          "reserved1.example": "" if command == "create" else expected}
        classes = check.xpath("//fee:cd/fee:class/text()")
        assert classes[2] == ("premium" if command in ("create", "renew") else "standard")
    reserved = await alpha.domain_check("reserved1.example", extensions=[fee_check("create")])
    assert reserved.xpath("string(//fee:cd/fee:command/fee:reason)") == "Reserved"


async def test_fees_too_low_and_premium_without_fee(registry, clients, clock):
    clock.frozen = T0
    await price_lists.import_premium_csv(registry, "example", "name,create,renew\npremium1,100.00,40.00\n")
    alpha = await clients.login("alpha")
    beta = await clients.login("beta")
    before = await balance(registry)
    low = await create(alpha, "cheap.example", fee_agreement("create", "9.99"))
    assert low.code == ResultCode.PARAMETER_VALUE_RANGE_ERROR
    assert low.xpath("string(//epp:extValue/epp:value/fee:fee)") == "9.99"
    euro = await create(alpha, "cheap.example", fee_agreement("create", "10.00", currency="EUR"))
    assert euro.code == ResultCode.PARAMETER_VALUE_RANGE_ERROR
    unacknowledged = await create(alpha, "premium1.example")
    assert unacknowledged.code == ResultCode.REQUIRED_PARAMETER_MISSING  # RFC 8748 section 4
    assert (await create(alpha, "premium1.example", fee_agreement("create", "99.99"))).code == \
        ResultCode.PARAMETER_VALUE_RANGE_ERROR
    assert await balance(registry) == before  # nothing charged by the refusals

    created = await create(alpha, "premium1.example", fee_agreement("create", "100.00", currency="USD"))
    assert created.code == ResultCode.SUCCESS and fees(created, "creData") == [("Registration Fee", "100.00")]
    expiry = date.fromisoformat(created.xpath("string(//domain:exDate)")[:10])
    renew_free = await alpha.domain_renew("premium1.example", expiry, 1)
    assert renew_free.code == ResultCode.REQUIRED_PARAMETER_MISSING  # a premium renew needs the fee too
    renewed = await alpha.domain_renew("premium1.example", expiry, 1, extensions=[fee_agreement("renew", "40")])
    assert fees(renewed, "renData") == [("Renewal Fee", "40.00")]
    assert await balance(registry) == before - Decimal("140.00")

    await create(alpha, "moving.example")
    low_transfer = await beta.domain_transfer("request", "moving.example", auth_info=AUTH,
                                              extensions=[fee_agreement("transfer", "5")])
    assert low_transfer.code == ResultCode.PARAMETER_VALUE_RANGE_ERROR
    moved = await beta.domain_transfer("request", "moving.example", auth_info=AUTH,
                                       extensions=[fee_agreement("transfer", "10.00")])
    assert moved.code == ResultCode.SUCCESS_ACTION_PENDING and fees(moved, "trnData") == [("Transfer Fee", "10.00")]
    await assert_books_balance(registry)
