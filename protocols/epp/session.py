"""Per-connection EPP session state (RFC 5730 section 2.9.1)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Session:
    peer_ip: str | None
    fingerprint: str | None  # SHA-256 of the client certificate presented in the TLS handshake
    registrar_id: str | None = None
    obj_uris: frozenset[str] = frozenset()
    ext_uris: frozenset[str] = frozenset()
    failed_logins: int = 0
    started: float = field(default_factory=time.monotonic)
    closing: bool = False

    @property
    def logged_in(self) -> bool:
        return self.registrar_id is not None
