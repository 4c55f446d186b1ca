"""The publisher's writer as [dns] writer chooses it: rfc2136 (UPDATEs to the Knot primary,
signed with the publisher's TSIG key), route53 or cloudflare (the TLD zones live at that
provider; each TLD's zone id is in dns.route53_zones / dns.cloudflare_zones). A setting
that makes the writer unusable (no key, no token, a TLD without a zone) is a
WriterSetupError naming it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from protocols.config import Config
from protocols.dns.cloudflare_writer import CloudflareSettings, CloudflareWriter
from protocols.dns.primary import publisher_key
from protocols.dns.publisher import ZoneWriter
from protocols.dns.rfc2136 import Rfc2136Writer, TsigCredentials
from protocols.dns.route53 import Route53Settings, Route53Writer
from protocols.dns.tsig import TsigKeyError


class WriterSetupError(Exception):
    pass


def zone_map(entries: Iterable[str]) -> dict[str, str]:
    """{"tld": "zone id"} from "tld=ZONE_ID" entries (checked by the config loader)."""
    pairs = (entry.partition("=") for entry in entries)
    return {tld.strip().lower().rstrip("."): zone.strip() for tld, _sep, zone in pairs}


def rfc2136_writer(config: Config) -> Rfc2136Writer:
    try:
        key = publisher_key(config)
    except TsigKeyError as exc:
        raise WriterSetupError(str(exc)) from exc
    return Rfc2136Writer(config.dns.host, config.dns.port, TsigCredentials(key.name, key.secret, key.algorithm))


def route53_writer(config: Config) -> Route53Writer:
    dns = config.dns
    if not dns.route53_zones:
        raise WriterSetupError("dns.writer is route53 but dns.route53_zones names no hosted zone")
    return Route53Writer(zone_map(dns.route53_zones), Route53Settings(
        region=dns.aws_region, endpoint_url=dns.aws_endpoint_url, profile=dns.aws_profile,
        wait=dns.route53_wait, wait_timeout=dns.route53_wait_timeout))


def cloudflare_token(path: str) -> str:
    if not path:
        raise WriterSetupError("dns.writer is cloudflare but dns.cloudflare_token_file is not set")
    try:
        token = Path(path).read_text("utf-8").strip()
    except OSError as exc:
        raise WriterSetupError(f"dns.cloudflare_token_file {path}: {exc.strerror or exc}") from exc
    if not token:
        raise WriterSetupError(f"dns.cloudflare_token_file {path} is empty")
    return token


def cloudflare_writer(config: Config) -> CloudflareWriter:
    dns = config.dns
    if not dns.cloudflare_zones:
        raise WriterSetupError("dns.writer is cloudflare but dns.cloudflare_zones names no zone")
    return CloudflareWriter(zone_map(dns.cloudflare_zones), cloudflare_token(dns.cloudflare_token_file),
                            CloudflareSettings(base_url=dns.cloudflare_base_url,
                                               batch_limit=dns.cloudflare_batch_limit))


def writer_for(config: Config) -> ZoneWriter:
    """The writer [dns] writer names, ready to use (clients connect on first use)."""
    if config.dns.writer == "route53":
        return route53_writer(config)
    if config.dns.writer == "cloudflare":
        return cloudflare_writer(config)
    return rfc2136_writer(config)
