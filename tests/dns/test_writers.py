"""Choosing the publisher's writer from [dns]: the config loader refuses a writer or a zone
entry it does not know, and writer_for names the setting that keeps a writer from working."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocols.config import ConfigError, config_from_mapping
from protocols.dns.cloudflare_writer import CloudflareWriter
from protocols.dns.rfc2136 import Rfc2136Writer
from protocols.dns.route53 import Route53Writer
from protocols.dns.tsig import new_secret
from protocols.dns.writers import WriterSetupError, writer_for, zone_map


def test_rfc2136_is_the_default_and_needs_the_publisher_key(tmp_path: Path) -> None:
    key = tmp_path / "publisher.tsig"
    with pytest.raises(WriterSetupError):
        writer_for(config_from_mapping({"dns": {"update_key_file": str(key)}}))
    key.write_text(new_secret() + "\n")
    key.chmod(0o600)
    writer = writer_for(config_from_mapping({"dns": {"update_key_file": str(key), "port": 5399}}))
    assert isinstance(writer, Rfc2136Writer) and writer.port == 5399


def test_provider_writers_from_config(tmp_path: Path) -> None:
    route53 = writer_for(config_from_mapping({"dns": {"writer": "route53", "route53_zones": [
        "example=Z1", "Other.=Z2"], "route53_wait": "true", "aws_profile": "registry"}}))
    assert isinstance(route53, Route53Writer) and route53.zones == {"example": "Z1", "other": "Z2"}
    assert route53.settings.wait and route53.settings.profile == "registry"
    token = tmp_path / "token"
    token.write_text("abc\n")
    cloudflare = writer_for(config_from_mapping({"dns": {"writer": "cloudflare", "cloudflare_zones": "example=ZC",
                                                         "cloudflare_token_file": str(token)}}))
    assert isinstance(cloudflare, CloudflareWriter) and cloudflare.zones == {"example": "ZC"}


@pytest.mark.parametrize(("dns", "complaint"), [
    ({"writer": "route53"}, "route53_zones names no hosted zone"),
    ({"writer": "cloudflare"}, "cloudflare_zones names no zone"),
    ({"writer": "cloudflare", "cloudflare_zones": ["example=Z"]}, "cloudflare_token_file is not set"),
    ({"writer": "cloudflare", "cloudflare_zones": ["example=Z"], "cloudflare_token_file": "/nonexistent/token"},
     "No such file")])
def test_an_unusable_provider_setting_is_named(dns: dict[str, object], complaint: str) -> None:
    with pytest.raises(WriterSetupError, match=complaint):
        writer_for(config_from_mapping({"dns": dns}))


@pytest.mark.parametrize(("dns", "complaint"), [
    ({"writer": "bind"}, "dns.writer: expected one of rfc2136, route53, cloudflare"),
    ({"route53_zones": ["example"]}, "dns.route53_zones: expected tld=ZONE_ID"),
    ({"cloudflare_zones": ["=Z1"]}, "dns.cloudflare_zones: expected tld=ZONE_ID"),
    ({"cloudflare_batch_limit": 0}, "dns.cloudflare_batch_limit: must be more than 0")])
def test_the_config_loader_refuses_bad_provider_settings(dns: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        config_from_mapping({"dns": dns})


def test_zone_map() -> None:
    assert zone_map(["Example.=Z1 ", " other = Z2"]) == {"example": "Z1", "other": "Z2"}
