"""Whole domain lives under an injected clock (RFC 3915 grace periods, redemption, restore,
auto-renew, purge, transfer auto-approval). After each life the ledger sums to every
balance, each step has its history row and each expected poll message is queued once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from registry_core.context import Core
from registry_core.errors import (
    DomainHasSubordinateHosts,
    NotInRedemptionPeriod,
    RestoreNotRequested,
    StatusProhibits,
)
from registry_core.model.lifecycle import RestoreReport
from registry_core.services import domains, lifecycle, registrars, restore, tlds, transfers
from tests.conftest import actor, fetch
from tests.core.helpers import make_domain, make_host

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
REPORT = RestoreReport("whois before", "whois after", T0, T0, "registrant error",
                       ("not restored for a third party", "report is true"))


# --- what every life ends with ---------------------------------------------------------
async def assert_books_balance(core: Core) -> None:
    """Per registrar the ledger sums to the balance and each row's balance_after follows."""
    for registrar in await registrars.list_registrars(core):
        rows = await fetch(core, "SELECT amount, balance_after FROM ledger WHERE registrar_id = $1 ORDER BY id",
                           registrar.id)
        running = Decimal(0)
        for row in rows:
            running += row["amount"]
            assert row["balance_after"] == running
        assert running == registrar.balance == await registrars.ledger_sum(core, registrar.id)


async def balance(core: Core, registrar_id: str = "alpha") -> Decimal:
    return (await registrars.get_registrar(core, registrar_id)).balance


async def history(core: Core, name: str) -> list[str]:
    rows = await fetch(core, "SELECT action FROM history WHERE object_type = 'domain' AND object_name = $1 "
                             "ORDER BY id", name)
    return [r["action"] for r in rows]


async def polls(core: Core, registrar_id: str = "alpha") -> Counter[str]:
    rows = await fetch(core, "SELECT kind FROM poll_message WHERE registrar_id = $1", registrar_id)
    return Counter(r["kind"] for r in rows)


async def ledger(core: Core, name: str) -> list[tuple[str, str, Decimal]]:
    rows = await fetch(core, "SELECT registrar_id, action, amount FROM ledger WHERE object_name = $1 ORDER BY id",
                       name)
    return [(r["registrar_id"], r["action"], r["amount"]) for r in rows]


async def info(core: Core, name: str, registrar: str = "alpha") -> domains.DomainInfo:
    return await domains.info_domain(core, actor(registrar), name)


async def available(core: Core, name: str) -> bool:
    return (await domains.check_domains(core, actor(), [name]))[0].available


async def run_at(core: Core, clock, at: datetime) -> lifecycle.LifecycleReport:
    clock.frozen = at
    return await lifecycle.run_lifecycle(core)


# --- lives -----------------------------------------------------------------------------
async def test_delete_inside_add_grace_frees_the_name_and_refunds_the_create(core, clock):
    clock.frozen = T0
    await make_domain(core, "quick.example", years=2)
    assert (await info(core, "quick.example")).rgp_statuses == ("addPeriod",)
    clock.frozen = T0 + 2 * DAY
    deleted = await domains.delete_domain(core, actor(), "quick.example")
    assert not deleted.pending and deleted.refunded == Decimal("20.00") and deleted.currency == "USD"
    assert [c.description for c in deleted.credits] == ["addPeriod"]
    assert await available(core, "quick.example")
    assert await balance(core) == Decimal("1000.00")
    assert await ledger(core, "quick.example") == [("alpha", "create", Decimal("-20.00")),
                                                   ("alpha", "refund", Decimal("20.00"))]
    assert await history(core, "quick.example") == ["create", "delete"]
    assert await polls(core) == Counter()
    await assert_books_balance(core)


