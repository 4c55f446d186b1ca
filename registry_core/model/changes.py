"""The add/remove lists of an EPP update (statuses, name servers, contacts, addresses):
one rule for all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from registry_core.errors import CoreError

T = TypeVar("T", bound=Any)


@dataclass(frozen=True)
class Changed(Generic[T]):
    """The set after an update, sorted, and what the update asked for that is wrong."""

    result: list[T]
    problems: list[CoreError]


def apply_changes(current: Iterable[T], add: Iterable[T], rem: Iterable[T], *,
                  refuse: Callable[[str, T], CoreError], already: str, missing: str) -> Changed[T]:
    """Remove `rem`, then add `add`. Adding what is present (and not removed in the same
    command) and removing what is absent are refused, each item on its own, with `refuse`
    building the error from the message (`already` / `missing`) and the item."""
    have, adding, removing = set(current), list(add), list(rem)
    problems = [refuse(already, item) for item in adding if item in have and item not in removing]
    problems += [refuse(missing, item) for item in removing if item not in have]
    return Changed(sorted((have - set(removing)) | set(adding)), problems)
