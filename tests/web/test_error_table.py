"""The consoles' one error table answers every core error with a decided status (pure)."""

from __future__ import annotations

from protocols.web import errors
from registry_core import errors as core
from tests.test_error_tables import an, every_core_error


def test_every_core_error_has_a_console_status() -> None:
    unmapped = [kind.__name__ for kind in every_core_error() if errors.status_for(an(kind)) is None]
    assert unmapped == []


def test_the_statuses_people_meet_most() -> None:
    assert errors.status_for(core.LoginDelayed(retry_after=3)) == 429
    assert errors.status_for(core.AuthenticationFailed("")) == 401
    assert errors.status_for(core.PermissionDenied("")) == 403
    assert errors.status_for(core.CommitOutcomeUnknown("")) == 503
    assert errors.message_for(core.DatabaseUnavailable("pool closed: 10.0.0.5")).startswith("The service is briefly")
