"""`registry rde deposit | list | check | upload` and `registry registrar set-address`
through the CLI's `main`, against the real test database, real gpg and (for the upload) the
loopback SFTP server."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocols.cli import main as cli
from registry_core.context import Core
from tests.conftest import TEST_KEY
from tests.core.helpers import make_domain
from tests.escrow.gpg import Keyrings
from tests.escrow.helpers import earlier
from tests.escrow.sftp import AgentInbox

Run = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def rde_cli(core: Core, test_dsn: str, tmp_path: Path, keyrings: Keyrings, agent_inbox: AgentInbox,
            restore_root: None) -> Run:
    target, keys = agent_inbox.target, keyrings.registry
    config = tmp_path / "registry.toml"
    config.write_text(
        f'[database]\nurl = "{test_dsn}"\n[registry]\nauth_info_key = "{TEST_KEY}"\nroid_suffix = "TEST"\n'
        f'[paths]\nvar = "{tmp_path}"\n[escrow]\noutput_dir = "{tmp_path / "deposits"}"\n'
        f'gnupg_home = "{keys.home}"\nagent_key = "{keys.agent_key}"\nsigning_key = "{keys.signing_key}"\n'
        f'sftp_host = "{target.host}"\nsftp_port = {target.port}\nsftp_user = "{target.user}"\n'
        f'sftp_key_file = "{target.key_file}"\nsftp_known_hosts = "{target.known_hosts}"\n'
        f'sftp_directory = "{target.directory}"\n')

    def run_here(args: tuple[str, ...]) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = cli.main(["--config", str(config), *args])
        return code, out.getvalue()

    async def run(*args: str) -> tuple[int, str]:
        return await asyncio.to_thread(run_here, args)
    return run


async def test_rde_commands(core: Core, rde_cli: Run, tmp_path: Path, keyrings: Keyrings,
                            agent_inbox: AgentInbox) -> None:
    with earlier(core, before=datetime(2026, 11, 29, tzinfo=UTC)):  # in the deposit at that watermark
        await make_domain(core, "cli.example")
    code, out = await rde_cli("rde", "deposit", "example", "--watermark", "2026-11-29T00:00:00Z")
    assert code == 1 and "address" in out and "alpha" in out  # registrars need an address first
    for rid in ("alpha", "beta"):
        code, out = await rde_cli("registrar", "set-address", rid, "--street", "1 Main St", "--city", "Springfield",
                                  "--cc", "us", "--email", f"{rid}@registrar.test")
        assert code == 0, out
    code, out = await rde_cli("rde", "deposit", "example", "--watermark", "2026-11-29T00:00:00Z", "--plain")
    assert code == 0, out
    assert "example_2026-11-29_full_S1_R0  FULL id 202611290000F  (rdeDomain-1.0 1" in out
    assert "uploaded deposits/example_2026-11-29_full_S1_R0.ryde" in out
    ryde_file = tmp_path / "deposits" / "example_2026-11-29_full_S1_R0.ryde"
    assert (agent_inbox.root / "deposits" / ryde_file.name).read_bytes() == ryde_file.read_bytes()
    code, out = await rde_cli("rde", "check", str(ryde_file), "--gnupg-home", str(keyrings.agent_home))
    assert code == 0 and "signature  good" in out and out.rstrip().endswith("ok"), out
    code, out = await rde_cli("rde", "check", str(ryde_file.with_suffix(".xml")), "--engine", "lxml")
    assert code == 0 and "deposit    FULL of example" in out, out
    code, out = await rde_cli("rde", "list", "example")
    assert "202611290000F" in out and "R0  example_2026-11-29_full_S1_R0.ryde  uploaded" in out, out
    code, out = await rde_cli("rde", "upload", "example")
    assert code == 0 and "nothing to upload" in out
    code, out = await rde_cli("rde", "deposit", "example", "--watermark", "2026-11-29T00:00:00Z")
    assert code == 0 and "example_2026-11-29_full_S1_R1  FULL" in out, out  # asked again: a resend
