"""The audit signing key and the periodic checkpoint: `registry serve` signs every lane's
head of the history's hash chains every [audit] checkpoint_interval seconds."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
from pathlib import Path

from protocols.config import Config, ConfigError
from registry_core.context import Core
from registry_core.crypto import AuditSigner
from registry_core.errors import DatabaseUnavailable
from registry_core.services import audit

_log = logging.getLogger("registry.audit")


def signing_key_path(config: Config) -> Path:
    return Path(config.audit.signing_key_file or Path(config.paths.var) / "audit" / "signing.key")


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(AuditSigner.new_key()).decode() + "\n")
    try:
        os.link(temporary, path)  # whoever links first wins; a second process reads that key
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def audit_signer(config: Config) -> AuditSigner:
    """The configured key; in development (no key file configured) one is created on first use."""
    path = signing_key_path(config)
    if not path.exists():
        if config.audit.signing_key_file:
            raise ConfigError(f"audit.signing_key_file: {path} does not exist")
        _create_key(path)
        _log.warning("generated a new audit signing key in %s; keep it safe and off this machine's backups "
                     "of the database", path)
    try:
        return AuditSigner(base64.b64decode(path.read_text("ascii").strip(), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{path}: not a base64 Ed25519 private key ({exc})") from exc


def trusted_keys(config: Config, signer: AuditSigner) -> set[bytes]:
    try:
        earlier = {base64.b64decode(key, validate=True) for key in config.audit.trusted_keys}
    except binascii.Error as exc:
        raise ConfigError(f"audit.trusted_keys: not base64 ({exc})") from exc
    return earlier | {signer.public_key}


async def run_checkpoints_forever(core: Core, signer: AuditSigner, interval: float) -> None:
    """A checkpoint now, then one every `interval` seconds; an outage waits for the next."""
    while True:
        try:
            checkpoint = await audit.write_checkpoint(core, signer)
            _log.info("audit checkpoint %d: %d history rows, root %s", checkpoint.id, checkpoint.rows,
                      checkpoint.root.hex())
        except DatabaseUnavailable as exc:
            _log.warning("audit checkpoint skipped: %s", exc)
        await asyncio.sleep(interval)
