"""The registrar a command runs for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The registrar a command runs for, and the transaction ids it is recorded under."""

    registrar_id: str
    sv_trid: str
    cl_trid: str | None = None
    # who acted through a console or the API: (("user", login), ("ip", address), ("session", hint)...);
    # recorded in the history beside the registrar
    via: tuple[tuple[str, str], ...] | None = None
