"""Single sign-on through OpenID Connect identity providers: the registry's own (staff, set
in the config) and each registrar's (`registry registrar sso`, the client secret encrypted
at rest). The web layer speaks to the provider; this service keeps the settings, the
sign-ins in flight (state, nonce, PKCE verifier: bound to a pre-session, used once, short-
lived) and opens the session once the provider has vouched for a verified email that
belongs to an existing user of that registrar (or of the registry). Roles stay ours."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from registry_core.context import Core
from registry_core.db.repo import objects
from registry_core.db.repo import sso as repo
from registry_core.db.tx import Tx
from registry_core.errors import AuthenticationFailed, InvalidValue, PermissionDenied
from registry_core.model import accounts as rules
from registry_core.model.actor import Actor
from registry_core.services.accounts import SignIn, _open_session

ATTEMPT_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Provider:
    """Where and as whom to ask: an identity provider and our client at it."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email"


@dataclass(frozen=True)
class Attempt:
    """A sign-in in flight, as the callback finds it again."""

    registrar_id: str | None
    nonce: str
    code_verifier: str


def _secret_context(registrar_id: str) -> str:
    return f"sso:{registrar_id}"


def _check_owner(by: rules.Principal | None, registrar_id: str) -> Actor:
    """The actor of a change of `registrar_id`'s provider: the CLI (by None), or a user
    allowed to change that registrar's security settings (its owner, or a registry admin)."""
    if by is None:
        return Actor(registrar_id, "cli", None)
    if not rules.allowed(by, "security.write", registrar_id):
        raise PermissionDenied("only the registrar's owner sets its identity provider", object_type="registrar",
                               name=registrar_id)
    return Actor(registrar_id, f"CON-U{by.id}", None, ((by.kind, by.name),))


async def set_registrar_provider(core: Core, registrar_id: str, provider: Provider,
                                 by: rules.Principal | None = None) -> None:
    """Set (or replace) a registrar's identity provider; audited without the secret."""
    actor = _check_owner(by, registrar_id)
    if not provider.issuer.startswith(("https://", "http://")) or not provider.client_id or not provider.client_secret:
        raise InvalidValue("an issuer URL, a client id and a client secret are needed", object_type="registrar",
                           name=registrar_id)

    async def run(tx: Tx) -> None:
        values = {"registrar_id": registrar_id, "issuer": provider.issuer.rstrip("/"), "client_id": provider.client_id,
                  "client_secret": core.cipher.encrypt(provider.client_secret, _secret_context(registrar_id)),
                  "scopes": provider.scopes, "updated_at": tx.now}
        await repo.upsert_registrar_sso(tx.conn, values)
        await objects.insert_history(tx.conn, actor, tx.now, "registrar", None,
                                     registrar_id, "sso-set", None,
                                     {k: v for k, v in values.items() if k != "client_secret"})
    await core.db.transaction(run)


async def remove_registrar_provider(core: Core, registrar_id: str, by: rules.Principal | None = None) -> bool:
    actor = _check_owner(by, registrar_id)

    async def run(tx: Tx) -> bool:
        removed = await repo.delete_registrar_sso(tx.conn, registrar_id)
        if removed:
            await objects.insert_history(tx.conn, actor, tx.now, "registrar", None,
                                         registrar_id, "sso-remove", None, None)
        return removed
    return await core.db.transaction(run)


async def registrar_provider_settings(core: Core, who: rules.Principal, registrar_id: str) -> dict | None:
    """What the owner's page shows of the provider: issuer, client id, scopes (never the secret)."""
    _check_owner(who, registrar_id)
    row = await core.db.transaction(lambda tx: repo.fetch_registrar_sso(tx.conn, registrar_id), readonly=True)
    return None if row is None else {k: row[k] for k in ("issuer", "client_id", "scopes")}


