"""`registry dns ...` through the entry point against the real test database: apex
settings, status, pause and resume, a full publication request, and the CZDS export."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from protocols.cli import main as cli
from registry_core.model.domain import DomainUpdate, DsData
from registry_core.services import domain_update
from tests.conftest import TEST_KEY, actor
from tests.core.helpers import make_domain, make_host

Run = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def registry(core, test_dsn: str, tmp_path: Path, restore_root: None) -> Run:
    config = tmp_path / "registry.toml"
    config.write_text(f'[database]\nurl = "{test_dsn}"\n[registry]\nauth_info_key = "{TEST_KEY}"\n'
                      f'[paths]\nvar = "{tmp_path}"\n')

    def run_here(args: tuple[str, ...]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["--config", str(config), *args])
        return code, out.getvalue(), err.getvalue()

    async def run(*args: str) -> tuple[int, str, str]:
        return await asyncio.to_thread(run_here, args)
    return run


async def test_set_status_pause_resume_publish(registry: Run):
    code, out, err = await registry("dns", "set", "example", "nameservers=b.nic.example,a.nic.example",
                                    "soa_refresh=600", "max_delete_share=0.2")
    assert code == 0, err
    assert "nameservers        a.nic.example,b.nic.example" in out and "soa_refresh        600" in out
    assert (await registry("dns", "set", "example", "soa_refresh=soon"))[0] == 1
    assert "soa_refresh        600" in (await registry("dns", "set", "example"))[1]
    code, out, _ = await registry("dns", "status", "example")
    assert code == 0 and "pending              2" in out  # the apex and nic.example
    assert (await registry("dns", "pause", "example"))[0] == 0
    assert "paused               True" in (await registry("dns", "status", "example"))[1]
    assert (await registry("dns", "resume", "example", "--accept-deletes"))[0] == 0
    assert "paused               False" in (await registry("dns", "status", "example"))[1]
    assert (await registry("dns", "publish", "example"))[0] == 0
    assert "full_needed          True" in (await registry("dns", "status", "example"))[1]
    assert (await registry("dns", "status", "nosuch"))[0] == 1


async def test_czds_export(registry: Run, core, tmp_path: Path):
    await make_host(core, "ns.hoster.net")
    await make_domain(core, "zeta.example", ns=("ns.hoster.net",))
    await make_domain(core, "alpha.example")
    await make_host(core, "ns1.alpha.example", addresses=("192.0.2.1",))
    await domain_update.update_domain(core, actor(), DomainUpdate(
        "alpha.example", add_nameservers=("ns1.alpha.example",), add_ds=(DsData(1, 13, 2, "AB" * 32),)))
    await make_domain(core, "held.example", ns=("ns.hoster.net",))
    await domain_update.update_domain(core, actor(), DomainUpdate("held.example",
                                                                  add_statuses=frozenset({"clientHold"})))
    await registry("dns", "set", "example", "nic_addresses=192.0.2.80", "ttl=900")
    target = tmp_path / "example.zone"
    code, _, err = await registry("dns", "export", "example", "--czds", str(target))
    assert code == 0, err
    lines = target.read_text().splitlines()
    soa = "example.\t3600\tin\tsoa\tns1.example.net. hostmaster.example. 0 1800 900 1209600 3600"
    assert lines == [soa, "example.\t900\tin\tns\tns1.example.net.", "example.\t900\tin\tns\tns2.example.net.",
                     "alpha.example.\t900\tin\tds\t1 13 2 " + "ab" * 32,
                     "alpha.example.\t900\tin\tns\tns1.alpha.example.",
                     "nic.example.\t900\tin\ta\t192.0.2.80",
                     "ns1.alpha.example.\t900\tin\ta\t192.0.2.1",
                     "zeta.example.\t900\tin\tns\tns.hoster.net.", soa]
    code, out, _ = await registry("dns", "export", "example", "--czds", "-")
    assert code == 0 and out.splitlines() == lines


async def test_operator_records_are_checked_published_and_exported(registry: Run, core, tmp_path: Path):
    code, out, err = await registry("dns", "set", "example",
                                    'records=@ TXT "v=spf1 -all"; www A 192.0.2.7; @ MX 10 mail.example.')
    assert code == 0, err
    assert 'example. MX 10 mail.example.; example. TXT "v=spf1 -all"; www.example. A 192.0.2.7' in out
    code, _, err = await registry("dns", "set", "example", "records=www A not-an-address")
    assert code == 1 and "records" in err
    assert (await registry("dns", "set", "example", "records=www CNAME example.net."))[0] == 1  # not allowed
    target = tmp_path / "zone"
    assert (await registry("dns", "export", "example", "--czds", str(target)))[0] == 0
    lines = target.read_text().splitlines()
    assert lines[1:-1] == ["example.\t3600\tin\tmx\t10 mail.example.", "example.\t3600\tin\tns\tns1.example.net.",
                           "example.\t3600\tin\tns\tns2.example.net.", 'example.\t3600\tin\ttxt\t"v=spf1 -all"',
                           "www.example.\t3600\tin\ta\t192.0.2.7"]
