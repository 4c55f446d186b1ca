"""The pure single sign-on rules: when the provider's amr/acr stands for our second factor
(RFC 8176 methods), whose email we believe, and which ID token claims we accept."""

from __future__ import annotations

import pytest

from registry_core.model.sso import claims_problem, strongly_authenticated, verified_email


@pytest.mark.parametrize(("amr", "acr", "strong"), [
    (["mfa"], None, True),
    (["pwd", "mfa"], None, True),
    (["hwk"], None, True),
    (["otp"], None, True),
    (["fpt"], None, True),
    (["pwd", "swk"], None, True),  # something known and a software key held: two factors
    (["pin", "sms"], None, True),
    (["pwd"], None, False),
    (["swk"], None, False),  # a software key alone is one factor
    (["pwd", "kba"], None, False),  # two things known are still one kind
    ([], None, False),
    (None, None, False),
    ("mfa", None, False),  # amr must be a list
    ([1, {"mfa": 1}], None, False),
    (["pwd"], "urn:example:loa:3", True),
    (["pwd"], "urn:example:loa:1", False),
    (["pwd"], "", False),
    (["pwd"], ["urn:example:loa:3"], False),  # acr must be a string
])
def test_which_provider_authentications_count_as_our_second_factor(amr: object, acr: object, strong: bool) -> None:
    assert strongly_authenticated(amr, acr, ("urn:example:loa:3",)) is strong


def test_an_acr_counts_only_when_the_operator_accepts_it() -> None:
    assert strongly_authenticated(["pwd"], "urn:example:loa:3", ()) is False


@pytest.mark.parametrize(("claims", "email"), [
    ({"email": "Olga@Example.NET", "email_verified": True}, "olga@example.net"),
    ({"email": "olga@example.net", "email_verified": False}, None),
    ({"email": "olga@example.net", "email_verified": "true"}, None),  # a string is not true
    ({"email": "olga@example.net"}, None),
    ({"email_verified": True}, None),
    ({"email": "not-an-address", "email_verified": True}, None),
])
def test_only_an_email_the_provider_verified_is_believed(claims: dict, email: str | None) -> None:
    assert verified_email(claims) == email


GOOD = {"iss": "https://idp.example", "aud": "client", "sub": "u1", "nonce": "n", "iat": 1000, "exp": 1300}


@pytest.mark.parametrize(("change", "problem"), [
    ({}, None),
    ({"aud": ["client"]}, None),
    ({"aud": ["client", "other"], "azp": "client"}, None),
    ({"iss": "https://evil.example"}, "wrong issuer"),
    ({"aud": "other"}, "not for this client"),
    ({"aud": ["client", "other"]}, "several audiences and no azp for us"),
    ({"azp": "other"}, "authorized party is another client"),
    ({"exp": 1000 - 61}, "expired or no exp"),
    ({"exp": None}, "expired or no exp"),
    ({"exp": True}, "expired or no exp"),
    ({"iat": 1100 + 61}, "issued in the future or no iat"),
    ({"iat": "1000"}, "issued in the future or no iat"),
    ({"nonce": "other"}, "wrong nonce"),
    ({"nonce": None}, "wrong nonce"),
    ({"sub": ""}, "no subject"),
])
def test_id_token_claims(change: dict, problem: str | None) -> None:
    claims = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert claims_problem(claims, issuer="https://idp.example", client_id="client", nonce="n", now=1100) == problem


def test_a_small_clock_skew_is_tolerated() -> None:
    claims = {**GOOD, "exp": 1100 - 30, "iat": 1100 + 30}
    assert claims_problem(claims, issuer="https://idp.example", client_id="client", nonce="n", now=1100) is None
