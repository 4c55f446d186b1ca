"""Single sign-on rules, pure: whether an identity provider's word on how the user
authenticated is strong enough to skip our own second factor, and which claims an ID
token must carry before we believe it.

Authentication method references (RFC 8176) that count as a second factor by themselves:
"mfa" (several factors), "hwk" (a hardware-bound key), "otp" (a one-time password),
"sc" (a smart card), "fpt"/"face"/"iris"/"retina"/"vbm" (biometrics, always on top of a
device). "pwd", "pin", "kba", "sms", "tel", "swk" and the rest alone do not: a password or
a software key on its own is one factor (two methods of different kinds, e.g. "pwd" with
"otp", are two). An `acr` value counts only when the operator lists it as accepted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STRONG_AMR = frozenset({"mfa", "hwk", "otp", "sc", "fpt", "face", "iris", "retina", "vbm"})
KNOWLEDGE_AMR = frozenset({"pwd", "pin", "kba"})
POSSESSION_AMR = frozenset({"swk", "sms", "tel", "otp", "hwk", "sc"})


def strongly_authenticated(amr: Any, acr: Any, accepted_acr: Iterable[str]) -> bool:
    """True when the IdP says the user gave a second factor: a strong amr method, a
    knowledge factor together with a possession factor, or an accepted acr value."""
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    if methods & STRONG_AMR:
        return True
    if methods & KNOWLEDGE_AMR and methods & POSSESSION_AMR:
        return True
    return isinstance(acr, str) and acr != "" and acr in set(accepted_acr)


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The token's email when the IdP vouches for it (email_verified exactly true), lower-cased."""
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
        return None
    return email.strip().lower()


def claims_problem(claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str, now: float,
                   leeway: float = 60.0) -> str | None:
    """Why an ID token's claims are not acceptable (None when they are): the issuer and
    audience are ours, it is live (exp/iat within the leeway), the nonce is the one we sent,
    and azp, when present, is our client."""
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    checks = (
        (claims.get("iss") == issuer, "wrong issuer"),
        (client_id in audiences, "not for this client"),
        (len(audiences) == 1 or claims.get("azp") == client_id, "several audiences and no azp for us"),
        ("azp" not in claims or claims.get("azp") == client_id, "authorized party is another client"),
        (now < _number(claims.get("exp")) + leeway, "expired or no exp"),
        (_number(claims.get("iat")) <= now + leeway, "issued in the future or no iat"),
        (isinstance(claims.get("nonce"), str) and claims.get("nonce") == nonce, "wrong nonce"),
        (isinstance(claims.get("sub"), str) and claims.get("sub") != "", "no subject"),
    )
    return next((why for ok, why in checks if not ok), None)


def _number(value: Any) -> float:
    """A numeric claim, or NaN (which fails every comparison) when it is missing or not a number."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("nan")
