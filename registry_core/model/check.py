"""The answer to a check command for one name or id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    name: str
    available: bool
    reason: str | None = None
