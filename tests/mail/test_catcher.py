"""The development mail catcher: real SMTP in (the email channel, aiosmtplib), .eml files
out that the email package parses; bounded size; and `registry serve` starting it once in
the supervisor, as `make run` does, and stopping it."""

from __future__ import annotations

import asyncio
import email
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path

import pytest

from protocols.cli.certs import init_dev_certs
from protocols.config import Config, MailConfig, PathsConfig
from protocols.mail.catcher import MailCatcher, start_catcher
from protocols.mail.channel import EmailChannel
from protocols.notify.delivery import Delivery, DeliveryFailed
from tests.conftest import ROOT, TEST_KEY
from tests.dns.servers import free_port

WHEN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
START_SECONDS = 30.0


def delivery(n: int, **payload: object) -> Delivery:
    return Delivery(f"c-{n}", "domain.created", WHEN, "registrar:demo", {"domain": f"d{n}.example", **payload})


def relay_to(port: int) -> MailConfig:
    return MailConfig(relay_host="127.0.0.1", relay_port=port, tls="none", from_address="noreply@registry.test")


async def test_the_catcher_stores_each_mail_as_an_eml_file(tmp_path: Path) -> None:
    catcher = MailCatcher("127.0.0.1", 0, tmp_path / "mail", max_bytes=64 * 1024)
    await catcher.start()
    channel = EmailChannel(relay_to(catcher.port))
    await channel.start()
    try:
        for n in range(3):
            await channel.deliver(delivery(n), f"tech{n}@demo.test")
        with pytest.raises(DeliveryFailed) as too_big:
            big = Delivery("c-9", "operator.note", WHEN, "operator", {"note": "x " * 50_000})  # generic: prints it
            await channel.deliver(big, "tech@demo.test")
    finally:
        await channel.stop(1.0)
        await catcher.stop(1.0)
    assert not too_big.value.retryable and "552" in too_big.value.detail
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml"] * 3  # no temporary file left, nothing of the big one
    first = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert first["Return-Path"] == "<noreply@registry.test>" and first["X-Envelope-To"] == "tech0@demo.test"
    assert first["Subject"] == "d0.example is registered" and first["Message-ID"] == "<notify.c-0@registry.test>"
    assert {part.get_content_type() for part in first.walk()} >= {"text/plain", "text/html"}


async def test_the_catcher_is_off_unless_configured(tmp_path: Path) -> None:
    assert await start_catcher(Config()) is None
    config = Config(mail=MailConfig(catcher="127.0.0.1:0"), paths=PathsConfig(var=str(tmp_path)))
    catcher = await start_catcher(config)
    assert catcher is not None and catcher.directory == tmp_path / "mail" and catcher.port > 0
    await catcher.stop(1.0)


def write_config(root: Path, dsn: str, ports: dict[str, int]) -> Path:
    certs = init_dev_certs(root / "certs", [])
    q = json.dumps
    path = root / "registry.toml"
    path.write_text(f"""
[database]
url = {q(dsn)}
pool_min = 1
pool_max = 2
[registry]
auth_info_key = {q(TEST_KEY)}
lifecycle_interval_seconds = 3600
[epp]
port = {ports["epp"]}
cert = {q(str(certs.server.cert))}
key = {q(str(certs.server.key))}
ca = {q(str(certs.ca_cert))}
[whois]
port = {ports["whois"]}
[rdap]
port = {ports["rdap"]}
[metrics]
port = {ports["metrics"]}
[mail]
catcher = "127.0.0.1:{ports["mail"]}"
[paths]
var = {q(str(root / "var"))}
""")
    return path


def start_serving(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "protocols.cli", "--config", str(config), "serve",
                                 "--workers", "2"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def logged(log: Path) -> str:
    return log.read_text()


def tail(log: Path) -> str:
    return logged(log)[-3000:]


async def sent_once_up(channel: EmailChannel, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, tail(log)
        try:
            await channel.deliver(delivery(1), "tech@demo.test")
            return
        except DeliveryFailed:
            assert time.monotonic() < deadline, tail(log)
            await asyncio.sleep(0.2)


async def test_serve_runs_the_catcher_in_the_supervisor(test_dsn: str, tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("epp", "whois", "rdap", "metrics", "mail")}
    log = tmp_path / "serve.log"
    process = start_serving(write_config(tmp_path, test_dsn, ports), log)
    channel = EmailChannel(relay_to(ports["mail"]))
    await channel.start()
    try:
        await sent_once_up(channel, process, log)
        await channel.stop(1.0)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert len(list((tmp_path / "var" / "mail").glob("*.eml"))) == 1
    assert logged(log).count("mail catcher smtp://127.0.0.1") == 1  # once per node, not per worker
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", ports["mail"])  # gone with the supervisor
