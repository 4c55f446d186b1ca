"""What every RDAP renderer needs to know about the answer it builds: the settings
derived from configuration once at start-up, and per request the base URL for links,
the query URL (the `value` of notice links) and whether the ICANN profile applies."""

from __future__ import annotations

from dataclasses import dataclass

from protocols.config import Config

RDAP_JSON = "application/rdap+json"
LEVEL_0 = "rdap_level_0"
ICANN_TOKENS = ("icann_rdap_response_profile_1", "icann_rdap_technical_implementation_guide_1")


@dataclass(frozen=True)
class RdapSettings:
    base_url: str  # "" derives the base from each request (development and tests)
    port43: str  # WHOIS server name template ({tld} is replaced); "" to omit port43
    whois_running: bool
    terms_url: str  # "" uses <base>help
    contact_uri: str  # web form for contacting a contact whose e-mail is withheld; "" for none
    search_limit: int
    abuse_email: str = ""  # the registry's abuse intake ([abuse] email and report_url), named in notices
    abuse_url: str = ""

    @classmethod
    def from_config(cls, config: Config) -> RdapSettings:
        rdap = config.rdap
        base = rdap.base_url if not rdap.base_url or rdap.base_url.endswith("/") else rdap.base_url + "/"
        return cls(base, rdap.port43, config.whois.enabled, rdap.terms_url, rdap.contact_uri,
                   max(1, rdap.search_limit), config.abuse.email, config.abuse.report_url)

    def port43_for(self, tld: str) -> str | None:
        if not self.whois_running or not self.port43:
            return None
        return self.port43.replace("{tld}", tld)


@dataclass(frozen=True)
class View:
    settings: RdapSettings
    base: str  # ends with "/"
    url: str  # the URL the client asked for
    icann: bool

    def href(self, path: str) -> str:
        return self.base + path

    def link(self, rel: str, href: str, media_type: str = RDAP_JSON) -> dict[str, str]:
        return {"value": self.url, "rel": rel, "href": href, "type": media_type}

    def self_link(self, path: str) -> dict[str, str]:
        return self.link("self", self.href(path))

    def conformance(self, *extensions: str) -> list[str]:
        tokens = [LEVEL_0, *(ICANN_TOKENS if self.icann else ()), *extensions]
        return list(dict.fromkeys(tokens))

    def terms(self) -> tuple[str, str]:
        """(href, media type) of the terms of service."""
        if self.settings.terms_url:
            return self.settings.terms_url, "text/html"
        return self.href("help"), RDAP_JSON
