"""Registration data for the public-service tests, built with the core services (the way
an EPP session would build it)."""

from __future__ import annotations

from dataclasses import dataclass

from protocols.config import AbuseConfig, Config, RdapConfig, WhoisConfig
from registry_core.context import Core
from registry_core.model.contact import ContactCreate, Disclose, PostalInfo
from registry_core.model.domain import DomainCreate, DomainUpdate, DsData
from registry_core.services import contacts, domain_update, domains, registrars
from tests.conftest import actor
from tests.core.helpers import make_contact, make_host

NAME = "example-name.example"
DOMAIN_AUTH = "Secret-Dom41n"
DIGEST = "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC1234"
PUBLIC_POSTAL = PostalInfo("int", "Pat Public", "Public Org", ("2 High St", "Floor 3"), "Leeds", "WYK", "LS1 4AP",
                           "GB")


@dataclass(frozen=True)
class Seed:
    domain: str = NAME
    glue_host: str = f"ns1.{NAME}"
    external_host: str = "ns1.dns-host.net"
    private_contact: str = "priv-1"  # discloses nothing
    public_contact: str = "pub-1"  # discloses name, org, address, voice and e-mail


def public_config(*, rdap: dict | None = None, whois: dict | None = None, abuse: dict | None = None) -> Config:
    """Ephemeral ports, links derived from the request, limits off unless a test sets them."""
    rdap_values = {"port": 0, "base_url": "", "rate_per_second": 0.0, "max_connections_per_ip": 0, **(rdap or {})}
    whois_values = {"port": 0, "rate_per_second": 0.0, "max_connections_per_ip": 0, "read_timeout": 2.0,
                    **(whois or {})}
    return Config(rdap=RdapConfig(**rdap_values), whois=WhoisConfig(**whois_values), abuse=AbuseConfig(**(abuse or {})))


async def make_public_contact(core: Core, handle: str) -> None:
    await contacts.create_contact(core, actor(), ContactCreate(
        handle, (PUBLIC_POSTAL,), "pat@public.example", "Contact-Auth1", voice="+44.1132220000", voice_ext="12",
        fax="+44.1132220001",
        disclose=Disclose(True, frozenset({"name_int", "org_int", "addr_int", "voice", "email"}))))


async def seed(core: Core) -> Seed:
    """alpha (IANA 9999) sponsors example-name.example: registrant and tech withheld, admin
    public, an external and a glue name server, one DS record."""
    s = Seed()
    await registrars.update_registrar(core, "alpha", iana_id=9999, url="https://alpha-registrar.test",
                                      whois_server="whois.alpha-registrar.test",
                                      abuse_email="abuse@alpha-registrar.test", abuse_phone="+1.5555550100")
    await make_contact(core, s.private_contact)
    await make_public_contact(core, s.public_contact)
    await make_host(core, s.external_host)
    await domains.create_domain(core, actor(), DomainCreate(
        s.domain, 2, s.private_contact, (("admin", s.public_contact), ("tech", s.private_contact)),
        (s.external_host,), DOMAIN_AUTH, (DsData(12345, 13, 2, DIGEST),)))
    await make_host(core, s.glue_host, addresses=("193.0.14.129", "2001:7fd::1"))
    await domain_update.update_domain(core, actor(), DomainUpdate(s.domain, add_nameservers=(s.glue_host,)))
    return s