async def test_delete_inside_renew_grace_refunds_the_renewal_and_enters_redemption(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "twice.example")
    clock.frozen = T0 + 6 * DAY  # the add grace period is over
    renewed = await domains.renew_domain(core, actor(), "twice.example", created.expires_at.date(), 2)
    assert renewed.charged == "20.00" and renewed.currency == "USD"
    assert (await info(core, "twice.example")).rgp_statuses == ("renewPeriod",)
    clock.frozen = T0 + 8 * DAY
    deleted = await domains.delete_domain(core, actor(), "twice.example")
    assert deleted.pending and deleted.refunded == Decimal("20.00")
    after = await info(core, "twice.example")
    assert after.rgp_statuses == ("redemptionPeriod",) and "pendingDelete" in after.statuses
    assert not await available(core, "twice.example")
    assert await balance(core) == Decimal("990.00")
    assert await history(core, "twice.example") == ["create", "renew", "delete"]
    assert await polls(core) == Counter()
    await assert_books_balance(core)


async def test_auto_renew_at_expiry_then_delete_in_its_grace_refunds_it(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "auto.example")
    report = await run_at(core, clock, created.expires_at + timedelta(hours=1))
    assert report.auto_renewed == 1 and report.total() == 1
    assert (await run_at(core, clock, created.expires_at + timedelta(hours=2))).total() == 0  # idempotent
    renewed = await info(core, "auto.example")
    assert renewed.expires_at == created.expires_at.replace(year=created.expires_at.year + 1)
    assert renewed.rgp_statuses == ("autoRenewPeriod",)
    clock.frozen = created.expires_at + 10 * DAY
    deleted = await domains.delete_domain(core, actor(), "auto.example")
    assert deleted.pending and [c.description for c in deleted.credits] == ["autoRenewPeriod"]
    assert await balance(core) == Decimal("990.00")
    assert await ledger(core, "auto.example") == [("alpha", "create", Decimal("-10.00")),
                                                  ("alpha", "autorenew", Decimal("-10.00")),
                                                  ("alpha", "refund", Decimal("10.00"))]
    assert await history(core, "auto.example") == ["create", "autoRenew", "delete"]
    assert await polls(core) == Counter({"autoRenew": 1})
    await assert_books_balance(core)


async def test_delete_restore_request_and_report_bring_the_domain_back(core, clock):
    clock.frozen = T0
    await make_host(core, "ns1.provider.net")
    await make_domain(core, "back.example", ns=("ns1.provider.net",))
    clock.frozen = T0 + 10 * DAY
    assert (await domains.delete_domain(core, actor(), "back.example")).pending
    with pytest.raises(RestoreNotRequested):
        await restore.restore_report(core, actor(), "back.example", REPORT)
    clock.frozen = T0 + 20 * DAY
    requested = await restore.restore_request(core, actor(), "back.example")
    assert requested.charged == Decimal("50.00") and [f.description for f in requested.fees] == ["restore"]
    assert (await info(core, "back.example")).rgp_statuses == ("pendingRestore",)
    with pytest.raises(NotInRedemptionPeriod):
        await restore.restore_request(core, actor(), "back.example")
    clock.frozen = T0 + 21 * DAY
    done = await restore.restore_report(core, actor(), "back.example", REPORT)
    restored = await info(core, "back.example")
    assert done.rgp_statuses == () and restored.rgp_statuses == ()
    assert restored.statuses == ("ok",) and restored.nameservers == ("ns1.provider.net",)
    assert (await run_at(core, clock, T0 + 60 * DAY)).total() == 0
    assert await balance(core) == Decimal("940.00")
    assert await history(core, "back.example") == ["create", "delete", "restore-request", "restore-report"]
    assert len(await fetch(core, "SELECT * FROM restore_report")) == 1
    assert await polls(core) == Counter()
    await assert_books_balance(core)


async def test_restore_of_an_expired_domain_charges_a_renewal_too(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "late.example")
    clock.frozen = created.expires_at - DAY
    await domains.delete_domain(core, actor(), "late.example")
    clock.frozen = created.expires_at + DAY
    requested = await restore.restore_request(core, actor(), "late.example")
    assert [(f.description, f.amount) for f in requested.fees] == [("restore", Decimal("50.00")),
                                                                   ("renew", Decimal("10.00"))]
    assert requested.expires_at == created.expires_at.replace(year=created.expires_at.year + 1)
    await restore.restore_report(core, actor(), "late.example", REPORT)
    assert [a for _, a, _ in await ledger(core, "late.example")] == ["create", "restore", "renew"]
    await assert_books_balance(core)


