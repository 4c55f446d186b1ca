"""Delivery by SFTP to a real SFTP server on loopback (asyncssh's, chrooted; stated in
sftp.py), and RST integration-03 in small: a domain created over EPP (real TLS), the
deposit made and uploaded, the .ryde fetched back over SFTP, decrypted with the agent's
key, its signature checked, and the domain found in it. An unreachable agent leaves the
deposit logged as not uploaded, and `upload_pending` sends it later."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncssh
from lxml import etree

from protocols.escrow import deposits, ryde
from protocols.escrow.delivery import SftpTarget
from protocols.escrow.file_check import check_file
from registry_core.context import Core
from registry_core.crypto import AuditSigner
from registry_core.services import audit, escrow
from tests.core.helpers import make_domain
from tests.core.test_audit import _lane_of, _rewrite_lane
from tests.epp.conftest import Clients
from tests.escrow.gpg import Keyrings
from tests.escrow.helpers import NS, give_addresses
from tests.escrow.sftp import AgentInbox


async def fetch_over_sftp(target: SftpTarget, names: list[str], folder: Path) -> list[Path]:
    """What the agent's side holds, fetched back by a second, independent SFTP session."""
    async with asyncssh.connect(target.host, target.port, username=target.user, client_keys=[str(target.key_file)],
                                known_hosts=str(target.known_hosts), agent_path=None) as conn, \
            conn.start_sftp_client() as sftp:
        assert sorted(await sftp.listdir(target.directory)) == sorted([".", "..", *names])
        for name in names:
            await sftp.get(f"{target.directory}/{name}", str(folder / name))
    return [folder / name for name in names]


async def test_integration_03_in_small(registry: Core, clients: Clients, tmp_path: Path, keyrings: Keyrings,
                                       agent_inbox: AgentInbox) -> None:
    await give_addresses(registry)
    epp = await clients.login("alpha")
    created = await epp.domain_create("rst-integration.example", auth_info="Rst-Auth1")
    assert created.code == 1000, created.raw
    out = tmp_path / "out"
    settings = deposits.EscrowSettings(out, keyrings.registry, sftp=agent_inbox.target)
    made = await deposits.make_deposit_at(registry, settings, "example", datetime.now(UTC), "full")  # after it
    assert made.upload_error is None and len(made.uploaded) == 2
    fetched_dir = tmp_path / "agent"
    fetched_dir.mkdir()
    ryde_file, _sig = await fetch_over_sftp(agent_inbox.target, [f.name for f in made.files], fetched_dir)
    await ryde.verify(ryde_file, ryde_file.with_suffix(".sig"), keyrings.agent_home)
    xml = await ryde.unpack(ryde_file, fetched_dir, keyrings.agent_home)
    names = [n.text for n in etree.parse(str(xml)).iterfind(".//rdeDomain:domain/rdeDomain:name", NS)]
    assert names == ["rst-integration.example"]
    report, _ = await check_file(ryde_file, keyrings.agent_home)
    assert report.ok, report.problems
    assert [r["uploaded_at"] is not None for r in await escrow.list_deposits(registry, "example")] == [True]


async def test_an_unreachable_agent_leaves_the_deposit_to_upload_later(
        core: Core, tmp_path: Path, keyrings: Keyrings, agent_inbox: AgentInbox) -> None:
    await give_addresses(core)
    closed = dataclasses.replace(agent_inbox.target, port=1, timeout=5.0)  # nothing listens on port 1
    settings = deposits.EscrowSettings(tmp_path, keyrings.registry, sftp=closed)
    made = await deposits.make_deposit_at(core, settings, "example", datetime.now(UTC) - timedelta(minutes=1), "full")
    assert made.upload_error is not None and "cannot reach" in made.upload_error
    assert [r["uploaded_at"] for r in await escrow.list_deposits(core, "example", undelivered=True)] == [None]
    results = await deposits.upload_pending(core, dataclasses.replace(settings, sftp=agent_inbox.target), "example")
    assert results == [(made.files[0].name, None)]
    assert sorted(p.name for p in (agent_inbox.root / "deposits").iterdir()) == sorted(f.name for f in made.files)
    assert await escrow.list_deposits(core, "example", undelivered=True) == []


async def test_each_deposit_carries_the_signed_chain_heads_which_catch_a_later_rewrite(
        core: Core, tmp_path: Path, keyrings: Keyrings, agent_inbox: AgentInbox) -> None:
    await give_addresses(core)
    signer = AuditSigner(AuditSigner.new_key())
    await make_domain(core, "signed.example")
    await audit.write_checkpoint(core, signer)
    settings = deposits.EscrowSettings(tmp_path, keyrings.registry, sftp=agent_inbox.target)
    made = await deposits.make_deposit_at(core, settings, "example", datetime.now(UTC), "full")
    assert made.head is not None and made.head.name == f"{made.plan.stem}.audit.json"
    held = agent_inbox.root / "deposits" / made.head.name
    assert len(made.uploaded) == 3 and held.read_bytes() == made.head.read_bytes()
    assert await audit.verify_head_file(core, {signer.public_key}, held.read_bytes()) == []
    stranger = AuditSigner(AuditSigner.new_key())
    assert await audit.verify_head_file(core, {stranger.public_key}, held.read_bytes()) == [
        "it is signed by a key that is not trusted"]
    lane, _ = await _lane_of(core, "signed.example")
    await _rewrite_lane(core, lane, "signed.example")  # re-chained by an intruder with SQL access
    problems = await audit.verify_head_file(core, {signer.public_key}, held.read_bytes())
    assert len(problems) == 1 and problems[0].startswith(f"lane {lane} row ")
    assert await audit.verify_head_file(core, {signer.public_key}, b"{}") == [
        "not a registry audit head file"]
