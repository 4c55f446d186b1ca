"""`registry ...` operator commands: every sub-command once, through `main` (the entry
point), against the real test database, reading what each prints and what it changed."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocols.cli import main as cli
from protocols.cli.certs import init_dev_certs
from registry_core.context import Core
from registry_core.services import audit
from tests.conftest import TEST_KEY, fetch

Run = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def registry(core: Core, test_dsn: str, tmp_path: Path, restore_root: None) -> Run:
    """`registry --config <test config> ARGS...` in this process (in a thread: the CLI runs its
    own event loop): (exit status, stdout, stderr)."""
    config = tmp_path / "registry.toml"
    config.write_text(f'[database]\nurl = "{test_dsn}"\n[registry]\nauth_info_key = "{TEST_KEY}"\n'
                      f'roid_suffix = "TEST"\n[paths]\nvar = "{tmp_path}"\ncerts = "{tmp_path / "certs"}"\n')

    def run_here(args: tuple[str, ...], stdin: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _stdin(stdin):
            code = cli.main(["--config", str(config), *args])
        return code, out.getvalue(), err.getvalue()

    async def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return await asyncio.to_thread(run_here, args, stdin)

    return run


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


async def test_db_migrate(registry: Run) -> None:
    assert await registry("db", "migrate") == (0, "database schema is up to date\n", "")


async def test_tld_add_set_list_show(registry: Run, core: Core) -> None:
    code, out, err = await registry("tld", "add", "shop", "--contact-policy", "none", "--price", "create=12.50",
                              "--set", "max-period-years=5")
    assert code == 0, err
    assert "contact_policy               none" in out and "create=12.50" in out
    assert "max_period_years             5" in out
    code, out, _ = await registry("tld", "set", "shop", "--price", "renew=11")
    assert code == 0 and "renew=11" in out
    code, out, _ = await registry("tld", "list")
    assert code == 0 and "shop\tnone\t" in out and "example\t" in out
    code, out, _ = await registry("tld", "show", "shop")
    assert code == 0 and "create=12.50" in out and "renew=11" in out
    prices = await fetch(core, "SELECT action, amount FROM tld_price WHERE tld = 'shop' ORDER BY action")
    assert [(r["action"], str(r["amount"])) for r in prices] == [("create", "12.50"), ("renew", "11.00")]


async def test_tld_name_lists(registry: Run, core: Core, tmp_path: Path) -> None:
    csv_file = tmp_path / "premium.csv"
    csv_file.write_text("\ufeffname,create,renew,transfer,restore\ngold.example,100,50,,\n", "utf-8")
    assert (await registry("tld", "premium-import", "example", str(csv_file)))[:2] == (
        0, "imported 1 premium names into .example\n")
    code, out, _ = await registry("tld", "premium-import", "example", "-", "--replace",
                            stdin="name,create,renew,transfer,restore\nsilver.example,20,,,\n")
    assert code == 0 and "(old list replaced)" in out
    assert (await registry("tld", "premium-list", "example"))[1].splitlines() == [
        "name,create,renew,transfer,restore", "silver.example,20.00,,,"]
    code, out, _ = await registry("tld", "reserve", "example", "mine", "yours.example", "--reason", "Ours")
    assert code == 0 and out.splitlines() == ["reserved mine.example", "reserved yours.example"]
    listed = (await registry("tld", "reserved", "example"))[1]
    assert listed.splitlines() == ["mine.example\tOurs", "yours.example\tOurs"]
    assert (await registry("tld", "release", "example", "mine"))[1] == "released 1 names\n"
    assert (await registry("tld", "reserved", "example"))[1] == "yours.example\tOurs\n"
    code, out, _ = await registry("tld", "group-price", "example", "gold", "--price", "create=5")
    assert code == 0 and out == "price group gold on .example: create=5\n"


async def test_tld_bad_values_are_usage_errors(registry: Run) -> None:
    with pytest.raises(SystemExit) as exit_:  # argparse: a usage error
        await registry("tld", "set", "example", "--price", "create")
    assert exit_.value.code == 2


async def test_registrar_commands(registry: Run, core: Core, tmp_path: Path) -> None:
    code, out, err = await registry("registrar", "add", "gamma", "--name", "Gamma Ltd", "--iana-id", "4242",
                              "--credit-limit", "50", "--allow-ip", "192.0.2.0/24", stdin="Gamma-Pass1\n")
    assert code == 0, err
    assert "Gamma Ltd" in out and "192.0.2.0/24" in out
    assert "gamma\t4242\t" in (await registry("registrar", "list"))[1]
    assert "Gamma Ltd" in (await registry("registrar", "show", "gamma"))[1]
    assert (await registry("registrar", "set-password", "gamma", "--password", "Gamma-Pass2"))[:2] == (
        0, "password changed for gamma\n")
    fingerprint = init_dev_certs(tmp_path / "certs", ["gamma"]).fingerprints["gamma"]
    code, out, _ = await registry("registrar", "add-cert", "gamma", "--pem", str(tmp_path / "certs" / "gamma.pem"))
    assert code == 0 and out == f"pinned {fingerprint} to gamma\n"
    code, out, _ = await registry("registrar", "credit", "gamma", "25.50", "--description", "wire")
    assert code == 0 and out == "balance of gamma: 25.50\n"
    code, out, _ = await registry("registrar", "statement", "gamma", "--csv", "--from", "2000-01-01")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("id,at,action") and len(lines) == 2 and "wire" in lines[1]
    assert (await registry("registrar", "statement", "gamma", "--to", "2000-01-01T00:00:00Z"))[1] == ""
    assert (await registry("registrar", "price-group", "gamma", "gold"))[:2] == (0, "gamma: price group gold\n")
    assert (await registry("registrar", "price-group", "gamma", "--none"))[:2] == (0, "gamma: TLD prices\n")
    assert (await registry("registrar", "price-group", "gamma"))[0] == 2
    assert await fetch(core, "SELECT * FROM registrar_price_group WHERE registrar_id = 'gamma'") == []


async def test_core_errors_exit_1_with_one_line(registry: Run) -> None:
    code, out, err = await registry("registrar", "show", "nobody")
    assert (code, out) == (1, "") and err.startswith("registry: ObjectNotFound: ") and "nobody" in err


async def test_certs_demo_and_lifecycle(registry: Run, core: Core, tmp_path: Path) -> None:
    code, out, _ = await registry("certs", "init", "--dir", str(tmp_path / "dev"), "--registrar", "solo")
    assert code == 0 and out.startswith(f"development certificates in {tmp_path / 'dev'}")
    assert "solo" in out and (tmp_path / "dev" / "solo.key").exists()
    assert (await registry("demo"))[:2] == (0, "demo data: registrar demo, certificate pinned for demo, "
                                           "registrar rival, certificate pinned for rival, registrar shop, "
                                           "certificate pinned for shop, console user admin, "
                                           "console user demo-owner, console user rival-owner, "
                                           f"storefront settings {tmp_path / 'storefront.toml'}\n")
    shop = (tmp_path / "storefront.toml").read_text()
    assert 'clid = "shop"' in shop and (tmp_path / "storefront.toml").stat().st_mode & 0o077 == 0
    assert (await registry("demo"))[1] == "demo data: already present\n"
    assert (await fetch(core, "SELECT city, cc FROM registrar WHERE id = 'demo'"))[0] == {"city": "Springfield",
                                                                                         "cc": "US"}  # escrow needs it
    code, out, _ = await registry("lifecycle", "run", "--at", "2030-01-01T00:00:00", "--batch", "10")
    assert code == 0 and "failed" in out


def test_python_dash_m_runs_the_entry_point() -> None:
    """`python -m protocols.cli` is how the supervisor starts its workers."""
    done = subprocess.run([sys.executable, "-m", "protocols.cli", "epp", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and "{send,check,info,poll}" in done.stdout


async def test_audit_key_checkpoint_and_verify(registry: Run, core: Core, tmp_path: Path) -> None:
    code, key, _ = await registry("audit", "key")
    assert code == 0 and len(base64.b64decode(key)) == 32  # generated on first use (development)
    assert (tmp_path / "audit" / "signing.key").stat().st_mode & 0o777 == 0o600
    code, out, _ = await registry("audit", "checkpoint")
    assert code == 0 and out.startswith("checkpoint 1 at ")
    code, out, _ = await registry("audit", "verify")
    assert code == 0 and out.splitlines()[-1] == "intact" and "checkpoints checked   1" in out
    head = tmp_path / "head.audit.json"  # what travels beside each escrow deposit
    head.write_bytes(await audit.head_file(core, datetime.now(UTC)) or b"")
    code, out, _ = await registry("audit", "verify", "--head", str(head))
    assert code == 0 and out.strip() == "the history holds the head file's rows"
    head.write_text("garbage")
    code, out, _ = await registry("audit", "verify", "--head", str(head))
    assert code == 1 and "head file problem     not a registry audit head file" in out
    async with core.db.pool.acquire() as conn:
        edited = await conn.fetchval("UPDATE history SET action = 'forged' WHERE id = "
                                     "(SELECT min(id) FROM history) RETURNING id")
    code, out, _ = await registry("audit", "verify")
    assert code == 1 and out.splitlines()[-1] == "TAMPERED"
    assert f"(history id {edited}): its content was changed after it was written" in out


async def test_registrar_sso_sets_the_provider_with_its_secret_encrypted(registry: Run, core: Core,
                                                                        tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("alpha-client-secret\n")
    code, out, _err = await registry("registrar", "sso", "alpha", "--issuer", "https://idp.alpha.example/",
                                     "--client-id", "console", "--client-secret-file", str(tmp_path / "secret"))
    assert code == 0 and "single sign-on set for alpha: https://idp.alpha.example/" in out
    row = (await fetch(core, "SELECT issuer, client_id, client_secret FROM registrar_sso"))[0]
    assert (row["issuer"], row["client_id"]) == ("https://idp.alpha.example", "console")
    assert b"alpha-client-secret" not in row["client_secret"]  # encrypted at rest
    from registry_core.services import sso
    assert (await sso.registrar_provider(core, "alpha")) == sso.Provider("https://idp.alpha.example", "console",
                                                                          "alpha-client-secret")
    history = await fetch(core, "SELECT after FROM history WHERE action = 'sso-set'")
    assert "client_secret" not in history[0]["after"]
    assert (await registry("registrar", "sso", "alpha"))[0] == 2  # neither settings nor --remove
    assert await registry("registrar", "sso", "alpha", "--remove") == (0, "single sign-on removed for alpha\n", "")
    assert await sso.registrar_provider(core, "alpha") is None
