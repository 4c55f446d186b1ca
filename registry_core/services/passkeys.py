"""Passkeys (WebAuthn) as the second factor: the first choice, with TOTP as the fallback.
The web layer runs the ceremonies (protocols/web/passkeys.py checks the authenticator's
signatures with the `webauthn` package); this keeps what they need: one challenge per
session, used once and for five minutes at most; the users' credentials; and the result,
a trusted session. A passkey registered as the user's first second factor also gives
the recovery codes, shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import accounts as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import AuthenticationFailed, PermissionDenied
from registry_core.model import accounts as rules
from registry_core.model.actor import Actor
from registry_core.services.accounts import recently_proved, session_row

CHALLENGE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Ceremony:
    """Who a ceremony is for: the user, and the passkeys they already have."""

    user_id: int
    login: str
    display_name: str
    passkeys: tuple[dict[str, Any], ...]  # credential_id, public_key, sign_count, transports


async def begin(core: Core, token: str, challenge: bytes, *, registering: bool) -> Ceremony:
    """Store the session's challenge. Registering is for a user with no second factor yet
    (first sign-in) or one who has just proved theirs; signing in needs a passkey."""
    async def run(tx: Tx) -> Ceremony:
        session = await session_row(tx, token)
        user = await repo.fetch_user_by_id(tx.conn, session["user_id"])
        assert user is not None
        keys = tuple(await repo.fetch_passkeys(tx.conn, user["id"]))
        has_factor = bool(keys) or user["totp_secret"] is not None
        if registering and has_factor and not recently_proved(session, tx.now):
            raise PermissionDenied("prove your current second factor first", object_type="passkey")
        if not registering and not keys:
            raise AuthenticationFailed("no passkey registered for this user", object_type="passkey")
        await repo.set_challenge(tx.conn, session["token_digest"], challenge, tx.now)
        return Ceremony(user["id"], user["login"], user["display_name"] or user["login"], keys)
    return await core.db.transaction(run)


async def take_challenge(core: Core, token: str) -> bytes:
    """The session's challenge, now spent; AuthenticationFailed when there is none or it is stale."""
    async def run(tx: Tx) -> bytes:
        session = await session_row(tx, token)
        found = await repo.take_challenge(tx.conn, session["token_digest"])
        if found is None or tx.now - found[1] > CHALLENGE_TTL:
            raise AuthenticationFailed("no passkey ceremony in progress (or it took too long)", object_type="passkey")
        return found[0]
    return await core.db.transaction(run)


async def register(core: Core, token: str, credential: dict[str, Any]) -> list[str] | None:
    """Keep a verified credential; the session is trusted. Recovery codes when it is the
    user's first second factor, else None."""
    codes = rules.new_recovery_codes()

    async def run(tx: Tx) -> list[str] | None:
        session = await session_row(tx, token)
        user = await repo.fetch_user_by_id(tx.conn, session["user_id"], lock=True)
        assert user is not None
        first = user["totp_secret"] is None and not await repo.fetch_passkeys(tx.conn, user["id"])
        await repo.insert_passkey(tx.conn, user["id"], credential, tx.now)
        if first:
            await repo.replace_recovery_codes(tx.conn, user["id"], [rules.digest(rules.normal_recovery_code(c))
                                                                    for c in codes])
        await repo.touch_session(tx.conn, session["token_digest"], tx.now, mfa=True)
        await objects.insert_history(tx.conn, Actor(user["registrar_id"] or "", "console", None), tx.now, "user",
                                     user["id"], user["login"], "mfa-enrol", None,
                                     {"factor": "passkey", "name": credential["name"]})
        return codes if first else None
    return await core.db.transaction(run)


async def credential(core: Core, token: str, credential_id: bytes) -> dict[str, Any]:
    """One of the session user's passkeys (public key and counter), else AuthenticationFailed."""
    async def run(tx: Tx) -> dict[str, Any]:
        session = await session_row(tx, token)
        for key in await repo.fetch_passkeys(tx.conn, session["user_id"]):
            if bytes(key["credential_id"]) == credential_id:
                return key
        raise AuthenticationFailed("not one of this user's passkeys", object_type="passkey")
    return await core.db.transaction(run, readonly=True)


async def signed_in(core: Core, token: str, credential_id: bytes, sign_count: int, *, reauth: bool = False) -> None:
    """A verified assertion: the session is trusted (or re-proved). A signature counter
    that did not move forward means a cloned authenticator: refused (both zero: the
    authenticator keeps no counter)."""
    async def run(tx: Tx) -> None:
        session = await session_row(tx, token)
        known = {k["credential_id"]: k for k in await repo.fetch_passkeys(tx.conn, session["user_id"])}
        key = known.get(credential_id)
        if key is None:
            raise AuthenticationFailed("not one of this user's passkeys", object_type="passkey")
        if (sign_count or key["sign_count"]) and sign_count <= key["sign_count"]:
            raise AuthenticationFailed("the passkey's counter went back: refused as a possible clone",
                                       object_type="passkey")
        await repo.use_passkey(tx.conn, session["user_id"], credential_id, sign_count, tx.now)
        await repo.touch_session(tx.conn, session["token_digest"], tx.now, mfa=not reauth, reauth=reauth)
    await core.db.transaction(run)
