"""`python -m storefront.serve` as a real process: it migrates its schema, logs its
connector in to a real EPP server over TLS, answers searches on its port, refuses a bad
settings file with a clear message, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from protocols.cli.certs import DevCerts
from protocols.epp.server import EppServer
from registry_core.context import Core
from tests.epp.conftest import PASSWORDS


def settings_file(folder: Path, certs: DevCerts, port: int) -> Path:
    issued = certs.registrars["alpha"]
    path = folder / "storefront.toml"
    path.write_text(f"""[storefront]
host = "127.0.0.1"
port = 0
title = "Process shop"

[[storefront.registry]]
name = "ours"
host = "127.0.0.1"
port = {port}
clid = "alpha"
password = "{PASSWORDS['alpha']}"
tlds = ["example"]
ca = "{certs.ca_cert}"
cert = "{issued.cert}"
key = "{issued.key}"

[storefront.margin.example]
fixed = "1.00"
""", "utf-8")
    return path


async def start(config: Path, dsn: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storefront.serve", "--config", str(config),
        env={**os.environ, "STOREFRONT_DATABASE_URL": dsn}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def test_the_shop_process_serves_searches_and_stops_on_sigterm(
        test_dsn: str, dev_certs: DevCerts, registry: Core, epp_server: EppServer, tmp_path: Path) -> None:
    # `registry` seeds alpha with its password and pinned certificate, whatever ran before
    process = await start(settings_file(tmp_path, dev_certs, epp_server.port), test_dsn)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/ selling example", line)
        assert match, line
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{match[1]}/search", params={"q": "fromprocess"}) as answer:
            assert answer.status == 200
            page = await answer.text()
        assert 'data-name="fromprocess.example"' in page and "11.00 USD" in page
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_bad_settings_file_is_refused_with_its_reason(test_dsn: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[storefront]\nport = "eighty"\n', "utf-8")
    process = await start(bad, test_dsn)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2 and b"storefront.port: expected int" in err
