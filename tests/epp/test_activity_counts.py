"""The servers count what they answer for ICANN's activity report: EPP commands by field,
TLD and registrar over a real TLS session, WHOIS and RDAP queries by TLD, all kept in
memory and written by one flush (protocols/serve/activity.py) as a few rows."""

from __future__ import annotations

from protocols.net.activity import COUNTS
from protocols.serve.activity import flush_once
from registry_core.context import Core
from tests.conftest import fetch
from tests.epp.conftest import Clients
from tests.rdap.conftest import running_rdap
from tests.whois.conftest import running_whois


async def written(core: Core) -> dict[tuple[str | None, str | None, str], int]:
    rows = await fetch(core, "SELECT tld, registrar_id, field, sum(n)::int AS n FROM activity_count "
                             "GROUP BY 1, 2, 3")
    return {(r["tld"], r["registrar_id"], r["field"]): r["n"] for r in rows}


async def test_epp_whois_and_rdap_answers_are_counted_and_flushed_in_one_batch(registry: Core,
                                                                                 clients: Clients) -> None:
    COUNTS.take()  # what other tests of this process counted
    epp = await clients.login("alpha")
    for _ in range(2):
        assert (await epp.domain_check("free.example")).code == 1000
    assert (await epp.domain_create("counted.example", auth_info="Count-Auth1")).code == 1000
    assert (await epp.domain_create("counted.example", auth_info="Count-Auth1")).code == 2302  # refused: counted
    assert (await epp.domain_restore("counted.example")).code != 1000  # a restore request, not an update
    assert (await epp.domain_transfer("query", "counted.example")).code == 2301  # none pending: still answered
    assert (await epp.host_check("ns1.elsewhere.net")).code == 1000
    assert (await epp.contact_check("nobody-1")).code == 1000
    await epp.logout()
    async with running_whois(registry) as whois, running_rdap(registry) as rdap:
        await whois.text("counted.example")
        await whois.text("no-such.example")
        assert (await rdap.get("domain/counted.example")).status == 200
        assert (await rdap.get("entity/alpha")).status in (200, 404)
    await flush_once(registry)
    assert await written(registry) == {
        ("example", "alpha", "srs-dom-check"): 2, ("example", "alpha", "srs-dom-create"): 2,
        ("example", "alpha", "srs-dom-rgp-restore-request"): 1, ("example", "alpha", "srs-dom-transfer-query"): 1,
        (None, "alpha", "srs-host-check"): 1, (None, "alpha", "srs-cont-check"): 1,
        ("example", None, "whois-43-queries"): 2, ("example", None, "rdap-queries"): 1, (None, None, "rdap-queries"): 1}
    await flush_once(registry)  # nothing new: no rows
    assert len(await fetch(registry, "SELECT 1 FROM activity_count")) == 9
