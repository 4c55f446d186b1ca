"""Argument value types shared by the command groups (argparse `type=` callables).

Each turns one command-line word into a value or raises `argparse.ArgumentTypeError`, which
argparse reports as a usage error (exit status 2).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation


def decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from exc


def price(text: str) -> tuple[str, Decimal]:
    """`ACTION=AMOUNT`, e.g. `create=10.00`."""
    action, sep, amount = text.partition("=")
    if not sep or not action.strip() or not amount:
        raise argparse.ArgumentTypeError("prices are ACTION=AMOUNT, e.g. create=10.00")
    return action.strip(), decimal(amount)


def setting(text: str) -> tuple[str, str]:
    """`KEY=VALUE`; dashes in the key become underscores (`grace-days` is `grace_days`)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("settings are KEY=VALUE")
    return key.replace("-", "_"), value


def setting_value(value: str) -> bool | int | str:
    """A setting's VALUE as the core expects it: true/false, a whole number, or text."""
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(value)
    except ValueError:
        return value


def when(text: str) -> datetime:
    """An ISO 8601 time (`Z` allowed); without an offset it is UTC."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text}") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def count(text: str) -> int:
    """A whole number of at least 0; `1_000_000` allowed."""
    try:
        value = int(text.replace("_", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def share(text: str) -> float:
    """A fraction between 0 and 1."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share lies between 0 and 1")
    return value
