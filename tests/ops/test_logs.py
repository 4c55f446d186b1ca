"""Log lines: the JSON and readable formatters on records, the non-blocking writer, and one
line per command from real EPP, RDAP and WHOIS servers, carrying its fields and no secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.config import Config, EppConfig
from protocols.epp.client import EppClient
from protocols.epp.server import EppServer
from protocols.net.tls import client_context
from protocols.rdap.app import start_rdap
from protocols.serve.logs import JsonFormatter, LineWriter, ReadableFormatter, setup_logging, utc_timestamp
from protocols.whois.server import start_whois
from registry_core.context import Core
from registry_core.services import registrars
from tests.rdap.data import public_config

PASSWORD = "Alpha-Pass1"  # the `core` fixture's password for registrar alpha
AUTH_INFO = "Log-Secret-Auth9"


def record(msg: str = "hello %s", args: tuple[Any, ...] = ("world",), **extra: Any) -> logging.LogRecord:
    rec = logging.LogRecord("registry.test", logging.INFO, __file__, 1, msg, args, None)
    rec.created = 1714564800.25  # 2024-05-01T12:00:00.250Z
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


# --- formatters ------------------------------------------------------------------------------
def test_json_line_has_time_level_logger_message_and_extra_fields() -> None:
    line = JsonFormatter().format(record(registrar="alpha", code=1000, ms=1.25, cl_trid=None))
    assert "\n" not in line
    assert json.loads(line) == {"ts": "2024-05-01T12:00:00.250Z", "level": "info", "logger": "registry.test",
                                "msg": "hello world", "registrar": "alpha", "code": 1000, "ms": 1.25,
                                "cl_trid": None}


def test_json_line_redacts_secret_keys_whoever_logs_them() -> None:
    data = json.loads(JsonFormatter().format(record(password="Alpha-Pass1", auth_info="x", authInfo="y", pw="z")))
    assert {data[k] for k in ("password", "auth_info", "authInfo", "pw")} == {"[redacted]"}
    assert "Alpha-Pass1" not in json.dumps(data)


def test_json_line_carries_the_traceback_and_odd_values_as_text() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        rec = logging.LogRecord("registry.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    rec.path = Path("/x")
    data = json.loads(JsonFormatter().format(rec))
    assert data["level"] == "error" and data["path"] == "/x"
    assert "ValueError: boom" in data["exc"]


def test_utc_timestamp_is_iso_8601_with_z() -> None:
    assert utc_timestamp(0.0) == "1970-01-01T00:00:00.000Z"
    assert utc_timestamp(1714564800.999) == "2024-05-01T12:00:00.999Z"


def test_readable_line_is_time_level_logger_message() -> None:
    line = ReadableFormatter().format(record(code=1000))
    assert line.endswith(" INFO    registry.test: hello world")
    assert line[2] == ":" and line[8] == "."


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "choice", "json_expected"), [
    (io.StringIO(), None, True), (Terminal(), None, False), (Terminal(), True, True), (io.StringIO(), False, False)])
def test_setup_logging_chooses_json_unless_on_a_terminal(restore_root: None, stream: io.StringIO,
                                                         choice: bool | None, json_expected: bool) -> None:
    handler = setup_logging(False, choice, level=logging.INFO, stream=stream)
    logging.getLogger("registry.test").info("started", extra={"port": 700})
    handler.close()
    line = stream.getvalue().strip()
    if json_expected:
        assert json.loads(line)["port"] == 700
    else:
        assert line.endswith("registry.test: started")


def test_setup_logging_replaces_its_previous_handler(restore_root: None) -> None:
    first = setup_logging(True, True, stream=io.StringIO())
    second = setup_logging(False, True, stream=io.StringIO())
    root = logging.getLogger()
    assert second in root.handlers and first not in root.handlers
    assert root.level == logging.WARNING


# --- the writer --------------------------------------------------------------------------------
class Stalled(io.StringIO):
    """An output that blocks (as a full pipe does) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(10)
        return super().write(text)


