"""Golden request/response pairs over real TLS for every command and the error codes it
can produce. Files: tests/epp/data/<object>_<verb>[_variant][_response].xml."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from registry_core.context import Core
from registry_core.model.domain import DomainUpdate
from registry_core.services import domain_update, transfers
from tests.conftest import actor
from tests.core.helpers import make_contact, make_domain, make_host
from tests.epp.golden import GOLDEN_NOW, assert_golden, request_bytes

Setup = Callable[[Core], Awaitable[None]]


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


async def domain(core: Core) -> None:
    """example1.example by alpha: registrant/admin/tech sh8013, ns1.example.net, authInfo 2fooBAR."""
    await contact(core)
    await hosts(core)
    await make_domain(core, "example1.example", auth="2fooBAR", ns=("ns1.example.net",), registrant="sh8013",
                      contacts_=(("admin", "sh8013"), ("tech", "sh8013")))


async def domain_with_subordinate(core: Core) -> None:
    await domain(core)
    await make_host(core, "ns1.example1.example", addresses=("192.0.2.2", "2001:db8::2"))


async def domain_locked(core: Core) -> None:
    await domain(core)
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "example1.example", add_statuses=frozenset({"clientDeleteProhibited", "clientTransferProhibited",
                                                    "clientRenewProhibited", "clientUpdateProhibited"})))


async def domain_of_beta(core: Core) -> None:
    await make_contact(core, "sh8013", "beta", auth="2fooBAR")
    await make_domain(core, "example1.example", "beta", auth="2fooBAR", registrant="sh8013")


async def pending_transfer_to_beta(core: Core) -> None:
    await domain(core)
    await transfers.request_transfer(core, actor("beta"), "domain", "example1.example", "2fooBAR")


async def pending_transfer_to_alpha(core: Core) -> None:
    await domain_of_beta(core)
    await transfers.request_transfer(core, actor("alpha"), "domain", "example1.example", "2fooBAR")


# (request stem, setup, registrar who sends it)
CASES: list[tuple[str, Setup, str]] = [
    ("domain_check", domain, "alpha"),
    ("domain_info", domain, "alpha"),
    ("domain_create", contact_and_hosts, "alpha"),
    ("domain_create_exists", domain, "alpha"),
    ("domain_delete", domain, "alpha"),
    ("domain_renew", domain, "alpha"),
    ("domain_update", domain, "alpha"),
    ("domain_transfer_request", domain_of_beta, "alpha"),
]


@pytest.mark.parametrize(("stem", "setup", "registrar"), CASES, ids=[c[0] for c in CASES])
async def test_golden_exchange(stem, setup, registrar, registry, clients, clock):
    clock.frozen = GOLDEN_NOW
    await setup(registry)
    client = await clients.login(registrar)
    response = await client.send_raw(request_bytes(stem))
    assert_golden(stem, response)
