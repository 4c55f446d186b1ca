"""Abuse cases and the reports that open them, as pure rules: the workflow (which action
may follow which state), the deadlines, what a report must carry, and the domain names a
reporter's free text mentions.

    new -> triaged -> registrar-notified -> action-taken -> closed

A note may be added in any open state; hold and transfer-lock (serverHold,
serverTransferProhibited) need a triaged case (urgent ones need not wait for the sponsor);
release takes off the statuses the case placed, once the abuse is cleaned up (the case
stays action-taken); close ends a case from any open state. Nothing here deletes a domain."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from registry_core.errors import CoreError, InvalidValue, PolicyViolation
from registry_core.model.names import normalize_name
from registry_core.model.registry_lock import LOCK_STATUSES

STATES = ("new", "triaged", "registrar-notified", "action-taken", "closed")
OPEN_STATES = ("new", "triaged", "registrar-notified")  # with a deadline running: these can be overdue
ACTIONS = ("triage", "notify", "hold", "transfer-lock", "release", "note", "close")
STATUS_OF = {"hold": "serverHold", "transfer-lock": "serverTransferProhibited"}
SENSITIVE_ACTIONS = frozenset({*STATUS_OF, "release"})  # they change a domain's status: a fresh second factor first
_FROM = {"triage": ("new",), "notify": ("triaged", "registrar-notified"),
         "hold": ("triaged", "registrar-notified", "action-taken"),
         "transfer-lock": ("triaged", "registrar-notified", "action-taken"),
         "release": ("action-taken",),
         "note": ("new", "triaged", "registrar-notified", "action-taken"),
         "close": ("new", "triaged", "registrar-notified", "action-taken")}
_STATE_AFTER = {"triage": "triaged", "notify": "registrar-notified", "hold": "action-taken",
                "transfer-lock": "action-taken", "close": "closed"}

REPORT_THREATS = ("phishing", "malware", "botnet", "spam", "pharming", "other")
REPORT_SOURCES = ("web", "email", "staff")
TRIAGE_DEADLINE = timedelta(days=1)  # a reported case is looked at within this
MAX_REPORT_TEXT = 8000  # characters of a report kept (a mail's body beyond is cut)
MAX_EMAIL = 254  # RFC 5321 section 4.5.3.1.3 (path) less the brackets
MAX_NAMES = 20  # registered domains one report may name; more is a list, not a report
MAX_MENTIONED = 200  # names of a mail looked up (quoted headers and links mention many)
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")
# a host name in text: labels of letters, digits and hyphens (and U-labels), a dot between
_NAME = re.compile(r"(?<![\w@.-])((?:[\w](?:[\w-]{0,61}[\w])?\.)+[\w-]{2,63})(?![\w-])", re.UNICODE)


def state_after(state: str, action: str, case_id: int) -> str:
    """The case's state after `action`; PolicyViolation when the workflow does not allow it."""
    if action not in ACTIONS:
        raise InvalidValue(f"action is one of {', '.join(ACTIONS)}", object_type="abuse_case", field="action",
                           value=action)
    if state not in _FROM[action]:
        raise PolicyViolation(f"case {case_id} is {state}: {action} is not possible now", object_type="abuse_case",
                              name=str(case_id), field="action", value=action)
    return _STATE_AFTER.get(action, state)


def released(placed: tuple[str, ...] | list[str], locked: bool, case_id: int) -> set[str]:
    """What releasing a case takes off: the statuses it placed, less the registry lock's
    own (serverTransferProhibited stays while the domain is registry-locked)."""
    if not placed:
        raise PolicyViolation(f"case {case_id} has placed no status to release", object_type="abuse_case",
                              name=str(case_id), field="action", value="release")
    return set(placed) - (LOCK_STATUSES if locked else set())


def overdue(state: str, due_at: datetime | None, now: datetime) -> bool:
    return state in OPEN_STATES and due_at is not None and due_at < now


def reason_text(reason: str) -> str:
    why = " ".join(reason.split())
    if not why or len(why) > 500:
        raise InvalidValue("a reason is required (at most 500 characters)", object_type="abuse_case",
                           field="reason")
    return why


def reporter_address(text: str) -> str:
    address = text.strip().lower()
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        raise InvalidValue("a valid e-mail address is required, to answer the report", object_type="abuse_report",
                           field="email", value=address[:80])
    return address


def report_text(text: str) -> str:
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidValue("describe the abuse you see", object_type="abuse_report", field="text")
    return body[:MAX_REPORT_TEXT]


def threat_type(text: str) -> str:
    if text not in REPORT_THREATS:
        raise InvalidValue(f"the kind of abuse is one of {', '.join(REPORT_THREATS)}", object_type="abuse_report",
                           field="threat", value=text[:40])
    return text


def mentioned_names(text: str) -> list[str]:
    """The names (lower-case A-labels, each once, in order) that look like domains in the
    text: `hxxp://phish[.]example/login` and `www.phish.example` both give their name
    (defanged dots are read back); e-mail addresses are not names."""
    plain = text.replace("[.]", ".").replace("(.)", ".").replace("[dot]", ".")
    found: dict[str, None] = {}
    for match in _NAME.finditer(plain):
        try:
            name = normalize_name(match.group(1))
        except (CoreError, ValueError):
            continue
        if not name.rsplit(".", 1)[-1].isdigit():  # 3.14, 192.0.2.1: numbers, not names
            found.setdefault(name, None)
    return list(found)


def candidate_parents(name: str) -> list[str]:
    """The name and each parent with two labels or more: `www.phish.example` may be
    reported for the registered `phish.example`."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
