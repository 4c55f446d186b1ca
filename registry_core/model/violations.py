"""Collecting a command's independent refusals so it answers once with all of them.

A rule that refuses raises a `CoreError`; a service runs its independent rules through one
`Violations`, which keeps each refusal and goes on. Checks that depend on one another (the
object must exist before its sponsor is known) stay outside and still stop at the first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from registry_core.errors import CoreError, PolicyErrors

T = TypeVar("T")


class Violations:
    def __init__(self) -> None:
        self.found: list[CoreError] = []

    def add(self, errors: Iterable[CoreError]) -> None:
        self.found.extend(errors)

    def attempt(self, rule: Callable[[], T]) -> T | None:
        """`rule()`, or None after keeping the refusal it raised."""
        try:
            return rule()
        except CoreError as exc:
            self.add(exc.errors if isinstance(exc, PolicyErrors) else (exc,))
            return None

    async def attempt_async(self, work: Awaitable[T]) -> T | None:
        """`await work`, or None after keeping the refusal it raised."""
        try:
            return await work
        except CoreError as exc:
            self.add(exc.errors if isinstance(exc, PolicyErrors) else (exc,))
            return None

    def raise_any(self) -> None:
        """Raise what was found: one refusal as itself, several as one `PolicyErrors`."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise PolicyErrors(tuple(self.found))

    def __bool__(self) -> bool:
        return bool(self.found)