async def registrar_provider(core: Core, registrar_id: str) -> Provider | None:
    row = await core.db.transaction(lambda tx: repo.fetch_registrar_sso(tx.conn, registrar_id), readonly=True)
    if row is None:
        return None
    secret = core.cipher.decrypt(row["client_secret"], _secret_context(registrar_id))
    return Provider(row["issuer"], row["client_id"], secret, row["scopes"])


async def begin_attempt(core: Core, pre_session: str, registrar_id: str | None) -> tuple[str, Attempt]:
    """A new state (returned, stored only as a digest) with its nonce and PKCE verifier."""
    state, attempt = secrets.token_urlsafe(32), Attempt(registrar_id, secrets.token_urlsafe(32),
                                                        secrets.token_urlsafe(48))

    async def run(tx: Tx) -> None:
        await repo.delete_stale_attempts(tx.conn, tx.now - ATTEMPT_TTL)
        await repo.insert_attempt(tx.conn, {"state_digest": rules.digest(state),
                                            "pre_session_digest": rules.digest(pre_session),
                                            "registrar_id": registrar_id, "nonce": attempt.nonce,
                                            "code_verifier": attempt.code_verifier, "created_at": tx.now})
    await core.db.transaction(run)
    return state, attempt


async def take_attempt(core: Core, state: str, pre_session: str) -> Attempt:
    """The attempt of `state`, used up whatever happens next; refused when unknown, used,
    stale, or started by another browser (another pre-session)."""
    async def run(tx: Tx) -> tuple[dict | None, bool]:
        row = await repo.take_attempt(tx.conn, rules.digest(state))
        return row, row is not None and tx.now - row["created_at"] >= ATTEMPT_TTL
    row, stale = await core.db.transaction(run)
    if row is None or not secrets.compare_digest(row["pre_session_digest"], rules.digest(pre_session)):
        raise AuthenticationFailed("this sign-in is unknown, already used or from another browser", object_type="sso")
    if stale:
        raise AuthenticationFailed("this sign-in took too long; start again", object_type="sso")
    return Attempt(row["registrar_id"], row["nonce"], row["code_verifier"])


@dataclass(frozen=True)
class Identity:
    """What a provider vouched for, after the ID token was checked."""

    issuer: str
    subject: str
    email: str
    strong: bool  # the provider's own authentication counts as our second factor


async def sign_in(core: Core, registrar_id: str | None, identity: Identity, ip: str | None,
                  user_agent: str = "") -> SignIn:
    """Open a session for the one live user of `registrar_id` (staff when None) with the
    identity's verified email: trusted at once when the provider's authentication was
    strong, else still waiting for our second factor. Audited either way."""
    users = await core.db.transaction(lambda tx: repo.fetch_users_by_email(tx.conn, identity.email, registrar_id),
                                      readonly=True)
    live = [u for u in users if u["disabled_at"] is None]
    if len(live) != 1:
        await _audit(core, registrar_id, None, identity, "no such user" if not live else "several users")
        raise AuthenticationFailed("no user with this email is invited here; ask an administrator to invite you",
                                   object_type="user")
    signed = await _open_session(core, live[0], ip, user_agent, trusted=identity.strong,
                                 sso_issuer=identity.issuer)
    await _audit(core, registrar_id, live[0], identity, None)
    return signed


async def record_refusal(core: Core, registrar_id: str | None, identity: Identity, why: str) -> None:
    """A single sign-on refused before a user was looked for (e.g. an unverified email), in the history."""
    await _audit(core, registrar_id, None, identity, why)


async def _audit(core: Core, registrar_id: str | None, user: dict | None, identity: Identity,
                 refused: str | None) -> None:
    after = {"issuer": identity.issuer, "subject": identity.subject, "email": identity.email,
             "trusted": identity.strong and refused is None, "refused": refused}

    async def run(tx: Tx) -> None:
        await objects.insert_history(tx.conn, Actor(registrar_id or "", "console", None), tx.now, "user",
                                     user["id"] if user else None, user["login"] if user else identity.email,
                                     "sso-sign-in", None, after)
    await core.db.transaction(run)