def test_a_stalled_output_drops_lines_instead_of_blocking_and_says_so() -> None:
    stream = Stalled()
    handler = LineWriter(stream, capacity=5)
    handler.setFormatter(JsonFormatter())
    for i in range(50):  # returns at once although nothing can be written
        handler.handle(record("line %d", (i,)))
    stream.release.set()
    handler.close()
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert 5 <= sum(x["msg"].startswith("line") for x in lines) <= 6  # the queue, and one taken before the stall
    dropped = [x for x in lines if x["logger"] == "registry.logs"]
    assert len(dropped) == 1 and dropped[0]["dropped"] == 50 - (len(lines) - 1)
    assert dropped[0]["level"] == "warning"


# --- one line per command, from real servers ------------------------------------------------------
class Captured:
    """JSON lines of every logger, as `registry serve` writes them (INFO and up)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = LineWriter(self.stream)
        self.handler.setFormatter(JsonFormatter())

    def lines(self) -> list[dict[str, Any]]:
        self.handler.close()  # writes what is queued
        return [json.loads(x) for x in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured(restore_root: None) -> Captured:
    capture = Captured()
    logging.getLogger().addHandler(capture.handler)
    logging.getLogger().setLevel(logging.INFO)
    return capture


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("certs"), ["alpha"])


@pytest.fixture
async def epp(core: Core, certs: DevCerts) -> AsyncIterator[EppClient]:
    await registrars.add_certificate(core, "alpha", certs.fingerprints["alpha"])
    config = Config(epp=EppConfig(host="127.0.0.1", port=0, cert=str(certs.server.cert), key=str(certs.server.key),
                                  ca=str(certs.ca_cert)))
    server = EppServer(config, core)
    await server.start()
    issued = certs.registrars["alpha"]
    client = EppClient(timeout=10.0)
    await client.connect("127.0.0.1", server.port,
                         client_context(certs.ca_cert, issued.cert, issued.key, check_hostname=False))
    try:
        yield client
    finally:
        await client.close()
        await server.stop(1.0)


async def test_an_epp_command_is_one_json_line_with_its_fields_and_no_secret(
        epp: EppClient, captured: Captured) -> None:
    assert (await epp.login("alpha", PASSWORD)).code == 1000
    response = await epp.domain_create("logged.example", auth_info=AUTH_INFO, cl_trid="LOG-TEST-1")
    assert response.code == 1000
    lines = captured.lines()
    creates = [x for x in lines if x.get("command") == "domain:create"]
    assert len(creates) == 1
    line = creates[0]
    assert line["logger"] == "registry.epp" and line["level"] == "info"
    assert {k: line[k] for k in ("registrar", "object", "code", "cl_trid")} == {
        "registrar": "alpha", "object": "logged.example", "code": 1000, "cl_trid": "LOG-TEST-1"}
    assert line["sv_trid"].startswith("RS-") and isinstance(line["ms"], float) and line["ms"] > 0
    assert "domain:create" in line["msg"] and "code=1000" in line["msg"]
    login = next(x for x in lines if x.get("command") == "login")
    assert login["registrar"] == "alpha" and login["code"] == 1000
    everything = "\n".join(json.dumps(x) for x in lines)
    assert PASSWORD not in everything and AUTH_INFO not in everything and "<epp" not in everything


async def test_rdap_and_whois_answers_are_one_json_line_each(core: Core, captured: Captured) -> None:
    config = public_config()
    rdap = await start_rdap(config, core)
    whois = await start_whois(config, core)
    try:
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{rdap.port}/domain/missing.example") as resp:
            assert resp.status == 404
        reader, writer = await asyncio.open_connection("127.0.0.1", whois.port)
        writer.write(b"missing.example\r\n")
        assert (await reader.read()).startswith(b"No match")
        writer.close()
    finally:
        await whois.stop(1.0)
        await rdap.stop(1.0)
    lines = captured.lines()
    assert len([x for x in lines if "status" in x]) == 1 and len([x for x in lines if "query" in x]) == 1
    rdap_line = next(x for x in lines if "status" in x)
    assert {k: rdap_line[k] for k in ("path", "status", "client", "method")} == {
        "path": "/domain/missing.example", "status": 404, "client": "127.0.0.1", "method": "GET"}
    whois_line = next(x for x in lines if "query" in x)
    assert {k: whois_line[k] for k in ("query", "result", "client")} == {
        "query": "missing.example", "result": "no match", "client": "127.0.0.1"}
    assert rdap_line["ms"] >= 0 and whois_line["ms"] >= 0
