"""`registry serve` with [dns] enabled runs the publisher: a domain committed in the
database is answered by the Knot that serve started, within the deadline; a domain
committed while serve is down is answered once it runs again (the change log kept it)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from registry_core.context import Core
from tests.core.helpers import make_domain, make_host
from tests.dns.answers import ns_set, until
from tests.dns.conftest import program
from tests.dns.servers import free_port
from tests.dns.test_serve import logged, serving, start_serving, write_config


async def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 30) == 0


async def test_serve_publishes_what_is_committed_even_while_it_was_down(core: Core, test_dsn: str,
                                                                      tmp_path: Path) -> None:
    program("knotd")
    ports = {name: free_port() for name in ("epp", "whois", "rdap", "metrics", "dns")}
    config, log = write_config(tmp_path, test_dsn, ports), tmp_path / "serve.log"
    await make_host(core, "ns.hoster.net")
    process = start_serving(config, log)
    try:
        await serving(ports["dns"], process, log)
        await make_domain(core, "served.example", ns=("ns.hoster.net",))
        await until(lambda: ns_set(ports["dns"], "served.example."), {"ns.hoster.net."})
        await stop(process)
        await make_domain(core, "meanwhile.example", ns=("ns.hoster.net",))  # nobody is publishing
        process = start_serving(config, tmp_path / "serve-again.log")
        await serving(ports["dns"], process, tmp_path / "serve-again.log")
        await until(lambda: ns_set(ports["dns"], "meanwhile.example."), {"ns.hoster.net."})
        assert await ns_set(ports["dns"], "served.example.") == {"ns.hoster.net."}  # Knot's journal kept it
        await stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert "DNS publisher started" in logged(log) and "DNS publisher leads zone example" in logged(log)