async def test_report_after_the_window_fails_and_the_request_is_refunded(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "slow.example")
    clock.frozen = T0 + 10 * DAY
    await domains.delete_domain(core, actor(), "slow.example")
    await restore.restore_request(core, actor(), "slow.example")
    clock.frozen = T0 + 18 * DAY  # the 7-day restore window closed a day ago
    with pytest.raises(RestoreNotRequested):
        await restore.restore_report(core, actor(), "slow.example", REPORT)
    report = await run_at(core, clock, T0 + 18 * DAY)
    assert report.restores_lapsed == 1 and report.total() == 1
    back = await info(core, "slow.example")
    assert back.rgp_statuses == ("redemptionPeriod",) and back.expires_at == created.expires_at
    assert await balance(core) == Decimal("990.00")
    assert await history(core, "slow.example") == ["create", "delete", "restore-request", "restoreLapse"]
    assert await polls(core) == Counter({"restoreLapse": 1})
    await assert_books_balance(core)


async def test_redemption_then_pending_delete_then_purge_frees_the_name(core, clock):
    clock.frozen = T0
    await make_domain(core, "gone.example")
    clock.frozen = T0 + 10 * DAY
    await domains.delete_domain(core, actor(), "gone.example")
    assert (await run_at(core, clock, T0 + 39 * DAY)).total() == 0
    assert (await run_at(core, clock, T0 + 40 * DAY)).redemptions_ended == 1
    assert (await info(core, "gone.example")).rgp_statuses == ("pendingDelete",)
    with pytest.raises(NotInRedemptionPeriod):
        await restore.restore_request(core, actor(), "gone.example")
    assert not await available(core, "gone.example")
    assert (await run_at(core, clock, T0 + 45 * DAY)).purged == 1
    assert (await run_at(core, clock, T0 + 46 * DAY)).total() == 0
    assert await available(core, "gone.example")
    await make_domain(core, "gone.example", "beta")
    assert await history(core, "gone.example") == ["create", "delete", "redemptionEnd", "purge", "create"]
    assert await polls(core) == Counter({"redemptionEnd": 1, "purge": 1})
    await assert_books_balance(core)


async def test_a_late_runner_catches_up_in_one_pass(core, clock):
    clock.frozen = T0
    await make_domain(core, "behind.example")
    clock.frozen = T0 + 10 * DAY
    await domains.delete_domain(core, actor(), "behind.example")
    report = await run_at(core, clock, T0 + 100 * DAY)
    assert (report.redemptions_ended, report.purged) == (1, 1)
    assert await available(core, "behind.example")
    await assert_books_balance(core)


async def test_transfer_is_approved_by_the_registry_after_five_days(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "move.example", auth="Move-Auth1")
    clock.frozen = T0 + 10 * DAY
    requested = await transfers.request_transfer(core, actor("beta"), "domain", "move.example", "Move-Auth1")
    assert requested.charged == "10.00" and requested.currency == "USD"
    assert (await run_at(core, clock, T0 + 15 * DAY - timedelta(seconds=1))).total() == 0
    report = await run_at(core, clock, T0 + 15 * DAY)
    assert report.transfers_approved == 1 and report.total() == 1
    moved = await info(core, "move.example", "beta")
    assert moved.sponsor_id == "beta" and moved.rgp_statuses == ("transferPeriod",)
    assert moved.expires_at == created.expires_at.replace(year=created.expires_at.year + 1)
    clock.frozen = T0 + 17 * DAY
    deleted = await domains.delete_domain(core, actor("beta"), "move.example")
    assert deleted.pending and deleted.refunded == Decimal("10.00")
    assert await balance(core, "beta") == Decimal("1000.00")
    assert await history(core, "move.example") == ["create", "transfer-request", "transfer-serverApproved",
                                                   "delete"]
    for rid in ("alpha", "beta"):
        assert await polls(core, rid) == Counter({"transfer": 2})
    await assert_books_balance(core)


