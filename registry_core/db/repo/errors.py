"""Translate database errors into core errors (the repo is the only layer that sees asyncpg)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from registry_core.errors import InsufficientFunds, ObjectExists


@contextmanager
def unique_as_exists(object_type: str, name: str) -> Iterator[None]:
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise ObjectExists(f"{object_type} exists", object_type=object_type, name=name) from exc


@contextmanager
def credit_as_funds(registrar_id: str) -> Iterator[None]:
    try:
        yield
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == "registrar_balance_within_credit":
            raise InsufficientFunds("balance and credit do not cover the charge",
                                    object_type="registrar", name=registrar_id) from exc
        raise
