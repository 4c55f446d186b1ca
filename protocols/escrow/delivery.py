"""Delivering deposits to the escrow agent by SFTP (asyncssh), the way ICANN's
specification asks: the .ryde, then its .sig. Each file is uploaded under a temporary name
and renamed once complete, so the agent never picks up half a file; the host key is always
checked against a known_hosts file (never trust on first use); every step has a timeout."""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from protocols.config import Config


class DeliveryError(Exception):
    """The agent's SFTP server could not be reached or refused a file."""


@dataclass(frozen=True)
class SftpTarget:
    host: str
    port: int
    user: str
    key_file: Path  # our SSH private key, mode 0600
    known_hosts: Path  # the agent's host key(s)
    directory: str = ""  # "" = the login directory
    timeout: float = 60.0  # seconds for connecting, and for each file


def sftp_target(config: Config) -> SftpTarget | None:
    cfg = config.escrow
    if not cfg.sftp_host:
        return None
    return SftpTarget(cfg.sftp_host, cfg.sftp_port, cfg.sftp_user, Path(cfg.sftp_key_file),
                      Path(cfg.sftp_known_hosts), cfg.sftp_directory, cfg.sftp_timeout)


async def upload(target: SftpTarget, files: Sequence[Path]) -> list[str]:
    """Upload `files` in order; the remote paths written."""
    try:
        async with asyncio.timeout(target.timeout):
            conn = await asyncssh.connect(target.host, target.port, username=target.user,
                                          client_keys=[str(target.key_file)], known_hosts=str(target.known_hosts),
                                          agent_path=None, password=None)
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise DeliveryError(f"cannot reach {target.user}@{target.host}:{target.port}: {exc}") from exc
    async with conn:
        try:
            async with conn.start_sftp_client() as sftp:
                remote = [await _put(sftp, target, path) for path in files]
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            raise DeliveryError(f"upload to {target.host} failed: {exc}") from exc
    return remote


async def _put(sftp: asyncssh.SFTPClient, target: SftpTarget, path: Path) -> str:
    remote = posixpath.join(target.directory, path.name) if target.directory else path.name
    async with asyncio.timeout(target.timeout):
        await sftp.put(str(path), remote + ".part")
        if await sftp.exists(remote):
            await sftp.remove(remote)  # a resend of the same name replaces it
        await sftp.rename(remote + ".part", remote)
    return remote
