"""The one table mapping core errors to WHOIS answers: the single "%" line a refused query
gets. ObjectNotFound is not a refusal: the server answers it with "No match" (or, for a TLD
that does not offer WHOIS, a pointer to RDAP). Anything unmapped is a bug: it is logged and
answered with the internal-error line."""

from __future__ import annotations

import logging

from protocols.whois import render
from registry_core.errors import (
    CoreError,
    DatabaseUnavailable,
    InvalidValue,
    PolicyViolation,
    ValueOutOfRange,
    first_error,
)

_log = logging.getLogger(__name__)
INTERNAL_ERROR = "internal error; try again later"
UNAVAILABLE = "service temporarily unavailable; try again later"

# (core error, the line, whether the error's detail follows it); the first match wins
REFUSALS: tuple[tuple[type[CoreError], str, bool], ...] = (
    (InvalidValue, "invalid query", True),
    (ValueOutOfRange, "invalid query", True),
    (PolicyViolation, "invalid query", True),
    (DatabaseUnavailable, UNAVAILABLE, False),  # CommitOutcomeUnknown too (WHOIS never writes)
)


def refusal_line(exc: CoreError) -> str | None:
    """The line (without its "% ") for a core error, or None when the table has none.
    Collected problems answer like the first."""
    exc = first_error(exc)
    for kind, message, with_detail in REFUSALS:
        if isinstance(exc, kind):
            return f"{message}: {exc.detail}" if with_detail and exc.detail else message
    return None


def refusal_for(exc: CoreError) -> bytes:
    line = refusal_line(exc)
    if line is None:
        _log.error("unmapped core error in a WHOIS answer: %r", exc)
        return render.refusal(INTERNAL_ERROR)
    if isinstance(exc, DatabaseUnavailable):  # an outage, not a bug: one line in the log
        _log.warning("WHOIS query failed, database unavailable: %s", exc.detail)
    return render.refusal(line)
