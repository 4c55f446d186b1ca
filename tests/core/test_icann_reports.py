"""ICANN's monthly reports on the real database, against golden files: a month of creates,
an add-grace delete that takes its create back, a renewal, a delete out of grace, a
transfer approved and one rejected, a restore, hosts, and the servers' counts (EPP
commands by field and registrar, WHOIS and RDAP queries) as the flush writes them. A rerun
gives the same bytes; a command of another month or TLD changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from registry_core.model.domain import DomainUpdate
from registry_core.model.icann_reports import ACTIVITY_FIELDS, TRANSACTION_FIELDS, Month
from registry_core.services import domain_update, domains, icann_reports, transfers
from tests.conftest import TestClock, actor, fetch
from tests.core.helpers import make_domain, make_host

GOLDEN = Path(__file__).parent / "golden"
MARCH = Month(2026, 3)
T = datetime(2026, 3, 2, 10, tzinfo=UTC)


async def a_month_of_work(core, clock: TestClock) -> None:
    await fetch(core, "UPDATE registrar SET iana_id = CASE id WHEN 'alpha' THEN 9001 ELSE 9002 END")
    clock.frozen = T - timedelta(days=40)  # February: counts for no March figure but the totals at the end
    await make_domain(core, "old.example", registrar="beta")
    await make_domain(core, "gone.example")
    clock.frozen = T
    one = await make_domain(core, "one.example")
    await make_domain(core, "two.example", years=2)
    await make_domain(core, "quick.example", years=3)
    await make_domain(core, "beta1.example", registrar="beta")
    await make_domain(core, "other.thin", registrar="beta")  # another TLD
    await make_host(core, "ns1.one.example", addresses=("192.0.2.1",))
    await make_host(core, "ns1.elsewhere.net")  # not a name server of the TLD
    clock.frozen = T + timedelta(days=1)
    await domains.delete_domain(core, actor(), "quick.example")  # in add grace: takes the 3-year create back
    await domains.renew_domain(core, actor(), "one.example", one.expires_at.date(), 2)
    await domain_update.update_domain(core, actor(), DomainUpdate("one.example", add_nameservers=("ns1.one.example",)))
    await domains.delete_domain(core, actor(), "gone.example")  # out of grace: into redemption
    clock.frozen = T + timedelta(days=2)
    await transfers.request_transfer(core, actor(), "domain", "old.example", "Domain-Auth1")
    await transfers.act_on_transfer(core, actor("beta"), "domain", "old.example", "approve")
    await transfers.request_transfer(core, actor("beta"), "domain", "two.example", "Domain-Auth1")
    await transfers.act_on_transfer(core, actor(), "domain", "two.example", "reject")
    clock.frozen = None
    counts = {("example", "alpha", "srs-dom-create"): 4, ("example", "beta", "srs-dom-create"): 1,
              ("example", "alpha", "srs-dom-check"): 10, (None, "alpha", "srs-host-create"): 2,
              (None, "beta", "srs-cont-info"): 3, ("example", None, "whois-43-queries"): 7,
              (None, None, "whois-43-queries"): 2, ("example", None, "rdap-queries"): 11,
              ("thin", None, "rdap-queries"): 5, ("thin", "beta", "srs-dom-create"): 1}
    await icann_reports.flush_activity(core, counts, at=T + timedelta(days=3))
    await icann_reports.flush_activity(core, {("example", None, "rdap-queries"): 100}, at=MARCH.end)  # April


def golden(name: str, body: bytes) -> None:
    path = GOLDEN / name
    assert body == path.read_bytes(), f"{name} differs from its golden file:\n{body.decode()}"


async def test_the_march_reports_are_the_golden_files_and_a_rerun_gives_the_same_bytes(core, clock) -> None:
    await a_month_of_work(core, clock)
    transactions, activity = await icann_reports.monthly_reports(core, "example", MARCH)
    golden("example-transactions-202603-en.csv", transactions)
    golden("example-activity-202603-en.csv", activity)
    assert await icann_reports.monthly_reports(core, "example", MARCH) == (transactions, activity)
    header = transactions.split(b"\r\n")[0].decode().split(",")
    assert tuple(header) == TRANSACTION_FIELDS and len(header) == 39
    assert tuple(activity.split(b"\r\n")[0].decode().split(",")) == ACTIVITY_FIELDS


async def test_a_quiet_month_lists_every_registrar_with_zeros_and_the_totals(core) -> None:
    transactions, activity = await icann_reports.monthly_reports(core, "example", MARCH)
    lines = transactions.decode().split("\r\n")
    zeros = ",".join(["0"] * 37)
    assert lines[1:] == [f"Alpha Registrar,,{zeros}", f"Beta Registrar,,{zeros}", f"Totals,,{zeros}", ""]
    values = activity.decode().split("\r\n")[1].split(",")
    assert values[:2] == ["2", "CZDS"] and set(values[2:]) == {"0"}
