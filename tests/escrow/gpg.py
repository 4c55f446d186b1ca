"""Real GnuPG for the escrow tests: two keyrings in short temporary folders (gpg-agent's
socket path must stay short), as the two sides hold them: the registry's (its signing key
and the agent's public key) and the escrow agent's (its decryption key and the registry's
public key). Keys are generated for each test module (ECC: a fraction of a second) and
the gpg-agents are stopped after."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from protocols.escrow.ryde import GpgKeys

AGENT_UID = "Escrow Agent <agent@escrow.test>"
REGISTRY_UID = "Registry RDE <rde@registry.test>"


@dataclass(frozen=True)
class Keyrings:
    registry: GpgKeys
    agent_home: Path


def _gpg(home: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--no-tty", *args], input=stdin,
                          check=True, capture_output=True).stdout


def _new_key(home: Path, uid: str) -> None:
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "future-default", "default", "never")


@pytest.fixture(scope="module")
def keyrings() -> Iterator[Keyrings]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed (Debian package gnupg)")
    root = Path(tempfile.mkdtemp(prefix="rdegpg"))
    registry, agent = root / "r", root / "a"
    for home in (registry, agent):
        home.mkdir(mode=0o700)
    try:
        _new_key(registry, REGISTRY_UID)
        _new_key(agent, AGENT_UID)
        _gpg(registry, "--import", stdin=_gpg(agent, "--export", "agent@escrow.test"))
        _gpg(agent, "--import", stdin=_gpg(registry, "--export", "rde@registry.test"))
        yield Keyrings(GpgKeys(registry, "agent@escrow.test", "rde@registry.test"), agent)
    finally:
        for home in (registry, agent):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def packets(home: Path, path: Path) -> str:
    """gpg's account of a file's OpenPGP packets and of its decryption (status lines)."""
    listed = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--list-packets", str(path)],
                            capture_output=True, check=False)
    status = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--status-fd", "1", "--output", "/dev/null",
                             "--decrypt", str(path)], capture_output=True, check=False)
    return (listed.stdout + status.stdout).decode(errors="replace")
