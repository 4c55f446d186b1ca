"""People and programs that use the consoles and the API, as pure rules: who may do what,
the shape of session tokens, API keys and recovery codes, one-time TOTP codes, and how long
a refused login waits before the next try.

Secrets are never stored: sessions, API keys and recovery codes are kept as SHA-256
digests (they carry 128 bits or more of randomness, so a fast hash is enough), passwords
as scrypt hashes (registry_core/crypto.py), TOTP secrets encrypted."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

REGISTRY_ROLES = ("admin", "support", "finance", "read-only")
REGISTRAR_ROLES = ("owner", "technical", "billing", "read-only")

# What each role may do. Registry staff act on every registrar's objects; a registrar's
# users only on their own registrar's (checked by `allowed`).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({*REGISTRY_ROLES, *REGISTRAR_ROLES}),
    "domains.write": frozenset({"admin", "support", "owner", "technical"}),
    "billing.write": frozenset({"admin", "finance", "owner", "billing"}),
    "billing.view": frozenset({"admin", "finance", "support", "read-only", "owner", "billing"}),
    "notifications.write": frozenset({"admin", "owner", "technical", "billing"}),  # who hears what, by e-mail
    "security.write": frozenset({"admin", "owner"}),  # EPP password, certificates, IP allowlist, API keys
    "users.write": frozenset({"admin", "owner"}),
    "registry.policy": frozenset({"admin"}),  # TLDs, prices, lists, registrars, server statuses
    "registry.support": frozenset({"admin", "support"}),
}

API_KEY_PREFIXES = {"registrar": "rgr_", "registry": "rgy_"}
_API_SECRET_BYTES = 24  # 192 bits
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
TOTP_STEP = 30  # seconds (RFC 6238)
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps before and after now that are still accepted (clock drift)
RECOVERY_CODES = 10
FREE_FAILURES = 3  # refused logins before the delays start
MAX_DELAY = timedelta(minutes=15)


@dataclass(frozen=True)
class Principal:
    """Who acts: a console user or an API key, of the registry (registrar_id None) or of one registrar."""

    kind: str  # "user" | "api_key"
    id: int
    name: str
    role: str
    registrar_id: str | None

    @property
    def staff(self) -> bool:
        return self.registrar_id is None


def role_fits(role: str, registrar_id: str | None) -> bool:
    return role in (REGISTRY_ROLES if registrar_id is None else REGISTRAR_ROLES)


def allowed(who: Principal, permission: str, owner: str | None = None) -> bool:
    """Whether `who` may do `permission` on an object of registrar `owner` (None: not a
    registrar's object, such as a TLD or the registry's own settings)."""
    if who.role not in PERMISSIONS.get(permission, frozenset()):
        return False
    return who.staff or (owner is not None and owner == who.registrar_id)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_session_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _checksum(body: str) -> str:
    return _b32(struct.pack(">I", zlib.crc32(body.encode())))[:6]


def new_api_key(kind: str) -> str:
    """A typed prefix (who it is for, so a leaked key is recognised by secret scanners),
    the random secret, and a checksum that lets a typo be refused without a lookup."""
    body = API_KEY_PREFIXES[kind] + _b32(secrets.token_bytes(_API_SECRET_BYTES))
    return body + "_" + _checksum(body)


def api_key_well_formed(token: str) -> bool:
    body, sep, check = token.rpartition("_")
    if not sep or not any(body.startswith(p) for p in API_KEY_PREFIXES.values()) or len(token) > 100:
        return False
    return hmac.compare_digest(check, _checksum(body))


def api_key_kind(token: str) -> str | None:
    return next((kind for kind, prefix in API_KEY_PREFIXES.items() if token.startswith(prefix)), None)


def api_key_hint(token: str) -> str:
    """What lists show of a key: its prefix and last characters."""
    return f"{token[:4]}...{token[-6:]}"


def new_recovery_codes() -> list[str]:
    return ["-".join(_b32(secrets.token_bytes(5))[i:i + 4] for i in (0, 4)) for _ in range(RECOVERY_CODES)]


def normal_recovery_code(code: str) -> str:
    text = code.strip().lower().replace(" ", "").replace("-", "")
    return f"{text[:4]}-{text[4:]}"


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def _totp_at(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).generate_otp(step))


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP


def accepted_totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step a code belongs to if it is valid now and newer than the last one used
    (each code is accepted once: a code seen by someone looking over a shoulder is spent)."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    current = totp_step(now)
    try:
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
            if (last_step is None or step > last_step) and hmac.compare_digest(_totp_at(secret, step), code):
                return step
    except (binascii.Error, ValueError):  # a damaged secret accepts nothing
        return None
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).provisioning_uri(name=account, issuer_name=issuer)


def login_delay(failures: int) -> timedelta:
    """How long after the latest refusal the next try waits: nothing for the first few,
    then 1 s, 2 s, 4 s ... up to 15 minutes. Never a lockout: the owner gets in after the wait."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_DELAY)
