"""WHOIS answers in the field layout of the ICANN Registry Agreement, Specification 4
(section 1.4): "Key: value" lines, dates ISO 8601 UTC with Z, one Domain Status line per
status with its ICANN URL, contacts redacted as RDAP redacts them, then the last-update
line; after it, with the terms, where the registry takes abuse reports (`abuse_notice`).
Lines end in CRLF (RFC 3912); text is UTF-8. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from registry_core.model.contact import ContactInfo
from registry_core.model.disclosure import public_view
from registry_core.model.lookup import DomainRecord, HostRecord, PublicRegistrar

REDACTED = "REDACTED FOR PRIVACY"
CONTACT_VIA_REGISTRAR = ("Please query the RDDS service of the Registrar of Record identified in this output "
                         "for information on how to contact the Registrant, Admin, or Tech contact of the "
                         "queried domain name.")
COMPLAINT_FORM = "URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/"
TERMS = ("For more information on Whois status codes, please visit https://icann.org/epp",
         "",
         "The data in this record is provided for lawful purposes only. Contact data is personal data "
         "and is withheld unless the contact has consented to its publication. Automated high-volume "
         "queries are rate limited.")
ROLE_LABEL = (("registrant", "Registrant", "Registry Registrant ID"), ("admin", "Admin", "Registry Admin ID"),
              ("tech", "Tech", "Registry Tech ID"))
QUERY_FORMS = ("Query forms:",
               "  <domain name>                  a domain (A-label or U-label)",
               "  nameserver <host name>         a name server",
               "  registrar <name or IANA id>    a registrar",
               "  help                           this text")

Line = tuple[str, str | None]


def whois_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(lines: Iterable[str]) -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode("utf-8")


def _fields(pairs: Iterable[Line]) -> list[str]:
    """Key: value lines; a pair whose value is None is left out, an empty value stays empty."""
    return [f"{key}: {value}" if value else f"{key}:" for key, value in pairs if value is not None]


def abuse_notice(email: str, url: str) -> tuple[str, ...]:
    """The registry's abuse intake ([abuse] email and report_url), as free text after the
    record (Specification 4's fields are the registrar's abuse contact; this is the registry's)."""
    ways = [w for w in (f"by email to {email}" if email else "", f"through the form at {url}" if url else "") if w]
    if not ways:
        return ()
    return ("", f"Report abuse of a domain name of this registry {' or '.join(ways)}.")


def last_update(at: datetime) -> str:
    return f">>> Last update of WHOIS database: {whois_time(at)} <<<"


def _registrar(registrar: PublicRegistrar) -> list[Line]:
    return [("Registrar", registrar.name),
            ("Registrar IANA ID", str(registrar.iana_id) if registrar.iana_id else None),
            ("Registrar Abuse Contact Email", registrar.abuse_email),
            ("Registrar Abuse Contact Phone", registrar.abuse_phone)]


def _contact(label: str, id_label: str, contact: ContactInfo, contact_uri: str) -> list[Line]:
    shown = public_view(contact)

    def value(field: str, visible: str | None) -> str | None:
        return REDACTED if field in shown.withheld else visible

    street = " ".join(shown.street) if shown.street else None
    email = value("email", shown.email)
    if email == REDACTED:
        email = contact_uri or CONTACT_VIA_REGISTRAR
    return [(id_label, value("handle", shown.roid)), (f"{label} Name", value("name", shown.name)),
            (f"{label} Organization", value("org", shown.org)), (f"{label} Street", value("street", street)),
            (f"{label} City", value("city", shown.city)), (f"{label} State/Province", shown.sp),
            (f"{label} Postal Code", value("pc", shown.pc)), (f"{label} Country", shown.cc),
            (f"{label} Phone", value("voice", shown.voice)),
            (f"{label} Phone Ext", value("voice_ext", shown.voice_ext)),
            (f"{label} Fax", value("fax", shown.fax)), (f"{label} Fax Ext", value("fax_ext", shown.fax_ext)),
            (f"{label} Email", email)]


def domain(record: DomainRecord, contact_uri: str = "", abuse: tuple[str, ...] = ()) -> bytes:
    info, registrar = record.domain, record.registrar
    pairs: list[Line] = [
        ("Domain Name", info.name), ("Registry Domain ID", info.roid),
        ("Registrar WHOIS Server", registrar.whois_server), ("Registrar URL", registrar.url),
        ("Updated Date", whois_time(info.updated_at) if info.updated_at else None),
        ("Creation Date", whois_time(info.created_at)), ("Registry Expiry Date", whois_time(info.expires_at)),
        *_registrar(registrar)]
    pairs += [("Domain Status", f"{s} https://icann.org/epp#{s}") for s in info.statuses + info.rgp_statuses]
    for role, label, id_label in ROLE_LABEL:
        for link in record.contacts:
            if link.role == role:
                pairs += _contact(label, id_label, link.contact, contact_uri)
    pairs += [("Name Server", name) for name in info.nameservers] or [("Name Server", "")]
    pairs.append(("DNSSEC", "signedDelegation" if info.ds else "unsigned"))
    return text([*_fields(pairs), COMPLAINT_FORM, last_update(record.as_of), "", *TERMS, *abuse])


def nameserver(record: HostRecord, abuse: tuple[str, ...] = ()) -> bytes:
    host, registrar = record.host, record.registrar
    pairs: list[Line] = [("Server Name", host.name), *[("IP Address", a) for a in host.addresses],
                         ("Registrar", registrar.name), ("Registrar WHOIS Server", registrar.whois_server),
                         ("Registrar URL", registrar.url)]
    return text([*_fields(pairs), last_update(record.as_of), "", *TERMS, *abuse])


def registrar(record: PublicRegistrar, as_of: datetime) -> bytes:
    pairs: list[Line] = [*_registrar(record), ("Registrar WHOIS Server", record.whois_server),
                         ("Registrar URL", record.url), ("Email", record.email)]
    return text([*_fields(pairs), last_update(as_of), "", *TERMS])


def no_match(query: str, now: datetime) -> bytes:
    return text([f'No match for "{query}".', last_update(now)])


def refusal(message: str) -> bytes:
    """An error or a refusal: one line, "%"-commented as WHOIS servers customarily do."""
    return text([f"% {message}"])


def help_text(now: datetime, abuse: tuple[str, ...] = ()) -> bytes:
    return text([*QUERY_FORMS, *abuse, last_update(now)])
