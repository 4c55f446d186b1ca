"""Notices (RFC 9083 section 4.3): terms of service on every answer (TIG section 3.3),
and in domain answers under the ICANN profile the status-code and inaccuracy-complaint
notices (Response Profile sections 2.6.3 and 2.10); in domain and help answers, where the
registry takes abuse reports ([abuse] email and report_url: the intake of the abuse cases).
The registrar's own abuse contact stays in its entity (Response Profile 2.4.5)."""

from __future__ import annotations

from typing import Any

from protocols.rdap.view import View

TRUNCATED = "result set truncated due to excessive load"
QUERIES = ("domain/<name>", "nameserver/<name>", "entity/<handle>", "domains?name=<pattern>",
           "domains?nsLdhName=<pattern>", "domains?nsIp=<address>", "nameservers?name=<pattern>",
           "nameservers?ip=<address>", "entities?fn=<pattern>", "entities?handle=<pattern>", "help")


def terms(view: View) -> dict[str, Any]:
    href, media_type = view.terms()
    return {"title": "Terms of Use",
            "description": ["Registration data is provided for lawful purposes only, under the terms of "
                            "use of this registry.",
                            "Contact data is personal data: it is withheld unless the contact has "
                            "consented to its publication."],
            "links": [view.link("terms-of-service", href, media_type)]}


def abuse(view: View) -> list[dict[str, Any]]:
    """The registry's abuse intake as a notice (none when neither address is configured)."""
    email, url = view.settings.abuse_email, view.settings.abuse_url
    if not email and not url:
        return []
    ways = [f"by email to {email}" if email else "", f"through the form at {url}" if url else ""]
    notice: dict[str, Any] = {
        "title": "Abuse Reports",
        "description": ["Report abuse of a domain name of this registry (phishing, malware, botnets, spam) "
                        + " or ".join(w for w in ways if w) + "."]}
    if url:
        notice["links"] = [view.link("help", url, "text/html")]
    return [notice]


def domain_notices(view: View) -> list[dict[str, Any]]:
    notices = [terms(view), *abuse(view)]
    if view.icann:
        notices += [
            {"title": "Status Codes",
             "description": ["For more information on domain status codes, please visit https://icann.org/epp"],
             "links": [view.link("glossary", "https://icann.org/epp", "text/html")]},
            {"title": "RDDS Inaccuracy Complaint Form",
             "description": ["URL of the ICANN RDDS Inaccuracy Complaint Form: https://icann.org/wicf"],
             "links": [view.link("help", "https://icann.org/wicf", "text/html")]},
        ]
    return notices


def help_notices(view: View) -> list[dict[str, Any]]:
    about = {"title": "Supported Queries",
             "description": [f"{view.base}{q}" for q in QUERIES] + [
                 "Patterns may end with '*' (or hold it at the end of their first label: exam*.example).",
                 "Search results come in pages; follow the 'next' link of paging_metadata."],
             "links": [view.self_link("help")]}
    return [terms(view), about, *abuse(view)]


def truncated(view: View, limit: int, next_href: str | None) -> dict[str, Any]:
    notice: dict[str, Any] = {"title": "Search Policy", "type": TRUNCATED,
                              "description": [f"Search results are limited to {limit} per page."]}
    if next_href:
        notice["links"] = [view.link("next", next_href)]
    return notice
