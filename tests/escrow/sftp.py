"""A real SFTP server on loopback for the delivery tests: asyncssh's server (the agent's
side), chrooted to a folder of the test, with its own host key and one authorised client
key. The client side checks the host key against a known_hosts file, as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from protocols.escrow.delivery import SftpTarget


@dataclass(frozen=True)
class AgentInbox:
    target: SftpTarget
    root: Path  # what the agent received


class _AgentServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True  # authentication required: the authorised key only

    def password_auth_supported(self) -> bool:
        return False


@pytest.fixture
async def agent_inbox(tmp_path: Path) -> AsyncIterator[AgentInbox]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    root = tmp_path / "agent-inbox"
    (root / "deposits").mkdir(parents=True)
    key_file = tmp_path / "id_ed25519"
    client_key.write_private_key(str(key_file))
    key_file.chmod(0o600)
    server = await asyncssh.create_server(
        _AgentServer, "127.0.0.1", 0, server_host_keys=[host_key],
        authorized_client_keys=asyncssh.import_authorized_keys(client_key.export_public_key().decode()),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()))
    port = server.sockets[0].getsockname()[1]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode()}")
    try:
        yield AgentInbox(SftpTarget("127.0.0.1", port, "rde", key_file, known_hosts, "deposits", 10.0), root)
    finally:
        server.close()
        await server.wait_closed()
