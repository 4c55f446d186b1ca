"""Secrets at rest. authInfo values are encrypted with AES-256-GCM (they must be
readable again: the sponsor may ask for them); registrar passwords are hashed with scrypt,
off the event loop (`PasswordHasher`)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

_NONCE = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # about 60 ms and 16 MiB per hash
T = TypeVar("T")


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


# Verified when the registrar is unknown, so that an unknown id costs the same scrypt as a
# wrong password. Its digest is no password's (all zero bytes), so it never matches.
DUMMY_HASH = "scrypt${n}${r}${p}${salt}${digest}".format(
    **_SCRYPT, salt=base64.b64encode(bytes(16)).decode(), digest=base64.b64encode(bytes(32)).decode())


class PasswordHasher:
    """Runs scrypt on a small thread pool of its own, never on the event loop. hashlib.scrypt
    releases the GIL while it works, so the loop keeps serving on its core; `threads` stays
    small (one by default) so that a burst of logins cannot take every core of the machine.
    At most `threads + queued` hashes are handed to the pool at once; further callers wait
    their turn here (a cancelled caller leaves the queue), so a flood of logins builds no
    unbounded backlog of work that must run even after its clients have gone."""

    def __init__(self, threads: int = 1, queued: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scrypt")
        self._slots = asyncio.Semaphore(threads + queued)

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password: str, stored: str) -> bool:
        return await self._run(verify_password, password, stored)

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        try:
            work = self._executor.submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        # the slot is free when the thread is done, not when an impatient caller gives up
        work.add_done_callback(lambda _work: _call_soon(loop, self._slots.release))
        return await asyncio.wrap_future(work)

    def close(self) -> None:
        """Drop hashes not yet started; one in progress finishes in its thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[[], object]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
        loop.call_soon_threadsafe(fn)


class AuditSigner:
    """Signs audit checkpoints with the registry's Ed25519 key (RFC 8032): 32 raw bytes,
    kept outside the database, so whoever can write SQL cannot redo a signature."""

    def __init__(self, private_key: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @staticmethod
    def new_key() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def signature_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
