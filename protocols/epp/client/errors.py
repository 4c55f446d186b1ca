"""What the EPP client raises: one base class, one subclass per way an exchange fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocols.epp.client.documents import Response


class EppError(Exception):
    """Base class of everything this client raises."""


class EppConnectionError(EppError):
    """The connection could not be made, or broke; it is closed."""


class EppTimeout(EppError, TimeoutError):
    """The server did not answer in time; the connection is closed (it cannot resync)."""


class EppProtocolError(EppError):
    """The server sent something that is not a usable EPP frame or document."""


class EppCommandError(EppError):
    """Raised by `Response.check()` for a 2xxx result."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.code} {response.message}")
        self.response = response
