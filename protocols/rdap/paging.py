"""RFC 8977 cursor paging of search results. The cursor is opaque to clients: the page
number and the last name of the previous page (results are in name order, so the next
page is a keyset range scan, as cheap as the first)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

from protocols.rdap.errors import RdapError
from protocols.rdap.view import View

MAX_CURSOR = 512


def encode_cursor(page: int, after: str) -> str:
    return base64.urlsafe_b64encode(f"{page}:{after}".encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, str]:
    """(page number, last name seen); (1, "") without a cursor."""
    if cursor is None:
        return 1, ""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("oversized")
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        page, _, after = text.partition(":")
        number = int(page)
        if number < 2 or not after:
            raise ValueError("not a continuation")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise RdapError(400, "invalid cursor") from exc
    return number, after


def next_href(view: View, path: str, params: dict[str, str], cursor: str) -> str:
    query = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": cursor}
    return view.href(path) + "?" + urlencode(query)


def metadata(view: View, page: int, size: int, href: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"pageSize": size, "pageNumber": page}
    if href:
        meta["links"] = [view.link("next", href)]
    return meta
