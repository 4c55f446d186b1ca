"""TSIG key material (RFC 8945) for the primary: the publisher's UPDATE key and the key the
secondaries transfer with. A key file holds the base64 secret on one line (mode 0600); in
development it is generated on first start, in production the operator provides it."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from protocols.dns.knot_conf import TsigKey

SECRET_BYTES = 32  # RFC 8945 section 6: as long as the HMAC output (SHA-256: 32 octets)


class TsigKeyError(Exception):
    pass


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def read_key(path: Path, name: str) -> TsigKey:
    """The key named `name` whose secret is in `path`; a clear error when it is unusable."""
    try:
        text = path.read_text("ascii").strip()
        raw = base64.b64decode(text, validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error) as exc:
        raise TsigKeyError(f"TSIG key file {path}: {exc}") from exc
    if len(raw) < 16:
        raise TsigKeyError(f"TSIG key file {path}: the secret is {len(raw)} bytes; use at least 16 (RFC 8945)")
    return TsigKey(name, text)


def ensure_key(path: Path, name: str) -> TsigKey:
    """Read the key, creating the file (0600, a fresh secret) when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(new_secret() + "\n")
    return read_key(path, name)
