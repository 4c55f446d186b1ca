"""Console users and API keys: the rules on values (RFC 6238's own test vectors for TOTP,
the shape and checksum of API keys, growing login delays, who may do what), then sign-in,
the second factor, sessions and keys against the real database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from registry_core.context import Core
from registry_core.errors import AuthenticationFailed, InvalidValue, LoginDelayed, PermissionDenied
from registry_core.model import accounts as rules
from registry_core.model.accounts import Principal
from registry_core.services import accounts
from tests.conftest import TestClock, fetch

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 appendix B, SHA-1


@pytest.mark.parametrize(("unix", "code"), [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"),
                                            (2000000000, "279037")])
def test_totp_codes_are_rfc_6238s(unix: int, code: str) -> None:
    at = datetime.fromtimestamp(unix, UTC)
    assert rules.accepted_totp_step(RFC_SECRET, code, at, None) == rules.totp_step(at)


def test_a_totp_code_counts_once_and_only_near_its_time() -> None:
    at = datetime.fromtimestamp(59, UTC)
    step = rules.totp_step(at)
    assert rules.accepted_totp_step(RFC_SECRET, "287082", at, last_step=step) is None  # spent
    assert rules.accepted_totp_step(RFC_SECRET, "287082", at + timedelta(seconds=30), None) == step  # drift
    assert rules.accepted_totp_step(RFC_SECRET, "287082", at + timedelta(seconds=90), None) is None
    assert rules.accepted_totp_step(RFC_SECRET, "28708", at, None) is None
    assert rules.accepted_totp_step("not base32!", "287082", at, None) is None


def test_api_keys_are_typed_checked_and_shown_by_a_hint() -> None:
    key = rules.new_api_key("registrar")
    assert key.startswith("rgr_") and rules.api_key_well_formed(key) and rules.api_key_kind(key) == "registrar"
    typo = key[:10] + ("a" if key[10] != "a" else "b") + key[11:]
    assert not rules.api_key_well_formed(typo)
    assert not rules.api_key_well_formed("rgx_" + key[4:]) and not rules.api_key_well_formed("")
    assert rules.api_key_hint(key) == f"rgr_...{key[-6:]}" and rules.new_api_key("registry").startswith("rgy_")


def test_login_delays_grow_but_never_lock_out() -> None:
    delays = [rules.login_delay(n).total_seconds() for n in range(1, 30)]
    assert delays[:3] == [0, 0, 1] and delays[3:6] == [2, 4, 8]
    assert max(delays) == rules.MAX_DELAY.total_seconds() and delays == sorted(delays)


def test_permissions_per_role_and_registrar() -> None:
    owner = Principal("user", 1, "o", "owner", "alpha")
    reader = Principal("user", 2, "r", "read-only", "alpha")
    admin = Principal("user", 3, "a", "admin", None)
    assert rules.allowed(owner, "domains.write", "alpha") and not rules.allowed(owner, "domains.write", "beta")
    assert rules.allowed(reader, "view", "alpha") and not rules.allowed(reader, "domains.write", "alpha")
    assert rules.allowed(admin, "domains.write", "beta") and rules.allowed(admin, "registry.policy")
    assert not rules.allowed(owner, "registry.policy") and not rules.allowed(owner, "no-such-permission", "alpha")


def test_recovery_codes_are_distinct_and_forgiving_to_type() -> None:
    codes = rules.new_recovery_codes()
    assert len(set(codes)) == rules.RECOVERY_CODES and all(len(c) == 9 and c[4] == "-" for c in codes)
    assert rules.normal_recovery_code(f"  {codes[0].upper().replace('-', ' ')} ") == codes[0]


# --- against the database -------------------------------------------------------------------
PASSWORD = "Console-Pass1"


async def _user(core: Core, login: str = "olga", role: str = "owner", registrar: str | None = "alpha") -> int:
    return await accounts.add_user(core, accounts.NewUser(login, f"{login}@example.net", role, registrar,
                                                          password=PASSWORD))


async def _enrolled(core: Core, clock: TestClock, login: str = "olga", role: str = "owner",
                    registrar: str | None = "alpha") -> tuple[str, str, list[str]]:
    """A user with TOTP: (session token, TOTP secret, recovery codes)."""
    await _user(core, login, role, registrar)
    signed = await accounts.sign_in(core, login, PASSWORD, "192.0.2.1")
    assert signed.second_factor == "enrol"
    enrolment = await accounts.begin_totp_enrolment(core, signed.token, "Example Registry")
    assert enrolment.uri.startswith("otpauth://totp/Example%20Registry:") and login in enrolment.uri
    codes = await accounts.confirm_totp(core, signed.token, _code(enrolment.secret, clock))
    return signed.token, enrolment.secret, codes


def _code(secret: str, clock: TestClock, later: int = 0) -> str:
    at = clock.now() + timedelta(seconds=30 * later)
    return rules._totp_at(secret, rules.totp_step(at))


async def test_no_session_is_trusted_before_the_second_factor(core: Core, clock: TestClock) -> None:
    await _user(core)
    signed = await accounts.sign_in(core, "Olga", PASSWORD, "192.0.2.1", "pytest")
    with pytest.raises(AuthenticationFailed, match="second factor"):
        await accounts.session_principal(core, signed.token)
    enrolment = await accounts.begin_totp_enrolment(core, signed.token, "Registry")
    with pytest.raises(AuthenticationFailed):
        await accounts.confirm_totp(core, signed.token, "000000" if _code(enrolment.secret, clock) != "000000"
                                    else "111111")
    codes = await accounts.confirm_totp(core, signed.token, _code(enrolment.secret, clock))
    assert len(codes) == rules.RECOVERY_CODES
    who = await accounts.session_principal(core, signed.token)
    assert (who.name, who.role, who.registrar_id, who.kind) == ("olga", "owner", "alpha", "user")
    stored = await fetch(core, "SELECT password_hash, totp_secret FROM console_user WHERE login = 'olga'")
    assert stored[0]["password_hash"].startswith("scrypt$")
    assert enrolment.secret.encode() not in stored[0]["totp_secret"]  # encrypted
    history = await fetch(core, "SELECT action FROM history WHERE object_type = 'user' ORDER BY id")
    assert [h["action"] for h in history] == ["create", "mfa-enrol"]


async def test_each_totp_code_and_recovery_code_counts_once(core: Core, clock: TestClock) -> None:
    clock.frozen = datetime(2026, 12, 3, 12, 0, 5, tzinfo=UTC)
    _token, secret, codes = await _enrolled(core, clock)
    again = await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.1")
    assert again.second_factor == "totp"
    with pytest.raises(AuthenticationFailed):  # the code used to enrol is spent
        await accounts.verify_second_factor(core, again.token, _code(secret, clock))
    await accounts.verify_second_factor(core, again.token, _code(secret, clock, later=1))
    assert (await accounts.session_principal(core, again.token)).name == "olga"
    third = await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.1")
    await accounts.verify_second_factor(core, third.token, codes[0].upper())
    assert await accounts.remaining_recovery_codes(core, (await accounts.session_principal(core, third.token)).id) == 9
    fourth = await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.1")
    with pytest.raises(AuthenticationFailed):
        await accounts.verify_second_factor(core, fourth.token, codes[0])


async def test_refused_logins_wait_longer_and_longer_and_a_success_clears_the_account(core: Core,
                                                                                     clock: TestClock) -> None:
    clock.frozen = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    await _user(core)
    for _ in range(rules.FREE_FAILURES):
        with pytest.raises(AuthenticationFailed, match="wrong login or password") as refused:
            await accounts.sign_in(core, "olga", "Wrong-Pass1", "192.0.2.9")
        assert not isinstance(refused.value, LoginDelayed)
    with pytest.raises(LoginDelayed) as delayed:  # even the right password waits its turn
        await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.9")
    assert 0 < delayed.value.retry_after <= 1
    with pytest.raises(AuthenticationFailed, match="wrong login or password"):  # unknown logins are throttled alike
        await accounts.sign_in(core, "nobody", PASSWORD, "192.0.2.10")
    clock.frozen += timedelta(seconds=2)
    assert (await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.11")).second_factor == "enrol"
    rows = await fetch(core, "SELECT key, failures FROM login_throttle ORDER BY key")
    assert [(r["key"], r["failures"]) for r in rows] == [("ip:192.0.2.10", 1), ("ip:192.0.2.9", 3),
                                                         ("user:nobody", 1)]


async def test_sessions_end_when_idle_at_their_absolute_end_and_on_sign_out(core: Core, clock: TestClock) -> None:
    clock.frozen = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    token, secret, _codes = await _enrolled(core, clock)
    clock.frozen += accounts.IDLE_TIMEOUT - timedelta(seconds=1)
    await accounts.session_principal(core, token)  # activity moves the idle clock
    clock.frozen += accounts.IDLE_TIMEOUT - timedelta(seconds=1)
    await accounts.session_principal(core, token)
    clock.frozen += accounts.IDLE_TIMEOUT
    with pytest.raises(AuthenticationFailed, match="expired"):
        await accounts.session_principal(core, token)
    other = await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.1")
    await accounts.verify_second_factor(core, other.token, _code(secret, clock))
    spare = await accounts.sign_in(core, "olga", PASSWORD, "192.0.2.2")
    assert len(await accounts.live_sessions(core, other.user_id)) == 2
    assert await accounts.end_other_sessions(core, other.token) == 2  # the spare, and the idle one's row
    await accounts.sign_out(core, other.token)
    for ended in (other.token, spare.token):
        with pytest.raises(AuthenticationFailed):
            await accounts.session_principal(core, ended)


async def test_sensitive_changes_need_a_recent_proof(core: Core, clock: TestClock) -> None:
    clock.frozen = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    token, secret, _codes = await _enrolled(core, clock)
    await accounts.session_principal(core, token, sensitive=True)  # the second factor was just given
    clock.frozen += accounts.REAUTH_WINDOW + timedelta(seconds=1)
    with pytest.raises(PermissionDenied, match="confirm it is you"):
        await accounts.session_principal(core, token, sensitive=True)
    await accounts.verify_second_factor(core, token, _code(secret, clock), reauth=True)
    await accounts.session_principal(core, token, sensitive=True)


async def test_api_keys_are_shown_once_stored_as_digests_and_bounded(core: Core) -> None:
    owner = Principal("user", await _user(core), "olga", "owner", "alpha")
    reader = Principal("user", await _user(core, "rita", "read-only"), "rita", "read-only", "alpha")
    with pytest.raises(PermissionDenied):
        await accounts.create_api_key(core, reader, "mine", "technical", registrar_id="alpha")
    with pytest.raises(PermissionDenied):
        await accounts.create_api_key(core, owner, "theirs", "technical", registrar_id="beta")
    key = await accounts.create_api_key(core, owner, "deploy bot", "technical", registrar_id="alpha",
                                        allowed_ips=["198.51.100.0/24"])
    who = await accounts.api_key_principal(core, key.token, "198.51.100.7")
    assert (who.kind, who.name, who.role, who.registrar_id) == ("api_key", "deploy bot", "technical", "alpha")
    with pytest.raises(AuthenticationFailed, match="not from this address"):
        await accounts.api_key_principal(core, key.token, "203.0.113.1")
    with pytest.raises(AuthenticationFailed, match="not an API key"):
        await accounts.api_key_principal(core, key.token[:-1] + ("x" if key.token[-1] != "x" else "y"), None)
    listed = await accounts.api_keys(core, "alpha")
    assert [k["hint"] for k in listed] == [key.hint] and str(listed[0]["last_used_ip"]) == "198.51.100.7"
    assert not await fetch(core, "SELECT 1 FROM api_key WHERE key_digest = $1", key.token.encode())
    await accounts.revoke_api_key(core, owner, key.id, "alpha")
    with pytest.raises(AuthenticationFailed):
        await accounts.api_key_principal(core, key.token, "198.51.100.7")
    with pytest.raises(InvalidValue):
        await accounts.revoke_api_key(core, owner, key.id, "alpha")


async def test_roles_must_fit_the_kind_of_user(core: Core) -> None:
    with pytest.raises(InvalidValue):
        await _user(core, "ann", "admin", "alpha")
    with pytest.raises(InvalidValue):
        await _user(core, "ann", "owner", None)
    await _user(core, "ann", "admin", None)
    reader = Principal("user", 9, "r", "read-only", "alpha")
    with pytest.raises(PermissionDenied):
        await accounts.add_user(core, accounts.NewUser("x1x", "x@example.net", "owner", "alpha"), by=reader)
