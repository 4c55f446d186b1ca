"""`registry load-test-data`: COPY-loaded domains are indistinguishable, to the core's read
and write paths, from domains created through EPP (ids, ROIDs, authInfo, links, indexes)."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocols.cli import main as cli
from registry_core.context import Core
from registry_core.errors import InvalidValue
from registry_core.model.domain import DomainCreate
from registry_core.model.search import parse_name_pattern
from registry_core.services import domains, lookup
from registry_core.services.bulk import LoadSpec, load_test_data
from tests.conftest import TEST_KEY, actor, fetch

SMALL = LoadSpec(domains=1_500, tld="example", registrars=3, contacts=40, providers=8, ds_share=0.2,
                     history=True, batch=400, jobs=2, seed=7)


async def test_loaded_domains_have_ids_roids_links_and_readable_auth_info(core: Core) -> None:
    report = await load_test_data(core, SMALL)
    assert (report.domains, report.registrars, report.contacts, report.hosts, report.history_rows) == (
        1_500, 3, 40, 16, 1_500)
    assert 150 <= report.ds_records <= 450 and report.seconds > 0
    rows = await fetch(core, "SELECT * FROM domain WHERE tld = 'example' ORDER BY id")
    assert len(rows) == 1_500 and len({r["name"] for r in rows}) == 1_500
    for r in rows:
        assert r["roid"] == f"D{r['id']:X}-EXAMPLE"
        assert r["name"].endswith(f"{r['id']}.example") and r["name"].split(".")[0].rstrip("0123456789").isalpha()
        assert r["sponsor_id"].startswith("lt-r") and r["registrant_id"] is not None
        assert r["created_at"] < datetime.now(UTC) < r["expires_at"]
    assert core.cipher.decrypt(rows[0]["auth_info"], f"domain:{rows[0]['roid']}")
    assert len({r["auth_info"] for r in rows}) == 1_500
    contact = (await fetch(core, "SELECT roid, auth_info FROM contact WHERE handle = 'lt-c1'"))[0]
    assert core.cipher.decrypt(contact["auth_info"], f"contact:{contact['roid']}")
    links = await fetch(core, """SELECT d.id, count(DISTINCT dh.host_id) AS ns, count(DISTINCT dc.role) AS roles
                                 FROM domain d LEFT JOIN domain_host dh ON dh.domain_id = d.id
                                 LEFT JOIN domain_contact dc ON dc.domain_id = d.id GROUP BY d.id""")
    assert {r["ns"] for r in links} <= {0, 2} and sum(r["ns"] == 2 for r in links) > 1_300
    assert {r["roles"] for r in links} == {2}
    assert sum(bool(r["statuses"]) for r in rows) > 200


async def test_the_core_reads_and_writes_beside_loaded_domains(core: Core) -> None:
    await load_test_data(core, SMALL)
    name = (await fetch(core, """SELECT d.name FROM domain d JOIN ds_record k ON k.domain_id = d.id
                                 JOIN domain_host h ON h.domain_id = d.id LIMIT 1"""))[0]["name"]
    record = await lookup.lookup_domain(core, name)
    assert len(record.nameservers) == 2 and record.domain.ds and record.domain.registrant
    prefix = name[:2]
    page = await lookup.search_domains_by_name(core, parse_name_pattern(prefix + "*"), "", 100)
    assert page.items and all(d.name.startswith(prefix) for d in page.items)
    created = await domains.create_domain(core, actor(), DomainCreate("after-load.example", auth_info="Auth-Info1"))
    new = (await fetch(core, "SELECT id, roid FROM domain WHERE name = $1", created.name))[0]
    loaded_max = (await fetch(core, "SELECT max(id) AS m FROM domain WHERE name <> $1", created.name))[0]["m"]
    assert new["id"] > loaded_max and new["roid"] == f"D{new['id']:X}-EXAMPLE"


async def test_a_second_run_adds_domains_and_reuses_registrars_contacts_and_hosts(core: Core) -> None:
    spec = LoadSpec(domains=300, tld="example", registrars=2, contacts=10, providers=3, batch=100, seed=1)
    await load_test_data(core, spec)
    again = await load_test_data(core, spec)
    assert (again.domains, again.contacts, again.hosts) == (300, 0, 0)
    counts = (await fetch(core, """SELECT (SELECT count(*) FROM domain) AS d, (SELECT count(*) FROM contact) AS c,
                                          (SELECT count(*) FROM host) AS h"""))[0]
    assert (counts["d"], counts["c"], counts["h"]) == (600, 10, 6)


async def test_a_thin_tld_gets_no_contacts_and_a_missing_tld_is_created(core: Core) -> None:
    await load_test_data(core, LoadSpec(domains=200, tld="thin", registrars=1, contacts=5, providers=2, seed=2))
    assert (await fetch(core, "SELECT count(*) AS n FROM domain_contact"))[0]["n"] == 0
    assert (await fetch(core, "SELECT count(*) AS n FROM domain WHERE registrant_id IS NOT NULL"))[0]["n"] == 0
    report = await load_test_data(core, LoadSpec(domains=50, tld="loadtest", registrars=1, contacts=5,
                                                     providers=2))
    assert report.tld == "loadtest"
    roids = await fetch(core, "SELECT roid FROM domain WHERE tld = 'loadtest' LIMIT 1")
    assert roids[0]["roid"].endswith("-LOADTEST")


@pytest.mark.parametrize("changes", [{"domains": -1}, {"jobs": 0}, {"jobs": 27}, {"ds_share": 1.5}, {"batch": 0}])
async def test_bad_sizes_are_refused(core: Core, changes: dict[str, float]) -> None:
    values = {**vars(SMALL), **changes}
    with pytest.raises(InvalidValue):
        await load_test_data(core, LoadSpec(**values))  # type: ignore[arg-type]


def test_the_cli_command_prints_counts_and_times(core: Core, test_dsn: str, tmp_path: Path,
                                                 restore_root: None) -> None:
    config = tmp_path / "registry.toml"
    config.write_text(f'[database]\nurl = "{test_dsn}"\n[registry]\nauth_info_key = "{TEST_KEY}"\n'
                      f'roid_suffix = "TEST"\n[paths]\nvar = "{tmp_path}"\n')
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--config", str(config), "load-test-data", "--domains", "250", "--tld", "example",
                         "--registrars", "2", "--contacts", "20", "--providers", "4", "--batch", "100"])
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("loaded 250 domains into .example in ")
    assert "domains (COPY)" in out.getvalue() and "ANALYZE" in out.getvalue()
    assert "250 / 250 domains" in err.getvalue()  # progress goes to stderr
