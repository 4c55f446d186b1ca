"""`registry epp send | check | info | poll`: the CLI's EPP client against the test server
over real TLS, one handler per verb."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path

from lxml import etree

from protocols.cli import main as cli
from protocols.cli.certs import DevCerts
from protocols.epp.client import NAMESPACES
from protocols.epp.server import EppServer
from registry_core.context import Core
from tests.epp.conftest import PASSWORDS


async def _epp(server: EppServer, certs: DevCerts, clid: str, *verb: str) -> tuple[int, str, str]:
    args = ["epp", "--port", str(server.port), "--ca", str(certs.ca_cert), "--cert", str(certs.registrars[clid].cert),
            "--key", str(certs.registrars[clid].key), "--clid", clid, "--password", PASSWORDS[clid], *verb]

    def run() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(args)
        return code, out.getvalue(), err.getvalue()

    return await asyncio.to_thread(run)  # the CLI runs its own event loop


def _codes(printed: str) -> list[str]:
    documents = [part for part in printed.split("<?xml") if part.strip()]
    roots = [etree.fromstring(("<?xml" + part).encode()) for part in documents]
    return [code for root in roots for code in root.xpath("//epp:result/@code", namespaces=NAMESPACES)]


async def test_check_info_and_poll(registry: Core, epp_server: EppServer, dev_certs: DevCerts,
                                   restore_root: None) -> None:
    code, out, err = await _epp(epp_server, dev_certs, "alpha", "check", "free.example", "other.example")
    assert code == 0, err
    assert _codes(out) == ["1000"] and "free.example" in out and "other.example" in out
    code, out, _ = await _epp(epp_server, dev_certs, "alpha", "info", "missing.example")
    assert code == 1 and _codes(out) == ["2303"]  # object does not exist: the exit status says so
    code, out, _ = await _epp(epp_server, dev_certs, "alpha", "poll")
    assert code == 0 and _codes(out) == ["1300"]


async def test_send_files_without_login(registry: Core, epp_server: EppServer, dev_certs: DevCerts,
                                        tmp_path: Path, restore_root: None) -> None:
    hello = tmp_path / "hello.xml"
    hello.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0">'
                      b"<hello/></epp>")
    code, out, err = await _epp(epp_server, dev_certs, "alpha", "--no-login", "send", str(hello), str(hello))
    assert code == 0, err
    assert out.count("<greeting>") == 2


async def test_a_refused_login_prints_the_response_and_exits_1(registry: Core, epp_server: EppServer,
                                                                dev_certs: DevCerts, restore_root: None) -> None:
    code, out, err = await _epp(epp_server, dev_certs, "gamma", "poll")  # gamma's certificate is not pinned
    assert (code, out) == (1, "") and 'code="2' in err