async def test_transfer_inside_auto_renew_grace_undoes_the_auto_renewal(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "renewed.example", auth="Move-Auth1")
    await run_at(core, clock, created.expires_at + DAY)
    clock.frozen = created.expires_at + 2 * DAY
    await transfers.request_transfer(core, actor("beta"), "domain", "renewed.example", "Move-Auth1")
    await transfers.act_on_transfer(core, actor(), "domain", "renewed.example", "approve")
    moved = await info(core, "renewed.example", "beta")
    assert moved.expires_at == created.expires_at.replace(year=created.expires_at.year + 1)
    assert await balance(core) == Decimal("990.00")  # create paid, auto-renew given back
    assert await ledger(core, "renewed.example") == [
        ("alpha", "create", Decimal("-10.00")), ("alpha", "autorenew", Decimal("-10.00")),
        ("beta", "transfer", Decimal("-10.00")), ("alpha", "refund", Decimal("10.00"))]
    await assert_books_balance(core)


async def test_expiry_without_auto_renew_enters_redemption(core, clock):
    await tlds.configure_tld(core, "example", auto_renew=False)
    clock.frozen = T0
    created = await make_domain(core, "lapse.example")
    report = await run_at(core, clock, created.expires_at)
    assert report.expired == 1 and report.auto_renewed == 0
    assert (await info(core, "lapse.example")).rgp_statuses == ("redemptionPeriod",)
    assert await polls(core) == Counter({"expire": 1})
    assert await history(core, "lapse.example") == ["create", "expire"]
    await assert_books_balance(core)


async def test_auto_renew_without_funds_lets_the_domain_expire(core, clock):
    clock.frozen = T0
    created = await make_domain(core, "broke.example")
    await registrars.credit_registrar(core, "alpha", Decimal("-1085.00"), "drain", "t-drain")  # -95 of -100
    report = await run_at(core, clock, created.expires_at)
    assert report.expired == 1 and report.auto_renewed == 0
    assert await balance(core) == Decimal("-95.00")
    await assert_books_balance(core)


async def test_expiry_cancels_a_pending_transfer_and_refunds_the_gainer(core, clock):
    await tlds.configure_tld(core, "example", auto_renew=False)
    clock.frozen = T0
    created = await make_domain(core, "stuck.example", auth="Move-Auth1")
    clock.frozen = created.expires_at - DAY
    await transfers.request_transfer(core, actor("beta"), "domain", "stuck.example", "Move-Auth1")
    report = await run_at(core, clock, created.expires_at)
    assert report.expired == 1 and report.transfers_approved == 0
    assert (await transfers.query_transfer(core, actor("beta"), "domain", "stuck.example")).status == \
        "serverCancelled"
    assert await balance(core, "beta") == Decimal("1000.00")
    await assert_books_balance(core)


async def test_domains_in_redemption_refuse_updates_transfers_and_new_hosts(core, clock):
    clock.frozen = T0
    await make_domain(core, "frozen.example", auth="Frozen-Auth1")
    clock.frozen = T0 + 10 * DAY
    await domains.delete_domain(core, actor(), "frozen.example")
    with pytest.raises(StatusProhibits):
        await domains.delete_domain(core, actor(), "frozen.example")
    with pytest.raises(StatusProhibits):
        await transfers.request_transfer(core, actor("beta"), "domain", "frozen.example", "Frozen-Auth1")
    with pytest.raises(StatusProhibits):
        await make_host(core, "ns1.frozen.example", addresses=("192.0.2.1",))


async def test_purging_an_expired_parent_removes_its_hosts_from_other_domains(core, clock):
    await tlds.configure_tld(core, "example", auto_renew=False)
    clock.frozen = T0
    parent = await make_domain(core, "parent.example")
    await make_host(core, "ns1.parent.example", addresses=("192.0.2.1",))
    clock.frozen = T0 + 60 * DAY  # the child expires later than its parent
    await make_domain(core, "child.example", "beta", ns=("ns1.parent.example",))
    with pytest.raises(DomainHasSubordinateHosts):
        await domains.delete_domain(core, actor(), "parent.example")
    assert (await run_at(core, clock, parent.expires_at)).expired == 1
    late = parent.expires_at + 36 * DAY
    assert (await run_at(core, clock, late)).purged == 1
    assert (await info(core, "child.example", "beta")).nameservers == ()
    assert await polls(core, "beta") == Counter({"nameserverPurged": 1})
    assert await history(core, "child.example") == ["create", "nameserver-purged"]
    assert await available(core, "parent.example")
    await assert_books_balance(core)
