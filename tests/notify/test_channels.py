"""`[notify] channels`: the built-in entries build the product's channels, a
`name=module:factory` entry is parsed (and a missing module leaves its deliveries waiting)."""

from __future__ import annotations

import dataclasses

import pytest

from protocols.config import Config, ConfigError, MailConfig, NotifyConfig
from protocols.mail.channel import EmailChannel
from protocols.notify.channels import build_channels, parse_entry
from protocols.webhooks.channel import WebhookChannel


def test_the_default_entries_are_the_email_and_webhook_adapters() -> None:
    relayed = dataclasses.replace(Config(), mail=MailConfig(relay_host="relay.registry.test"))
    channels = build_channels(relayed)
    assert sorted(channels) == ["email", "webhook"]
    assert isinstance(channels["email"], EmailChannel) and isinstance(channels["webhook"], WebhookChannel)
    assert sorted(build_channels(Config())) == ["webhook"]  # no relay_host: the mails wait in the outbox


def test_an_entry_of_ones_own_is_name_module_factory() -> None:
    assert parse_entry(" sms = acme.sms:build ") == ("sms", "acme.sms", "build")
    for bad in ("sms", "sms=acme.sms", "=acme.sms:build", "sms=:build", "sms=acme.sms:"):
        with pytest.raises(ConfigError):
            parse_entry(bad)


def test_a_channel_whose_module_is_missing_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    config = dataclasses.replace(Config(), notify=NotifyConfig(channels=("webhook", "sms=no_such_sms_module:build")))
    assert sorted(build_channels(config)) == ["webhook"]
    assert "notification channel sms not available" in caplog.text
