"""Values the consoles read from forms and query strings, and the page a form's action
answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from typing import Any

from aiohttp import web

from protocols.web import errors
from registry_core.errors import CoreError, InvalidValue


def day_start(text: str, name: str) -> datetime:
    """A YYYY-MM-DD date as the start of that day in UTC; InvalidValue naming the field otherwise."""
    try:
        return datetime.combine(date.fromisoformat(text), time(0), UTC)
    except ValueError:
        raise InvalidValue(f"{name}: a date as YYYY-MM-DD", field=name, value=text) from None


Page = Callable[..., Awaitable[web.Response]]


def _notice(done: Any) -> dict[str, Any]:
    return {"notice": done}


async def page_after(request: web.Request, page: Page, action: Awaitable[Any],
                     shown: Callable[[Any], dict[str, Any]] = _notice) -> web.Response:
    """The form's page again after its action: with what the action gave (by default as the
    notice), or with the refusal a person should read (errors.page_status: the status and
    the sentence); an error no page shows propagates to the error middleware."""
    try:
        done = await action
    except CoreError as exc:
        status = errors.page_status(exc)
        if status is None:
            raise
        return await page(request, error=errors.message_for(exc), status=status)
    return await page(request, **shown(done))
