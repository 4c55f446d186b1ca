"""The ICANN packaging with real gpg: a deposit made by `make_due_deposits` is a .ryde
(tar, ZIP-compressed, AES-256 encrypted to the agent's key) and a detached SHA-256 .sig by
the registry's key; the agent decrypts and verifies it with its own keyring, and `rde
check` accepts it. The cursors: a missed day is caught up, a second run writes nothing, a
DIFF follows its FULL. A tampered file, a deposit with wrong counts and a wrong name are
refused by the check."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from protocols.escrow import deposits, ryde
from protocols.escrow.check import ENGINES, check_xml
from protocols.escrow.file_check import check_file
from registry_core.context import Core
from registry_core.model import escrow as model
from registry_core.services import escrow
from tests.conftest import TestClock
from tests.escrow.gpg import Keyrings, packets
from tests.escrow.helpers import NS, populate

SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def settings(folder: Path, keys: Keyrings, plain: bool = False) -> deposits.EscrowSettings:
    return deposits.EscrowSettings(folder, keys.registry, plain)


async def test_a_deposit_is_packaged_with_pinned_flags_and_the_agent_reads_it(
        core: Core, tmp_path: Path, keyrings: Keyrings) -> None:
    await populate(core, before=SUNDAY)
    made = await deposits.make_deposit_at(core, settings(tmp_path, keyrings), "example", SUNDAY)
    ryde_file, sig = made.files
    assert ryde_file.name == "example_2026-11-29_full_S1_R0.ryde" and sig.name == "example_2026-11-29_full_S1_R0.sig"
    assert not (tmp_path / "example_2026-11-29_full_S1_R0.xml").exists()  # no plain copy without --plain
    seen = packets(keyrings.agent_home, ryde_file)
    assert ":compressed packet: algo=1" in seen  # ZIP
    assert "[GNUPG:] DECRYPTION_INFO 2 9" in seen  # MDC, AES-256
    signed = packets(keyrings.agent_home, sig)
    assert "digest algo 8" in signed  # SHA-256
    fingerprint = await ryde.verify(ryde_file, sig, keyrings.agent_home)
    report, signer = await check_file(ryde_file, keyrings.agent_home)
    assert report.ok, report.problems
    assert signer == fingerprint and report.tld == "example" and report.deposit_type == "FULL"
    assert report.counts[model.URI_DOMAIN] == 3


async def test_the_cursors_catch_up_a_missed_day_and_never_write_twice(
        core: Core, clock: TestClock, tmp_path: Path, keyrings: Keyrings) -> None:
    await populate(core)
    clock.frozen = SUNDAY + timedelta(hours=1)
    first = await deposits.make_due_deposits(core, settings(tmp_path, keyrings), "example", ("full", "diff"))
    assert [(m.plan.mode, m.plan.watermark) for m in first] == [("full", SUNDAY)]
    clock.frozen = SUNDAY + timedelta(days=2, hours=1)  # Monday missed, now Tuesday
    made = await deposits.make_due_deposits(core, settings(tmp_path, keyrings), "example", ("full", "diff"))
    assert [(m.plan.deposit_type, m.plan.watermark.day) for m in made] == [("DIFF", 30), ("DIFF", 1)]
    assert made[0].plan.prev_id == first[0].plan.id and made[1].plan.prev_id == made[0].plan.id
    assert await deposits.make_due_deposits(core, settings(tmp_path, keyrings), "example", ("full", "diff")) == []
    logged = await escrow.list_deposits(core, "example")
    assert [r["file_name"] for r in logged] == ["example_2026-11-29_full_S1_R0.ryde",
                                                "example_2026-11-30_diff_S1_R0.ryde",
                                                "example_2026-12-01_diff_S1_R0.ryde"]


async def test_a_tampered_ryde_fails_its_signature(core: Core, tmp_path: Path, keyrings: Keyrings) -> None:
    await populate(core, before=SUNDAY)
    made = await deposits.make_deposit_at(core, settings(tmp_path, keyrings), "example", SUNDAY)
    ryde_file = made.files[0]
    data = bytearray(ryde_file.read_bytes())
    data[-5] ^= 0xFF
    ryde_file.write_bytes(bytes(data))
    report, signer = await check_file(ryde_file, keyrings.agent_home)
    assert signer is None and not report.ok and "bad or missing signature" in report.problems[0]


@pytest.mark.parametrize("engine", ENGINES)
async def test_the_check_names_wrong_counts_a_wrong_name_and_a_missing_registrar(
        core: Core, tmp_path: Path, keyrings: Keyrings, engine: str) -> None:
    await populate(core, before=SUNDAY)
    made = await deposits.make_deposit_at(core, settings(tmp_path, keyrings, plain=True), "example", SUNDAY)
    xml = made.files[2]
    assert check_xml(xml, engine=engine).ok
    doc = etree.parse(str(xml))
    count = next(c for c in doc.iterfind(".//rdeHeader:count", NS) if c.get("uri") == model.URI_DOMAIN)
    count.text = "4"
    beta = next(r for r in doc.iterfind(".//rdeRegistrar:registrar", NS)
                if r.findtext("rdeRegistrar:id", None, NS) == "beta")
    beta.getparent().remove(beta)
    next(c for c in doc.iterfind(".//rdeHeader:count", NS) if c.get("uri") == model.URI_REGISTRAR).text = "1"
    broken = tmp_path / "example_2026-11-30_full_S1_R0.xml"
    doc.write(str(broken))
    problems = check_xml(broken, engine=engine).problems
    assert any("header counts 4 of urn:ietf:params:xml:ns:rdeDomain-1.0, the file holds 3" in p for p in problems)
    assert any("registrars named but not deposited: ['beta']" in p for p in problems)
    assert any("the file name says watermark day 2026-11-30" in p for p in problems)
    root = doc.getroot()
    root.set("id", "not-a-valid-id!")
    doc.write(str(broken))
    assert check_xml(broken, engine=engine).problems[0].startswith("schema:")


def test_the_cli_check_reads_a_plain_deposit(tmp_path: Path) -> None:
    """`registry rde check` over a file written by hand: a minimal valid FULL deposit."""
    xml = tmp_path / "none_2026-11-29_full_S1_R0.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" '
        'type="FULL" id="1"><rde:watermark>2026-11-29T00:00:00Z</rde:watermark><rde:rdeMenu>'
        '<rde:version>1.0</rde:version><rde:objURI>urn:ietf:params:xml:ns:rdeHeader-1.0</rde:objURI>'
        '</rde:rdeMenu><rde:contents><rdeHeader:header xmlns:rdeHeader="urn:ietf:params:xml:ns:rdeHeader-1.0">'
        '<rdeHeader:tld>none</rdeHeader:tld><rdeHeader:count uri="urn:x">0</rdeHeader:count></rdeHeader:header>'
        '</rde:contents></rde:deposit>')
    result = subprocess.run([str(Path(__file__).parents[2] / ".venv" / "bin" / "registry"), "rde", "check", str(xml)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "header counts ['urn:x'] but the menu declares []" in result.stdout


async def test_the_serve_escrow_pass_writes_the_due_deposits_of_every_tld(
        core: Core, clock: TestClock, tmp_path: Path, keyrings: Keyrings) -> None:
    await populate(core)
    clock.frozen = SUNDAY + timedelta(hours=1)
    made = await deposits.escrow_pass(core, settings(tmp_path, keyrings))
    assert sorted(m.files[0].name for m in made) == [f"{t}_2026-11-29_full_S1_R0.ryde" for t in TLDS]
    assert await deposits.escrow_pass(core, settings(tmp_path, keyrings)) == []


TLDS = ("example", "strict", "thin")


async def test_a_deposit_that_fails_its_check_is_neither_packaged_nor_logged(
        core: Core, tmp_path: Path, keyrings: Keyrings) -> None:
    """The check runs in its own process on the bytes as they are written: a domain whose
    ROID breaks the schema stops the deposit before gpg sees it, and the cursor stays."""
    from tests.conftest import fetch

    await populate(core, before=SUNDAY)
    await fetch(core, "UPDATE domain SET roid = 'not a roid' WHERE id = (SELECT min(id) FROM domain)")
    with pytest.raises(deposits.DepositRejected, match="not a roid|roid"):
        await deposits.make_deposit_at(core, settings(tmp_path, keyrings), "example", SUNDAY)
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".ryde", ".sig"))]
    assert await escrow.list_deposits(core, "example") == []
