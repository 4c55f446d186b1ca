"""`registry abuse intake-mail` as an MTA's pipe transport runs it: a real process reading
one RFC 5322 message on its stdin, against the test database. A mail naming a registered
domain (in a defanged URL, below a subdomain) opens a case for it and queues the reporter's
acknowledgement; a machine's mail (Auto-Submitted) is taken without one; a mail naming no
domain of the registry, or too large, is refused with EX_DATAERR so the MTA bounces it."""

from __future__ import annotations

import asyncio
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from registry_core.context import Core
from tests.conftest import ROOT, TEST_KEY, fetch
from tests.core.helpers import make_domain


@pytest.fixture
def config_file(test_dsn: str, tmp_path: Path) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(f'[database]\nurl = "{test_dsn}"\n[registry]\nauth_info_key = "{TEST_KEY}"\nroid_suffix = "TEST"\n'
                    f'[paths]\nvar = "{tmp_path}"\n[abuse]\nmax_mail_bytes = 20000\n')
    return path


async def pipe(config: Path, message: bytes) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "protocols.cli", "--config", str(config), "abuse", "intake-mail", cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(message), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def mail(subject: str, body: str, sender: str = "Alice <alice@cert.example>", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "abuse@registry.example", subject
    message["Message-ID"] = "<r1@cert.example>"
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


async def test_a_mail_naming_a_registered_domain_opens_a_case_for_it(core: Core, config_file: Path) -> None:
    await make_domain(core, "phish.example")
    code, out, err = await pipe(config_file, mail(
        "Phishing on a registered name", "Seen at hxxp://login.phish[.]example/bank and at unrelated.test;\n"
        "write to alice@cert.example.\n"))
    assert code == 0, err
    [case] = await fetch(core, "SELECT * FROM abuse_case")
    assert out == f"{case['id']}\tphish.example\n"
    assert (case["source"], case["state"], case["threat_type"], case["registrar_id"]) == (
        "email", "new", "phishing", "alpha")
    [report] = await fetch(core, "SELECT * FROM abuse_report")
    assert report["reporter_email"] == "alice@cert.example" and report["client"] == "<r1@cert.example>"
    assert report["body"].startswith("Subject: Phishing on a registered name\n\nSeen at hxxp://login.phish[.]example")
    acks = await fetch(core, """SELECT n.target FROM notification n JOIN notification_event e ON e.id = n.event_id
                                WHERE e.type = 'abuse.report.received'""")
    assert [a["target"] for a in acks] == ["alice@cert.example"]
    opened = await fetch(core, "SELECT action, object_name FROM history WHERE sv_trid = $1", f"ABUSE-{case['id']}")
    assert [(h["action"], h["object_name"]) for h in opened] == [("abuse-case-opened", "phish.example")]


async def test_a_machine_mail_is_taken_without_an_answer(core: Core, config_file: Path) -> None:
    await make_domain(core, "spammy.example")
    code, _out, err = await pipe(config_file, mail("Spam report", "spam from spammy.example",
                                                   Auto_Submitted="auto-generated"))
    assert code == 0, err
    assert len(await fetch(core, "SELECT id FROM abuse_case WHERE threat_type = 'spam'")) == 1
    assert await fetch(core, "SELECT id FROM notification_event WHERE type = 'abuse.report.received'") == []


async def test_mails_naming_nothing_of_ours_or_too_large_are_refused(core: Core, config_file: Path) -> None:
    code, _out, err = await pipe(config_file, mail("Phishing", "see http://elsewhere.test/"))
    assert code == 65 and "no domain registered with this registry" in err
    code, _out, err = await pipe(config_file, mail("Phishing", "x" * 30000 + " phish.example"))
    assert code == 65 and "larger than 20000 bytes" in err
    assert await fetch(core, "SELECT id FROM abuse_case") == []
