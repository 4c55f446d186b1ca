"""The consoles' one error table: each core error as the HTTP status and the sentence a
person sees (pages) or an API client reads (JSON). Anything unmapped is a 500, logged once."""

from __future__ import annotations

from registry_core import errors as core

# Most specific first: the first isinstance match wins.
STATUSES: tuple[tuple[type[core.CoreError], int], ...] = (
    (core.LoginDelayed, 429),
    (core.AuthenticationFailed, 401),
    (core.PermissionDenied, 403),
    (core.NotSponsor, 403),
    (core.RegistrarNotAllowed, 403),
    (core.AuthInfoInvalid, 403),
    (core.ObjectNotFound, 404),
    (core.ObjectExists, 409),
    (core.StatusProhibits, 409),
    (core.AssociationProhibits, 409),
    (core.TransferAlreadyPending, 409),
    (core.TransferNotPending, 409),
    (core.NotEligibleForTransfer, 409),
    (core.NotEligibleForRenewal, 409),
    (core.InsufficientFunds, 402),
    (core.PolicyErrors, 422),
    (core.InvalidValue, 422),
    (core.ValueOutOfRange, 422),
    (core.MissingParameter, 422),
    (core.PolicyViolation, 422),
    (core.UnsupportedOption, 422),
    (core.DatabaseUnavailable, 503),
)


def status_for(error: core.CoreError) -> int | None:
    return next((status for kind, status in STATUSES if isinstance(error, kind)), None)


def page_status(error: core.CoreError) -> int | None:
    """The status a form's page shows a refusal with, beside the form; None when the page
    is not the place (unmapped, an outage, or a permission refusal): the error middleware
    answers those."""
    status = status_for(error)
    return None if status is None or status >= 500 or status == 403 else status


def message_for(error: core.CoreError) -> str:
    """The person-facing sentence: the core's own detail (it never carries secrets)."""
    if isinstance(error, core.PolicyErrors):
        return "; ".join(message_for(e) for e in error.errors)
    if isinstance(error, core.DatabaseUnavailable):
        return "The service is briefly unavailable; please try again in a moment."
    return error.detail or type(error).__name__
