"""DKIM signatures (RFC 6376) with dkimpy: rsa-sha256, relaxed/simple canonicalization
(section 3.4: relaxed headers survive refolding by relays; the body is ours, byte-exact).

The key is read and parsed once at start-up. Signing is an RSA private-key operation in
pure Python (dkimpy), milliseconds per message: callers run it on a thread."""

from __future__ import annotations

from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key


class DkimKeyProblem(Exception):
    """The key file cannot be read or is not a PEM RSA private key, or dkimpy refused to sign."""


class DkimSigner:
    def __init__(self, key_file: Path, selector: str, domain: str = "") -> None:
        self.key_file, self.selector, self.domain = key_file, selector, domain
        self._key = b""

    def load(self) -> None:
        if not self.selector:
            raise DkimKeyProblem("mail.dkim_selector is required with mail.dkim_key_file")
        try:
            key = self.key_file.read_bytes()
            parse_pem_private_key(key)
        except (OSError, UnparsableKeyError, ValueError) as exc:
            raise DkimKeyProblem(f"DKIM key {self.key_file}: {exc}") from exc
        self._key = key

    def signed(self, message: bytes, from_domain: str) -> bytes:
        """`message` (CRLF lines) with a DKIM-Signature header in front, for d= our domain
        (or the From's: each TLD's sender signs as itself, with the same selector and key)."""
        domain = (self.domain or from_domain).encode("ascii")
        try:
            header = dkim.sign(message, self.selector.encode("ascii"), domain, self._key,
                               canonicalize=(b"relaxed", b"simple"))
        except dkim.DKIMException as exc:
            raise DkimKeyProblem(f"DKIM signing for d={domain.decode()}: {exc}") from exc
        return header + message
