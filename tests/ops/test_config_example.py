"""The production example (deploy/registry.example.toml, shown in the README) is loaded by
the real config loader, lists every setting the code has, and is the README's example
word for word: the documentation cannot drift from the code."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from protocols.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "registry.example.toml"


def settings_in_code() -> set[str]:
    return {f"{section.name}.{key.name}" for section in dataclasses.fields(Config)
            for key in dataclasses.fields(section.default_factory())}  # type: ignore[misc]


def test_the_example_loads_with_production_values() -> None:
    config = load_config(EXAMPLE, environ={})
    assert (config.epp.port, config.whois.port) == (700, 43)
    assert config.rdap.base_url.startswith("https://") and config.rdap.proxy_protocol
    assert config.database.url.startswith("postgresql://") and "sslmode=verify-full" in config.database.url
    assert config.database.replica_url and config.database.replica_url != config.database.url
    assert config.registry.auth_info_key == "" and config.registry.auth_info_key_file.startswith("/")
    assert not config.epp.cert.startswith("certs/dev") and config.metrics.enabled
    assert config.whois.allowlist == ("192.0.2.10/32",)


def test_the_example_lists_every_setting_the_code_has() -> None:
    documented = {f"{section}.{key}" for section, keys in tomllib.loads(EXAMPLE.read_text("utf-8")).items()
                  for key in keys}
    missing = settings_in_code() - documented
    assert not missing, f"add to deploy/registry.example.toml and the README example: {sorted(missing)}"


def test_the_readme_shows_the_example_word_for_word() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Production deployment\n", 1)
    assert len(section) == 2, "README.md has no '## Production deployment' section"
    block = re.search(r"```toml\n(.*?)```", section[1], re.DOTALL)
    assert block is not None, "no toml block in the Production deployment section"
    assert block.group(1) == EXAMPLE.read_text("utf-8"), "README example differs from deploy/registry.example.toml"


def test_environment_overrides_win_over_the_file() -> None:
    config = load_config(EXAMPLE, environ={
        "REGISTRY_DATABASE_URL": "postgresql://registry:secret@db2.internal/registry",
        "REGISTRY_DATABASE_REPLICA_URL": "", "REGISTRY_EPP_PORT": "7700",
        "REGISTRY_RDAP_ALLOWLIST": "192.0.2.0/24, 2001:db8::/32", "REGISTRY_WORKERS_REUSE_PORT": "off",
        "REGISTRY_METRICS_ENABLED": "false", "REGISTRY_WORKERS_COUNT": "4"})
    assert config.database.url == "postgresql://registry:secret@db2.internal/registry"
    assert config.database.replica_url == "" and config.epp.port == 7700
    assert config.rdap.allowlist == ("192.0.2.0/24", "2001:db8::/32")
    assert (config.workers.reuse_port, config.metrics.enabled, config.workers.count) == (False, False, 4)


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("REGISTRY_EPP_PROT", "700", "unknown key"), ("REGISTRY_EPP_PORT", "seven", "epp.port"),
    ("REGISTRY_WHOIS_PROXY_PROTOCOL", "maybe", "whois.proxy_protocol"),
    ("REGISTRY_EPP_COMMAND_RATE_ACTION", "drop", "epp.command_rate_action"),
    ("REGISTRY_REDIS_URL", "http://limits.internal:6379", "redis.url"),
    ("REGISTRY_REDIS_LEASE_TTL", "1", "redis.lease_ttl"),
    ("REGISTRY_REDIS_COMMAND_TIMEOUT", "0", "redis.command_timeout")])
def test_a_bad_override_is_refused_by_name(name: str, value: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_config(EXAMPLE, environ={name: value})
