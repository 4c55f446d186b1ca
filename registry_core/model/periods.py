"""Calendar arithmetic for registration periods."""

from __future__ import annotations

from datetime import datetime

MAX_YEARS = 10


def add_years(at: datetime, years: int) -> datetime:
    """`at` plus whole calendar years; 29 February becomes 28 February in common years."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)
