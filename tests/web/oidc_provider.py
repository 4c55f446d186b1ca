"""A real OpenID Connect provider for the tests: the npm package `oidc-provider` (installed
with npm into var/oidc of the checkout the first time, then reused) run by node on a free
loopback port with tests/web/oidc/provider.mjs. Skips, saying why, without node or npm."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent / "oidc"
INSTALL = Path(__file__).resolve().parents[2] / "var" / "oidc"


def installed_provider() -> Path:
    """The provider script beside its node_modules (node resolves ES modules from the script's folder)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the single sign-on tests (Debian packages nodejs and npm)")
    INSTALL.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "package.json", INSTALL / "package.json")
    shutil.copy(HERE / "provider.mjs", INSTALL / "provider.mjs")
    if not (INSTALL / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(INSTALL)],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            pytest.skip(f"npm could not install oidc-provider: {done.stderr.strip()[-300:]}")
    return INSTALL / "provider.mjs"


@contextmanager
def running_provider(tmp: Path, port: int, clients: list[dict[str, Any]],
                     accounts: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The provider on 127.0.0.1:port until the block ends; yields its issuer URL."""
    script = installed_provider()
    setup = tmp / "oidc-setup.json"
    setup.write_text(json.dumps({"port": port, "clients": clients, "accounts": accounts}))
    process = subprocess.Popen(["node", str(script), str(setup)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once listening (or nothing if it died)
        assert line.startswith("listening"), f"oidc-provider did not start: {line!r}"
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
