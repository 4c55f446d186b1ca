"""The one table mapping core errors to RDAP answers, and RDAP error bodies
(RFC 7480 section 5, RFC 9082 section 4.1, RFC 9083 section 6). Anything unmapped is
a 500, which the app logs once; nothing a client can send ends there. A database that is
unreachable or restarting (DatabaseUnavailable) is a 503 with Retry-After (RFC 9110
sections 15.6.4, 10.2.3)."""

from __future__ import annotations

from typing import Any

from protocols.rdap import notices
from protocols.rdap.view import View
from registry_core.errors import (
    CoreError,
    DatabaseUnavailable,
    InvalidValue,
    ObjectNotFound,
    PolicyViolation,
    UnsupportedOption,
    ValueOutOfRange,
    first_error,
)

STATUS_BY_ERROR: tuple[tuple[type[CoreError], int], ...] = (
    (ObjectNotFound, 404),
    (InvalidValue, 400),
    (ValueOutOfRange, 400),
    (PolicyViolation, 400),
    (UnsupportedOption, 422),  # RFC 9082 section 4.1: a search style the server does not support
    (DatabaseUnavailable, 503),  # CommitOutcomeUnknown too (RDAP never writes)
)

TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 422: "Unprocessable Entity",
          429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
          503: "Service Unavailable"}
UNAVAILABLE_RETRY_AFTER = 2  # seconds: a restarting PostgreSQL is usually back within a few
UNAVAILABLE_DESCRIPTION = "the registry database is temporarily unavailable; retry later"


class RdapError(Exception):
    """A refusal decided by the protocol layer itself (path, method, query parameters)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def status_for(exc: CoreError) -> int:
    first = first_error(exc)  # collected problems answer like the first
    for kind, status in STATUS_BY_ERROR:
        if isinstance(first, kind):
            return status
    return 500


def retry_after(status: int) -> dict[str, str]:
    """The Retry-After header an answer with `status` carries (a 503 only)."""
    return {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)} if status == 503 else {}


def error_body(status: int, description: str, view: View) -> dict[str, Any]:
    return {"rdapConformance": view.conformance(), "errorCode": status,
            "title": TITLES.get(status, "Error"), "description": [description],
            "notices": [notices.terms(view)]}
