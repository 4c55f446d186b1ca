"""A mail to the abuse address, read as a report (pure): the reporter (Reply-To, else
From), the subject and the text (the plain part, else the HTML part without its tags), the
Message-ID, and whether it was sent by a machine (RFC 3834 Auto-Submitted, Precedence
bulk/junk/list: such a mail gets no acknowledgement, so two robots never answer each
other). Parsed with the standard library's email package under its modern policy."""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses

from registry_core.model.abuse_case import MAX_REPORT_TEXT, REPORT_THREATS

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
MACHINE_PRECEDENCE = ("bulk", "junk", "list")


class UnreadableMail(ValueError):
    """The bytes are not a message that can be read as a report."""


@dataclass(frozen=True)
class IntakeMail:
    reporter: str
    subject: str
    text: str
    message_id: str | None
    automatic: bool

    @property
    def report_text(self) -> str:
        return f"Subject: {self.subject}\n\n{self.text}"[:MAX_REPORT_TEXT]

    @property
    def threat(self) -> str:
        """The kind of abuse the subject or text names first ("other" when none)."""
        words = re.findall(r"[a-z]+", f"{self.subject} {self.text}".lower())
        return next((w for w in words if w in REPORT_THREATS and w != "other"), "other")


def _address(message: EmailMessage) -> str:
    for header in ("Reply-To", "From"):
        found = [addr for _name, addr in getaddresses([str(v) for v in message.get_all(header, [])]) if "@" in addr]
        if found:
            return found[0]
    return ""


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a damaged transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        content = html.unescape(_TAG.sub(" ", content))
    return str(content)


def read_mail(data: bytes) -> IntakeMail:
    message = email.message_from_bytes(data, policy=default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise UnreadableMail("not an RFC 5322 message")
    automatic = (str(message.get("Auto-Submitted", "no")).strip().lower() != "no"
                 or str(message.get("Precedence", "")).strip().lower() in MACHINE_PRECEDENCE)
    message_id = str(message["Message-ID"]).strip()[:200] if message["Message-ID"] else None
    return IntakeMail(_address(message), " ".join(str(message.get("Subject", "")).split())[:500],
                      _text(message).strip()[:MAX_REPORT_TEXT * 4], message_id, automatic)
