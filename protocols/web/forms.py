"""Values the consoles read from forms and query strings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from registry_core.errors import InvalidValue


def day_start(text: str, name: str) -> datetime:
    """A YYYY-MM-DD date as the start of that day in UTC; InvalidValue naming the field otherwise."""
    try:
        return datetime.combine(date.fromisoformat(text), time(0), UTC)
    except ValueError:
        raise InvalidValue(f"{name}: a date as YYYY-MM-DD", field=name, value=text) from None
