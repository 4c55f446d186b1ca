"""ICANN's deposit packaging (Registry Data Escrow Specification, "processing of data"):
the XML goes into a tar file, the tar is compressed and encrypted with OpenPGP (RFC 4880)
to the escrow agent's public key (`.ryde`), and the `.ryde` gets a detached signature by
the registry's key (`.sig`). GnuPG does the OpenPGP work, as a subprocess (never on the
event loop); `tar` streams straight into it, so the tar is never written to disk.

The OpenPGP choices are pinned, not left to key preferences, so the agent's tools read the
files whatever its key announces: ZIP compression (algorithm 1), AES-256, SHA-256, binary
(not armored) packets."""

from __future__ import annotations

import asyncio
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

PINNED = ("--compress-algo", "zip", "--cipher-algo", "AES256", "--digest-algo", "SHA256",
          "--s2k-digest-algo", "SHA256", "--s2k-cipher-algo", "AES256", "--no-armor")
# A tar member name or a signature status line from gpg is never longer than this.
MAX_GPG_STDERR = 1 << 16


class PackagingError(Exception):
    """gpg or tar failed; the message holds what it said."""


@dataclass(frozen=True)
class GpgKeys:
    """The keyring (GNUPGHOME) and the keys: the agent's (to encrypt to) and the registry's
    (to sign with, its passphrase in a file or none)."""

    home: Path
    agent_key: str
    signing_key: str
    passphrase_file: Path | None = None

    def base(self) -> list[str]:
        args = ["gpg", "--homedir", str(self.home), "--batch", "--no-tty", "--yes", "--quiet",
                "--trust-model", "always", "--pinentry-mode", "loopback"]
        if self.passphrase_file is not None:
            args += ["--passphrase-file", str(self.passphrase_file)]
        return args


async def _finish(proc: asyncio.subprocess.Process, what: str) -> bytes:
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise PackagingError(f"{what} failed ({proc.returncode}): {err[-MAX_GPG_STDERR:].decode(errors='replace')}")
    return err


async def package(xml: Path, out_dir: Path, stem: str, keys: GpgKeys) -> tuple[Path, Path]:
    """`{stem}.ryde` (tar of the XML, compressed and encrypted) and `{stem}.sig` in `out_dir`."""
    ryde, sig = out_dir / f"{stem}.ryde", out_dir / f"{stem}.sig"
    read_end, write_end = os.pipe()
    try:
        tar = await asyncio.create_subprocess_exec(
            "tar", "--create", "--format=ustar", "--file=-", f"--directory={xml.parent}", xml.name,
            stdout=write_end, stderr=asyncio.subprocess.PIPE)
        os.close(write_end)
        write_end = -1
        gpg = await asyncio.create_subprocess_exec(
            *keys.base(), *PINNED, "--encrypt", "--recipient", keys.agent_key, "--set-filename", f"{stem}.tar",
            "--output", str(ryde), stdin=read_end, stderr=asyncio.subprocess.PIPE)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    await _finish(tar, "tar")
    await _finish(gpg, "gpg --encrypt")
    await sign(ryde, sig, keys)
    return ryde, sig


async def sign(path: Path, sig: Path, keys: GpgKeys) -> None:
    proc = await asyncio.create_subprocess_exec(
        *keys.base(), "--digest-algo", "SHA256", "--local-user", keys.signing_key, "--detach-sign",
        "--output", str(sig), str(path), stderr=asyncio.subprocess.PIPE)
    await _finish(proc, "gpg --detach-sign")


async def verify(path: Path, sig: Path, home: Path) -> str:
    """The fingerprint of the key whose good signature `sig` is over `path`; PackagingError if none."""
    proc = await asyncio.create_subprocess_exec(
        "gpg", "--homedir", str(home), "--batch", "--no-tty", "--status-fd", "1", "--verify", str(sig), str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    for line in out.decode(errors="replace").splitlines():
        parts = line.split()
        if proc.returncode == 0 and parts[:2] == ["[GNUPG:]", "VALIDSIG"] and len(parts) > 2:
            return parts[2]
    raise PackagingError(f"bad or missing signature on {path.name}: {err[-2000:].decode(errors='replace')}")


async def unpack(ryde: Path, out_dir: Path, home: Path) -> Path:
    """Decrypt `ryde` (a key able to in `home`) and extract its one XML file into `out_dir`."""
    tar_path = out_dir / (ryde.stem + ".tar")
    proc = await asyncio.create_subprocess_exec(
        "gpg", "--homedir", str(home), "--batch", "--no-tty", "--yes", "--quiet", "--pinentry-mode", "loopback",
        "--output", str(tar_path), "--decrypt", str(ryde), stderr=asyncio.subprocess.PIPE)
    await _finish(proc, "gpg --decrypt")
    try:
        return await asyncio.to_thread(_extract_one, tar_path, out_dir)
    finally:
        tar_path.unlink(missing_ok=True)


def _extract_one(tar_path: Path, out_dir: Path) -> Path:
    """The single regular .xml member, written under `out_dir` by its base name only (a
    name with a directory or a link is refused: the archive comes from outside)."""
    with tarfile.open(tar_path, "r:") as tar:
        members = tar.getmembers()
        if len(members) != 1 or not members[0].isfile() or not members[0].name.endswith(".xml") \
                or "/" in members[0].name:
            raise PackagingError(f"{tar_path.name}: expected one .xml file, found {[m.name for m in members]}")
        source = tar.extractfile(members[0])
        assert source is not None
        target = out_dir / members[0].name
        with source, open(target, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        return target
