"""Golden request/response pairs over real TLS for every command and the error codes it
can produce. Files: tests/epp/data/<object>_<verb>[_variant][_response].xml.

Each case is (request stem, setup, registrar): the setup builds the registry through the
core services on the frozen clock, the registrar logs in and sends the request. Session
cases are sent on a fresh connection before any login. Expected files that the server does
not yet produce (a server bug, reported) are marked xfail in KNOWN_BUGS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from protocols.epp.codec import FEE_NS, RGP_NS, SECDNS_NS
from registry_core.context import Core
from registry_core.model.domain import DomainCreate, DomainUpdate, DsData
from registry_core.services import domain_update, domains, price_lists, registrars, restore, transfers
from tests.conftest import actor
from tests.core.helpers import make_contact, make_domain, make_host
from tests.epp.golden import DATA, GOLDEN_NOW, assert_golden, canonical, request_bytes

Setup = Callable[[Core], Awaitable[None]]
LOCKS = frozenset({"clientDeleteProhibited", "clientTransferProhibited", "clientRenewProhibited",
                   "clientUpdateProhibited"})
DS = DsData(12345, 3, 1, "49FD46E6C4B45C55D4AC")
DAY = timedelta(days=1)
# premium1.example: its own create and renew prices; transfer and restore at the standard price
PREMIUM_CSV = "name,create,renew\npremium1,100.00,40.00\n"


async def nothing(core: Core) -> None:
    return None


async def contact(core: Core) -> None:
    await make_contact(core, "sh8013", auth="2fooBAR")


async def hosts(core: Core) -> None:
    await make_host(core, "ns1.example.net")
    await make_host(core, "ns2.example.net")


async def contact_and_hosts(core: Core) -> None:
    await contact(core)
    await hosts(core)


async def contact_and_hosts_no_funds(core: Core) -> None:
    """alpha keeps 5.00 of balance plus credit (1000 - 1095 + 100): a 10.00 create fails."""
    await contact_and_hosts(core)
    await registrars.credit_registrar(core, "alpha", Decimal("-1095"), "drain for the golden test", "drain-1")


async def domain(core: Core) -> None:
    """example1.example by alpha: registrant/admin/tech sh8013, ns1.example.net, authInfo 2fooBAR."""
    await contact(core)
    await hosts(core)
    await make_domain(core, "example1.example", auth="2fooBAR", ns=("ns1.example.net",), registrant="sh8013",
                      contacts_=(("admin", "sh8013"), ("tech", "sh8013")))


async def domain_with_ds(core: Core) -> None:
    await contact_and_hosts(core)
    await domains.create_domain(core, actor(), DomainCreate(
        "example1.example", 1, "sh8013", (("admin", "sh8013"), ("tech", "sh8013")), ("ns1.example.net",),
        "2fooBAR", (DS,)))


async def domain_with_subordinate(core: Core) -> None:
    """`domain`, plus ns1.example1.example (192.0.2.2, 2001:db8::2) delegated to by it."""
    await domain(core)
    await make_host(core, "ns1.example1.example", addresses=("192.0.2.2", "2001:db8::2"))
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "example1.example", add_nameservers=("ns1.example1.example",)))


async def domain_locked(core: Core) -> None:
    await domain(core)
    await domain_update.update_domain(core, actor(), DomainUpdate("example1.example", add_statuses=LOCKS))


async def domain_of_beta(core: Core) -> None:
    await make_contact(core, "sh8013", "beta", auth="2fooBAR")
    await make_domain(core, "example1.example", "beta", auth="2fooBAR", registrant="sh8013")


async def domain_of_beta_locked(core: Core) -> None:
    await domain_of_beta(core)
    await domain_update.update_domain(core, actor("beta"), DomainUpdate("example1.example", add_statuses=LOCKS))


async def pending_transfer_to_beta(core: Core) -> None:
    await domain(core)
    await transfers.request_transfer(core, actor("beta"), "domain", "example1.example", "2fooBAR")


async def pending_transfer_to_alpha(core: Core) -> None:
    await domain_of_beta(core)
    await transfers.request_transfer(core, actor("alpha"), "domain", "example1.example", "2fooBAR")


def freeze(core: Core, at: datetime) -> None:
    """Move the injected test clock (the `clock` fixture) for one step of a setup."""
    core.db.clock.frozen = at  # type: ignore[attr-defined]


async def prices(core: Core) -> None:
    """premium1.example is premium (PREMIUM_CSV); reserved1.example is reserved."""
    await price_lists.import_premium_csv(core, "example", PREMIUM_CSV)
    await price_lists.reserve_names(core, "example", ["reserved1"], "Reserved for the registry")


async def contact_and_prices(core: Core) -> None:
    await contact(core)
    await prices(core)


async def domain_and_prices(core: Core) -> None:
    await domain(core)
    await prices(core)


async def domain_ten_days_old(core: Core) -> None:
    """`domain`, created ten days before GOLDEN_NOW: its add grace period (5 days) is over."""
    freeze(core, GOLDEN_NOW - 10 * DAY)
    await domain(core)
    freeze(core, GOLDEN_NOW)


async def domain_in_redemption(core: Core) -> None:
    """`domain_ten_days_old`, deleted three days before GOLDEN_NOW: in redemptionPeriod."""
    await domain_ten_days_old(core)
    freeze(core, GOLDEN_NOW - 3 * DAY)
    await domains.delete_domain(core, actor(), "example1.example")
    freeze(core, GOLDEN_NOW)


async def domain_pending_restore(core: Core) -> None:
    """`domain_in_redemption`, its restore requested a day before GOLDEN_NOW: pendingRestore."""
    await domain_in_redemption(core)
    freeze(core, GOLDEN_NOW - DAY)
    await restore.restore_request(core, actor(), "example1.example")
    freeze(core, GOLDEN_NOW)


async def contact_pending_transfer_to_beta(core: Core) -> None:
    await contact(core)
    await transfers.request_transfer(core, actor("beta"), "contact", "sh8013", "2fooBAR")


# Server bugs the golden files document: the expected file holds the RFC answer, the server
# does not give it yet (strict xfail, so a fix turns the case red until its entry goes).
KNOWN_BUGS: dict[str, str] = {}

# Sent on a fresh connection, before login.
SESSION_CASES: list[tuple[str, Setup]] = [
    ("hello", nothing),
    ("login", nothing),
    ("login_new_password", nothing),
    ("login_wrong_password", nothing),
    ("login_wrong_password_limit", nothing),  # the third failure on one connection: 2501, then close
    ("login_unknown_objuri", nothing),
    ("login_unknown_exturi", nothing),
    ("login_version_1_1", nothing),  # the schema's versionType enumerates only 1.0: 2001, never 2100
    ("domain_check_before_login", nothing),
    ("poll_req_before_login", nothing),
]

# Requests sent first on the same connection (answers not compared) for session cases.
PRIOR: dict[str, tuple[str, ...]] = {
    "login_wrong_password_limit": ("login_wrong_password", "login_wrong_password"),
}

# Cases whose login announces no extension (RFC 5730 2.9.1.1 <svcExtension>).
LOGIN_OPTIONS: dict[str, dict[str, object]] = {
    "domain_create_secdns_unannounced": {"ext_uris": []},
    "domain_info_secdns_unannounced": {"ext_uris": []},
    "domain_renew_fee_unannounced": {"ext_uris": [SECDNS_NS, RGP_NS]},  # no fee:renData
    "domain_info_rgp_unannounced": {"ext_uris": [SECDNS_NS, FEE_NS]},  # no rgp:infData
}

# (request stem, setup, registrar who sends it), after that registrar's login.
CASES: list[tuple[str, Setup, str]] = [
    # session
    ("login_again", nothing, "alpha"),
    ("logout", nothing, "alpha"),
    ("unknown_frobnicate", nothing, "alpha"),
    ("poll_req", nothing, "alpha"),
    ("poll_req_transfer", pending_transfer_to_beta, "alpha"),
    ("poll_ack", pending_transfer_to_beta, "alpha"),
    ("poll_ack_unknown", pending_transfer_to_beta, "alpha"),
    # domain: query commands
    ("domain_check", domain, "alpha"),
    ("domain_info", domain, "alpha"),
    ("domain_info_hosts_all", domain_with_subordinate, "alpha"),
    ("domain_info_hosts_del", domain_with_subordinate, "alpha"),
    ("domain_info_hosts_sub", domain_with_subordinate, "alpha"),
    ("domain_info_hosts_none", domain_with_subordinate, "alpha"),
    ("domain_info_non_sponsor", domain, "beta"),
    ("domain_info_with_auth", domain, "beta"),
    ("domain_info_wrong_auth", domain, "beta"),
    ("domain_info_unknown", domain, "alpha"),
    ("domain_info_secdns", domain_with_ds, "alpha"),
    ("domain_info_secdns_unannounced", domain_with_ds, "alpha"),  # no secDNS:infData for a client without it
    ("domain_transfer_query", pending_transfer_to_alpha, "alpha"),
    ("domain_info_redemption", domain_in_redemption, "alpha"),  # pendingDelete + rgp redemptionPeriod
    ("domain_info_rgp_unannounced", domain_in_redemption, "alpha"),
    # domain: check with fees (RFC 8748 5.1.1), premium and reserved names
    ("domain_check_fee", domain_and_prices, "alpha"),
    ("domain_check_fee_currency", nothing, "alpha"),
    ("domain_check_fee_period", nothing, "alpha"),
    ("domain_check_premium", prices, "alpha"),  # without fee:check a premium name is avail="0"
    # domain: create
    ("domain_create", contact_and_hosts, "alpha"),
    ("domain_create_secdns", contact_and_hosts, "alpha"),
    ("domain_create_secdns_unannounced", contact_and_hosts, "alpha"),
    ("domain_create_exists", domain, "alpha"),
    ("domain_create_unknown_contact", contact_and_hosts, "alpha"),
    ("domain_create_unknown_host", contact_and_hosts, "alpha"),
    ("domain_create_period_11", contact_and_hosts, "alpha"),
    ("domain_create_maxsiglife", contact_and_hosts, "alpha"),
    ("domain_create_keydata", contact_and_hosts, "alpha"),
    ("domain_create_no_funds", contact_and_hosts_no_funds, "alpha"),
    ("domain_create_strict_contacts", contact_and_hosts, "alpha"),
    ("domain_create_not_served", contact_and_hosts, "alpha"),
    ("domain_create_invalid_name", contact_and_hosts, "alpha"),
    ("domain_create_fee", contact, "alpha"),
    ("domain_create_fee_too_low", contact, "alpha"),  # 2004
    ("domain_create_fee_currency", contact, "alpha"),  # 2004
    ("domain_create_fee_misplaced", contact, "alpha"),  # <fee:renew> on a create: 2103
    ("domain_create_premium", contact_and_prices, "alpha"),
    ("domain_create_premium_no_fee", contact_and_prices, "alpha"),  # 2003 (RFC 8748 section 4)
    ("domain_create_reserved", contact_and_prices, "alpha"),  # 2306
    # collected problems: one <result> per code (2004, 2306, 2303 with two extValues)
    ("domain_create_many_problems", contact_and_hosts, "alpha"),
    # domain: update
    ("domain_update", domain, "alpha"),
    ("domain_update_non_sponsor", domain, "beta"),
    ("domain_update_prohibited", domain_locked, "alpha"),
    ("domain_update_many_problems", domain, "alpha"),  # one 2306 result, four extValues
    ("domain_update_unlock", domain_locked, "alpha"),
    ("domain_update_server_status", domain, "alpha"),
    ("domain_update_secdns_add", domain_with_ds, "alpha"),
    ("domain_update_secdns_rem", domain_with_ds, "alpha"),
    ("domain_update_secdns_rem_all", domain_with_ds, "alpha"),
    # domain: RGP restore (RFC 3915 4.2.5)
    ("domain_update_restore_request", domain_in_redemption, "alpha"),
    ("domain_update_restore_request_fee", domain_in_redemption, "alpha"),
    ("domain_update_restore_request_fee_too_low", domain_in_redemption, "alpha"),
    ("domain_update_restore_request_not_deleted", domain, "alpha"),  # 2304
    ("domain_update_restore_request_with_changes", domain_in_redemption, "alpha"),  # 2306
    ("domain_update_restore_report", domain_pending_restore, "alpha"),
    ("domain_update_restore_report_not_requested", domain_in_redemption, "alpha"),  # 2304
    ("domain_update_restore_report_missing", domain_pending_restore, "alpha"),  # 2003
    # domain: delete
    ("domain_delete", domain, "alpha"),
    ("domain_delete_subordinate", domain_with_subordinate, "alpha"),
    ("domain_delete_prohibited", domain_locked, "alpha"),
    ("domain_delete_non_sponsor", domain, "beta"),
    ("domain_delete_redemption", domain_ten_days_old, "alpha"),  # outside add grace: 1001
    # domain: renew
    ("domain_renew", domain, "alpha"),
    ("domain_renew_stale", domain, "alpha"),
    ("domain_renew_prohibited", domain_locked, "alpha"),
    ("domain_renew_too_long", domain, "alpha"),
    ("domain_renew_fee", domain, "alpha"),
    ("domain_renew_fee_unannounced", domain, "alpha"),
    # domain: transfer
    ("domain_transfer_request", domain_of_beta, "alpha"),
    ("domain_transfer_approve", pending_transfer_to_beta, "alpha"),
    ("domain_transfer_reject", pending_transfer_to_beta, "alpha"),
    ("domain_transfer_cancel", pending_transfer_to_alpha, "alpha"),
    ("domain_transfer_approve_not_pending", domain, "alpha"),
    ("domain_transfer_request_pending", pending_transfer_to_alpha, "alpha"),
    ("domain_transfer_request_own", domain, "alpha"),
    ("domain_transfer_request_wrong_auth", domain_of_beta, "alpha"),
    ("domain_transfer_request_prohibited", domain_of_beta_locked, "alpha"),
    ("domain_transfer_request_fee", domain_of_beta, "alpha"),
    # contact
    ("contact_check", contact, "alpha"),
    ("contact_info", domain, "alpha"),
    ("contact_info_non_sponsor", contact, "beta"),
    ("contact_info_with_auth", contact, "beta"),
    ("contact_info_wrong_auth", contact, "beta"),
    ("contact_create", nothing, "alpha"),
    ("contact_create_exists", contact, "alpha"),
    ("contact_create_invalid_email", nothing, "alpha"),
    ("contact_create_many_problems", nothing, "alpha"),  # 2005 with two extValues, then 2306
    ("contact_update", contact, "alpha"),
    ("contact_delete", contact, "alpha"),
    ("contact_delete_linked", domain, "alpha"),
    ("contact_transfer_request", contact, "beta"),
    ("contact_transfer_query", contact_pending_transfer_to_beta, "beta"),
    ("contact_transfer_approve", contact_pending_transfer_to_beta, "alpha"),
    # host
    ("host_check", domain, "alpha"),
    ("host_info", domain, "alpha"),
    ("host_info_subordinate", domain_with_subordinate, "alpha"),
    ("host_create", nothing, "alpha"),
    ("host_create_subordinate", domain, "alpha"),
    ("host_create_no_glue", domain, "alpha"),
    ("host_create_many_problems", nothing, "alpha"),  # 2005, 2306, 2303
    ("host_create_external_glue", nothing, "alpha"),
    ("host_create_no_superordinate", nothing, "alpha"),
    ("host_create_foreign_superordinate", domain_of_beta, "alpha"),
    ("host_update", domain_with_subordinate, "alpha"),
    ("host_update_rename", domain_with_subordinate, "alpha"),
    ("host_delete", domain, "alpha"),
    ("host_delete_linked", domain, "alpha"),
]


def _params(cases: list[tuple]) -> list:
    def marks(stem: str) -> list:
        reason = KNOWN_BUGS.get(stem)
        return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return [pytest.param(*case, id=case[0], marks=marks(case[0])) for case in cases]


@pytest.mark.parametrize(("stem", "setup", "registrar"), _params(CASES))
async def test_golden_exchange(stem, setup, registrar, registry, clients, clock):
    clock.frozen = GOLDEN_NOW
    await setup(registry)
    client = await clients.login(registrar, **LOGIN_OPTIONS.get(stem, {}))
    response = await client.send_raw(request_bytes(stem))
    assert_golden(stem, response)


@pytest.mark.parametrize(("stem", "setup"), _params(SESSION_CASES))
async def test_golden_session(stem, setup, registry, clients, clock):
    clock.frozen = GOLDEN_NOW
    await setup(registry)
    client = await clients.connect("alpha")
    for prior in PRIOR.get(stem, ()):
        await client.send_raw(request_bytes(prior))
    response = await client.send_raw(request_bytes(stem))
    assert_golden(stem, response)


async def test_greeting_on_connect_is_the_hello_answer(registry, clients):
    """RFC 5730 2.4: the greeting sent on connect and the answer to <hello> are one document."""
    client = await clients.connect("alpha")
    assert client.greeting is not None
    on_connect = client.greeting.raw
    assert canonical(on_connect) == canonical(await client.send_raw(request_bytes("hello")))


def test_every_request_file_has_a_case():
    """No orphan request files: every <stem>.xml in data/ is exercised by a case above."""
    stems = {case[0] for case in CASES} | {case[0] for case in SESSION_CASES}
    files = {p.stem for p in DATA.glob("*.xml") if not p.stem.endswith("_response")}
    assert files == stems
