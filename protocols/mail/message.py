"""One notification as an RFC 5322 message: pure, from values to an EmailMessage.

Headers that keep automatic mail from starting loops (RFC 3834):
- `Auto-Submitted: auto-generated` (section 5): responders must not answer it.
- No `Precedence`: RFC 3834 names it only as a non-standard field some responders look at
  (section 2) and defines none of its values; Auto-Submitted is the standard signal.
- `X-Auto-Response-Suppress: OOF, AutoReply`: the same request in Microsoft Exchange's words.
- `List-Unsubscribe` (RFC 2369 section 3.2) on the optional events only (reminders, low balance).
The Message-ID comes from the delivery id, so every retry of a delivery carries the same one
(a receiver that got the first attempt can drop the next as a duplicate)."""

from __future__ import annotations

import binascii
import hashlib
import re
import secrets
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr
from urllib.parse import quote

from protocols.mail.templates import RenderedMail
from protocols.notify.delivery import Delivery

# RFC 5322 section 3.6.4: id-left is a dot-atom-text; we keep ids of that shape readable
_ID_LEFT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
MAX_ID_LEFT = 64
_UNSAFE_IN_HEADER = re.compile(r"[^A-Za-z0-9._:-]")
FOLD_AT = 70  # subject words are wrapped onto continuation lines past this many characters


def message_id(delivery_id: str, domain: str) -> str:
    """`<notify.<delivery id>@<domain>>`; an id that is not a dot-atom (or long) is hashed."""
    left = delivery_id if _ID_LEFT.fullmatch(delivery_id) and len(delivery_id) <= MAX_ID_LEFT \
        else hashlib.sha256(delivery_id.encode()).hexdigest()[:40]
    return f"<notify.{left}@{domain}>"


def sender_for(delivery: Delivery, default: Address, by_tld: dict[str, Address]) -> Address:
    """The From of mail about a domain (or a TLD) under one of `by_tld`'s TLDs, the longest
    match first (so `co.uk` beats `uk`); else `default`."""
    name = str(delivery.payload.get("tld") or delivery.payload.get("domain") or "").lower().strip(".")
    labels = name.split(".") if name else []
    for start in range(len(labels)):
        found = by_tld.get(".".join(labels[start:]))
        if found is not None:
            return found
    return default


def unsubscribe_target(template: str, events: tuple[str, ...], delivery: Delivery) -> str:
    """The List-Unsubscribe URI of an optional event ("" for the others, or when unset)."""
    if not template or not any(delivery.event == e or delivery.event.startswith(e + ".") for e in events):
        return ""
    return template.replace("{event}", quote(delivery.event, safe="")).replace(
        "{audience}", quote(delivery.audience, safe=":"))


def build_message(delivery: Delivery, rendered: RenderedMail, sender: Address, recipient: str, *,
                  now: datetime, unsubscribe: str = "") -> bytes:
    """The message as sent: multipart/alternative (text, then HTML: RFC 2046 section 5.1.4,
    the last part is the preferred one), UTF-8 bodies quoted-printable, CRLF lines.

    Written directly rather than through the email package's generator, which costs about
    a millisecond a message (a regex compiled per boundary, every header refolded). Every
    header value here is ours and ASCII, except the subject and the sender's name, which
    get RFC 2047 encoded-words. The boundary starts with "=_", which quoted-printable
    text cannot contain (it writes "=" as "=3D")."""
    boundary = "=_" + secrets.token_hex(16)
    headers = [("From", formataddr((sender.display_name, sender.addr_spec))), ("To", recipient),
               ("Subject", _subject(rendered.subject)), ("Date", format_datetime(now)),
               ("Message-ID", message_id(delivery.id, sender.domain)), ("MIME-Version", "1.0"),
               ("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "OOF, AutoReply"),
               *([("List-Unsubscribe", f"<{unsubscribe}>")] if unsubscribe else []),
               ("X-Registry-Event", _UNSAFE_IN_HEADER.sub("-", delivery.event)),
               ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"')]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    parts = "".join(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                    f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_quoted_printable(text)}\r\n"
                    for subtype, text in (("plain", rendered.text), ("html", rendered.html)))
    return f"{head}\r\n{parts}--{boundary}--\r\n".encode("ascii")


def _subject(subject: str) -> str:
    """ASCII folded at spaces under 78 characters a line (RFC 5322 section 2.1.1), else
    RFC 2047 encoded-words (folded by the email package)."""
    if not subject.isascii():
        return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    lines = [""]
    for word in subject.split(" "):
        if lines[-1] and len(lines[-1]) + len(word) + 1 > FOLD_AT:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return "\r\n ".join(lines)


def _quoted_printable(text: str) -> str:
    """RFC 2045 section 6.7, lines of at most 76 characters, CRLF line ends."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=True).decode("ascii").replace("\n", "\r\n")
