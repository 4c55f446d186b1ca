"""Secrets at rest. authInfo values are encrypted with AES-256-GCM (they must be
readable again: the sponsor may ask for them); registrar passwords are hashed with scrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AuthInfoCipher:
    """Encrypts authInfo with a 32-byte key from config; the object's identity is bound
    as associated data so that a ciphertext cannot be moved to another object."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the authInfo key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> AuthInfoCipher:
        return cls(base64.urlsafe_b64decode(text.encode("ascii")))

    @staticmethod
    def new_key_text() -> str:
        return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")

    def encrypt(self, plaintext: str, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())

    def decrypt(self, blob: bytes, context: str) -> str:
        return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], context.encode()).decode("utf-8")

    def matches(self, blob: bytes | None, candidate: str, context: str) -> bool:
        if blob is None:
            return False
        return hmac.compare_digest(self.decrypt(blob, context).encode(), candidate.encode())


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), dklen=32,
                            n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(actual, base64.b64decode(digest))
