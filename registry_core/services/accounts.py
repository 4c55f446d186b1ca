"""Console users, their sign-in (password, then a second factor: every human has one),
their sessions and the API keys of programs. The consoles and the API call these; the
rules are in registry_core/model/accounts.py.

Sign-in: `sign_in` checks the password off the event loop and opens a session that is not
yet trusted; `verify_second_factor` (a TOTP code or a recovery code) makes it trusted, or
`confirm_totp` does after a first enrolment. `session_principal` answers who a session
is, only for trusted, live sessions. A refused try counts against the account and the
client address; after a few the next try waits longer and longer (never a lockout)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from registry_core.context import Core
from registry_core.crypto import DUMMY_HASH
from registry_core.db.repo import accounts as repo
from registry_core.db.repo import objects
from registry_core.db.tx import Tx
from registry_core.errors import AuthenticationFailed, InvalidValue, LoginDelayed, PermissionDenied
from registry_core.model import accounts as rules
from registry_core.model.accounts import Principal
from registry_core.model.actor import Actor

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
REAUTH_WINDOW = timedelta(minutes=5)  # a sensitive change needs a proof of identity this recent
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often per session
THROTTLE_RESET = timedelta(hours=1)
_DELAYS = [rules.login_delay(n).total_seconds() for n in range(1, rules.FREE_FAILURES + 12)]


@dataclass(frozen=True)
class NewUser:
    login: str
    email: str
    role: str
    registrar_id: str | None = None  # None: registry staff
    display_name: str = ""
    password: str | None = None  # None: single sign-on only


@dataclass(frozen=True)
class SignIn:
    """A session opened by a password or single sign-on: `second_factor` says what it still
    needs ("passkey", "totp", "enrol" when the user has no second factor yet, or "none")."""

    token: str
    csrf_token: str
    user_id: int
    second_factor: str


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str


@dataclass(frozen=True)
class NewApiKey:
    id: int
    token: str  # shown once
    hint: str


def _actor(who: Principal | None, sv_trid: str) -> Actor:
    if who is None:
        return Actor("", sv_trid, None)
    return Actor(who.registrar_id or "", sv_trid, None, ((who.kind, who.name),))


async def add_user(core: Core, new: NewUser, by: Principal | None = None) -> int:
    """A console user (by an admin, a registrar's owner, or the CLI when `by` is None)."""
    login = new.login.strip().lower()
    if not rules.role_fits(new.role, new.registrar_id):
        raise InvalidValue(f"role {new.role!r} is not a {'registry' if new.registrar_id is None else 'registrar'} "
                           "role", object_type="user", name=login)
    if by is not None and not rules.allowed(by, "users.write", new.registrar_id):
        raise PermissionDenied("only an admin or the registrar's owner adds users", object_type="user", name=login)
    password_hash = await core.passwords.hash(new.password) if new.password else None

    async def run(tx: Tx) -> int:
        values = {"login": login, "email": new.email, "display_name": new.display_name, "role": new.role,
                  "registrar_id": new.registrar_id, "password_hash": password_hash, "created_at": tx.now}
        user_id = await repo.insert_user(tx.conn, values)
        await objects.insert_history(tx.conn, _actor(by, "console"), tx.now, "user", user_id, login, "create",
                                     None, {k: v for k, v in values.items() if k != "password_hash"})
        return user_id
    return await core.db.transaction(run)


async def set_totp_secret(core: Core, login: str, secret: str) -> None:
    """Give a user a known TOTP secret (the demo users, whose secrets the README prints;
    never for real accounts, which enrol their own)."""
    async def run(tx: Tx) -> None:
        user = await repo.fetch_user_by_login(tx.conn, login, lock=True)
        if user is None:
            raise InvalidValue("no such user", object_type="user", name=login)
        await repo.update_user(tx.conn, user["id"], {"totp_secret": core.cipher.encrypt(secret, _context(user)),
                                                     "totp_pending": None})
    await core.db.transaction(run)


async def list_users(core: Core, who: Principal, registrar_id: str | None) -> list[dict]:
    """The users of a registrar (or the registry's staff), without any secret."""
    if not rules.allowed(who, "view", registrar_id) or (registrar_id is None and not who.staff):
        raise PermissionDenied("not this registrar's users", object_type="user")
    return await core.db.transaction(lambda tx: repo.fetch_users(tx.conn, registrar_id), readonly=True)


def temporary_password() -> str:
    """A first password for an invited user (shown once; the user signs in and enrols TOTP)."""
    return "Tmp-" + rules.new_session_token()


# --- signing in ----------------------------------------------------------------------------
def _throttle_keys(login: str, ip: str | None) -> list[str]:
    return [f"user:{login}"] + ([f"ip:{ip}"] if ip else [])


async def _refuse(core: Core, keys: Sequence[str], why: str) -> AuthenticationFailed:
    async def run(tx: Tx) -> None:
        for key in keys:
            await repo.record_failure(tx.conn, key, tx.now, _DELAYS, THROTTLE_RESET.total_seconds())
    await core.db.transaction(run)
    return AuthenticationFailed(why, object_type="user")


async def _check_throttle(core: Core, keys: Sequence[str]) -> None:
    async def run(tx: Tx) -> float:
        until = await repo.fetch_throttle(tx.conn, keys)
        return 0.0 if until is None else (until - tx.now).total_seconds()
    wait = await core.db.transaction(run, readonly=True)
    if wait > 0:
        raise LoginDelayed(retry_after=wait)


async def sign_in(core: Core, login: str, password: str, ip: str | None, user_agent: str = "") -> SignIn:
    """Check the password (scrypt, in the hasher's thread, outside any transaction) and open
    an untrusted session. Wrong login and wrong password look the same from outside."""
    login = login.strip().lower()
    keys = _throttle_keys(login, ip)
    await _check_throttle(core, keys)
    user = await core.db.transaction(lambda tx: repo.fetch_user_by_login(tx.conn, login), readonly=True)
    stored = user["password_hash"] if user and user["password_hash"] else DUMMY_HASH  # unknown: a hash too
    matched = await core.passwords.verify(password, stored)
    if user is None or not matched or user["password_hash"] is None or user["disabled_at"] is not None:
        raise await _refuse(core, keys, "wrong login or password")
    return await _open_session(core, user, ip, user_agent)


async def _open_session(core: Core, user: dict, ip: str | None, user_agent: str, *, trusted: bool = False,
                        sso_issuer: str | None = None) -> SignIn:
    """A new session of `user`; `trusted` when its second factor is already proved (single
    sign-on whose provider vouched for one); `sso_issuer`: the provider that opened it."""
    token, csrf = rules.new_session_token(), rules.new_session_token()

    async def run(tx: Tx) -> SignIn:
        await repo.clear_throttle(tx.conn, f"user:{user['login']}")
        await repo.insert_session(tx.conn, {"token_digest": rules.digest(token), "user_id": user["id"],
                                            "created_at": tx.now, "expires_at": tx.now + ABSOLUTE_TIMEOUT,
                                            "csrf_token": csrf, "ip": ip, "user_agent": user_agent[:300],
                                            "sso_issuer": sso_issuer})
        if trusted:
            await repo.touch_session(tx.conn, rules.digest(token), tx.now, mfa=True)
            return SignIn(token, csrf, user["id"], "none")
        factor = "totp" if user["totp_secret"] else "enrol"
        if await repo.fetch_passkeys(tx.conn, user["id"]):
            factor = "passkey"
        return SignIn(token, csrf, user["id"], factor)
    return await core.db.transaction(run)


async def session_row(tx: Tx, token: str) -> dict:
    """The live session of `token` (second factor or not), else AuthenticationFailed."""
    row = await repo.fetch_session(tx.conn, rules.digest(token))
    if row is None or row["ended_at"] is not None or row["disabled_at"] is not None:
        raise AuthenticationFailed("not signed in", object_type="session")
    if tx.now >= row["expires_at"] or tx.now - row["last_seen_at"] >= IDLE_TIMEOUT:
        raise AuthenticationFailed("the session has expired; sign in again", object_type="session")
    return row


async def begin_totp_enrolment(core: Core, token: str, issuer: str) -> TotpEnrolment:
    """A new TOTP secret for the session's user, pending until a code from it is confirmed.
    Only a user without a second factor, or one who has just proved theirs, may enrol."""
    secret = rules.new_totp_secret()

    async def run(tx: Tx) -> TotpEnrolment:
        session = await session_row(tx, token)
        user = await repo.fetch_user_by_id(tx.conn, session["user_id"], lock=True)
        assert user is not None
        if user["totp_secret"] is not None and not recently_proved(session, tx.now):
            raise PermissionDenied("prove your current second factor first", object_type="user", name=user["login"])
        await repo.update_user(tx.conn, user["id"], {"totp_pending": core.cipher.encrypt(secret, _context(user))})
        return TotpEnrolment(secret, rules.provisioning_uri(secret, user["login"], issuer))
    return await core.db.transaction(run)


def _context(user: dict) -> str:
    return f"totp:{user['id']}"


def recently_proved(session: dict, now: datetime) -> bool:
    proved = max(filter(None, (session["mfa_at"], session["reauth_at"])), default=None)
    return proved is not None and now - proved < REAUTH_WINDOW


async def confirm_totp(core: Core, token: str, code: str, ip: str | None = None) -> list[str]:
    """The pending secret becomes the user's once a code from it is right; the session is
    trusted; fresh recovery codes are returned (shown once, stored as digests)."""
    codes = rules.new_recovery_codes()

    async def run(tx: Tx) -> tuple[list[str] | None, str]:
        session = await session_row(tx, token)
        user = await repo.fetch_user_by_id(tx.conn, session["user_id"], lock=True)
        assert user is not None
        if user["totp_pending"] is None:
            raise InvalidValue("no TOTP enrolment in progress", object_type="user", name=user["login"])
        secret = core.cipher.decrypt(user["totp_pending"], _context(user))
        step = rules.accepted_totp_step(secret, code, tx.now, None)
        if step is None:
            return None, user["login"]
        await repo.update_user(tx.conn, user["id"], {"totp_secret": user["totp_pending"], "totp_pending": None,
                                                     "totp_last_step": step})
        await repo.replace_recovery_codes(tx.conn, user["id"], [rules.digest(rules.normal_recovery_code(c))
                                                                for c in codes])
        await repo.touch_session(tx.conn, session["token_digest"], tx.now, mfa=True)
        await objects.insert_history(tx.conn, Actor(user["registrar_id"] or "", "console", None), tx.now, "user",
                                     user["id"], user["login"], "mfa-enrol", None, {"factor": "totp"})
        return codes, user["login"]
    confirmed, login = await core.db.transaction(run)
    if confirmed is None:
        raise await _refuse(core, _throttle_keys(login, ip), "wrong code")
    return confirmed


async def verify_second_factor(core: Core, token: str, code: str, ip: str | None = None,
                               *, reauth: bool = False) -> None:
    """A TOTP code (each accepted once) or an unused recovery code makes the session
    trusted (or, with reauth, proves the user again before a sensitive change)."""
    async def run(tx: Tx) -> str | None:
        session = await session_row(tx, token)
        user = await repo.fetch_user_by_id(tx.conn, session["user_id"], lock=True)
        assert user is not None
        keys = _throttle_keys(user["login"], ip)
        until = await repo.fetch_throttle(tx.conn, keys)
        if until is not None and until > tx.now:
            raise LoginDelayed(retry_after=(until - tx.now).total_seconds())
        if not await _second_factor_matches(tx, core, user, code):
            return user["login"]
        await repo.touch_session(tx.conn, session["token_digest"], tx.now, mfa=not reauth, reauth=reauth)
        return None
    refused_login = await core.db.transaction(run)
    if refused_login is not None:
        raise await _refuse(core, _throttle_keys(refused_login, ip), "wrong code")


async def _second_factor_matches(tx: Tx, core: Core, user: dict, code: str) -> bool:
    if user["totp_secret"] is not None:
        secret = core.cipher.decrypt(user["totp_secret"], _context(user))
        step = rules.accepted_totp_step(secret, code, tx.now, user["totp_last_step"])
        if step is not None:
            await repo.update_user(tx.conn, user["id"], {"totp_last_step": step})
            return True
    if len(code.strip()) >= 8:  # recovery codes are xxxx-xxxx
        return await repo.use_recovery_code(tx.conn, user["id"], rules.digest(rules.normal_recovery_code(code)),
                                            tx.now)
    return False


@dataclass(frozen=True)
class SessionView:
    """A live session as the web apps see it: who, its CSRF token, and whether the second
    factor was given (`trusted`); `has_totp` says which second-factor page to show."""

    principal: Principal
    csrf_token: str
    trusted: bool
    has_totp: bool
    has_passkey: bool = False

    @property
    def has_factor(self) -> bool:
        return self.has_totp or self.has_passkey


async def session_view(core: Core, token: str, *, sensitive: bool = False) -> SessionView:
    """The live session of `token` (AuthenticationFailed when there is none: sign in again);
    PermissionDenied when `sensitive` and the user has not proved itself in the last minutes."""
    async def run(tx: Tx) -> SessionView:
        session = await session_row(tx, token)
        if sensitive and not recently_proved(session, tx.now):
            raise PermissionDenied("confirm it is you (password or code) before this change", object_type="session")
        if tx.now - session["last_seen_at"] >= TOUCH_EVERY:
            await repo.touch_session(tx.conn, session["token_digest"], tx.now)
        who = Principal("user", session["user_id"], session["login"], session["role"], session["registrar_id"])
        return SessionView(who, session["csrf_token"], session["mfa_at"] is not None, session["has_totp"],
                           session["has_passkey"])
    return await core.db.transaction(run)


async def session_principal(core: Core, token: str, *, sensitive: bool = False) -> Principal:
    """Who a trusted, live session is; AuthenticationFailed when it is not (sign in again,
    or the second factor is still missing)."""
    view = await session_view(core, token, sensitive=sensitive)
    if not view.trusted:
        raise AuthenticationFailed("the second factor is still missing", object_type="session")
    return view.principal


async def sign_out(core: Core, token: str) -> str | None:
    """End the session; the issuer of the identity provider that opened it, if one did."""
    async def run(tx: Tx) -> str | None:
        row = await repo.fetch_session(tx.conn, rules.digest(token))
        if row is None:
            return None
        await repo.end_sessions(tx.conn, row["user_id"], tx.now, token_digest=row["token_digest"])
        return row["sso_issuer"]
    return await core.db.transaction(run)


async def end_other_sessions(core: Core, token: str) -> int:
    """End every session of the signed-in user but this one (e.g. after a password change)."""
    async def run(tx: Tx) -> int:
        session = await session_row(tx, token)
        return await repo.end_sessions(tx.conn, session["user_id"], tx.now, keep=session["token_digest"])
    return await core.db.transaction(run)


async def live_sessions(core: Core, user_id: int) -> list[dict]:
    return await core.db.transaction(lambda tx: repo.fetch_live_sessions(tx.conn, user_id, tx.now, IDLE_TIMEOUT),
                                     readonly=True)


async def remaining_recovery_codes(core: Core, user_id: int) -> int:
    return await core.db.transaction(lambda tx: repo.count_recovery_codes(tx.conn, user_id), readonly=True)


# --- API keys ------------------------------------------------------------------------------
async def create_api_key(core: Core, by: Principal, name: str, role: str, *, registrar_id: str | None,
                         scopes: Sequence[str] = (), allowed_ips: Sequence[str] = (),
                         expires_at: datetime | None = None) -> NewApiKey:
    """A key for the registrar (or the registry); its secret is returned once and stored as a digest."""
    if not rules.allowed(by, "security.write", registrar_id) or not rules.role_fits(role, registrar_id):
        raise PermissionDenied("this user may not create that key", object_type="api_key", name=name)
    token = rules.new_api_key("registry" if registrar_id is None else "registrar")
    hint = rules.api_key_hint(token)

    async def run(tx: Tx) -> NewApiKey:
        values = {"key_digest": rules.digest(token), "hint": hint, "name": name,
                  "registrar_id": registrar_id, "role": role, "scopes": scopes, "allowed_ips": allowed_ips,
                  "created_by": by.id if by.kind == "user" else None, "created_at": tx.now, "expires_at": expires_at}
        key_id = await repo.insert_api_key(tx.conn, values)
        await objects.insert_history(tx.conn, _actor(by, "console"), tx.now, "api_key", key_id, name, "create", None,
                                     {k: v for k, v in values.items() if k != "key_digest"})
        return NewApiKey(key_id, token, hint)
    return await core.db.transaction(run)


async def api_key_principal(core: Core, token: str, ip: str | None) -> Principal:
    """Who an API key is; one statement that also records its use."""
    if not rules.api_key_well_formed(token):
        raise AuthenticationFailed("not an API key", object_type="api_key")

    async def run(tx: Tx) -> Principal:
        row = await repo.use_api_key(tx.conn, rules.digest(token), tx.now, ip)
        if row is None:
            raise AuthenticationFailed("unknown, revoked or expired API key, or not from this address",
                                       object_type="api_key")
        return Principal("api_key", row["id"], row["name"], row["role"], row["registrar_id"])
    return await core.db.transaction(run)


async def revoke_api_key(core: Core, by: Principal, key_id: int, registrar_id: str | None) -> None:
    if not rules.allowed(by, "security.write", registrar_id):
        raise PermissionDenied("this user may not revoke keys", object_type="api_key", name=str(key_id))

    async def run(tx: Tx) -> None:
        row = await repo.revoke_api_key(tx.conn, key_id, registrar_id, tx.now)
        if row is None:
            raise InvalidValue("no such live key", object_type="api_key", name=str(key_id))
        await objects.insert_history(tx.conn, _actor(by, "console"), tx.now, "api_key", key_id, row["name"],
                                     "revoke", None, {"hint": row["hint"]})
    await core.db.transaction(run)


async def api_keys(core: Core, registrar_id: str | None) -> list[dict]:
    return await core.db.transaction(lambda tx: repo.fetch_api_keys(tx.conn, registrar_id), readonly=True)
