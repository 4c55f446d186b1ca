"""The pure parts of the email channel, on values: addresses, Message-IDs, senders, templates."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address

import pytest

from protocols.mail.address import BadAddress, checked_address, mailbox
from protocols.mail.message import message_id, sender_for, unsubscribe_target
from protocols.mail.templates import MailTemplates
from protocols.notify.delivery import Delivery

WHEN = datetime(2026, 12, 3, tzinfo=UTC)


def delivery(event: str = "domain.created", **payload: object) -> Delivery:
    return Delivery("id-1", event, WHEN, "registrar:alpha", dict(payload))


def test_addresses_are_checked_and_their_domain_made_a_labels() -> None:
    assert checked_address("Jo.Doe+x@Bücher.Example") == "Jo.Doe+x@xn--bcher-kva.example"
    assert mailbox("NIC <nic@nic.example>").display_name == "NIC"
    for bad in ("", "@x.test", "a@", "a@b", "a b@x.test", "a@x..test", "a@-x.test", "x" * 65 + "@x.test",
                "a@" + "x" * 250 + ".test", "a@x.test\n"):
        with pytest.raises(BadAddress):
            checked_address(bad)


def test_message_ids_are_the_delivery_id_or_its_hash() -> None:
    assert message_id("7f3a.1", "nic.example") == "<notify.7f3a.1@nic.example>"
    odd = message_id("has space<>", "nic.example")
    assert odd == message_id("has space<>", "nic.example") and " " not in odd and len(odd) < 80


def test_the_sender_is_the_longest_tld_match() -> None:
    default, uk, co_uk = (Address(addr_spec=a) for a in ("d@r.test", "uk@nic.uk", "co@nic.co.uk"))
    table = {"uk": uk, "co.uk": co_uk}
    assert sender_for(delivery(domain="shop.co.uk"), default, table) is co_uk
    assert sender_for(delivery(domain="shop.uk"), default, table) is uk
    assert sender_for(delivery(tld="co.uk"), default, table) is co_uk
    assert sender_for(delivery(domain="shop.test"), default, table) is default
    assert sender_for(delivery("registrar.balance.low", registrar="alpha"), default, table) is default


def test_list_unsubscribe_only_for_the_optional_events() -> None:
    url = "mailto:prefs@r.test?subject={event}"
    events = ("domain.expiry.reminder",)
    assert unsubscribe_target(url, events, delivery("domain.expiry.reminder")) == \
        "mailto:prefs@r.test?subject=domain.expiry.reminder"
    assert unsubscribe_target(url, events, delivery("domain.created")) == ""
    assert unsubscribe_target("", events, delivery("domain.expiry.reminder")) == ""


def test_templates_fall_back_by_family_then_to_generic() -> None:
    templates = MailTemplates()
    templates.compile()
    assert templates.name_for("domain.transfer.auto-approved") == "domain.transfer"
    assert templates.name_for("domain.redemption.entered") == "domain"
    assert templates.name_for("escrow.failed") == "generic"
    mail = templates.render(delivery("domain.transfer.auto-approved", domain="a.example", gaining="beta"))
    assert mail.subject == "Transfer of a.example: auto approved"
    assert "Gaining registrar: beta" in mail.text
    generic = templates.render(delivery("escrow.failed", deposit="2026-12-03", reason="<sftp down>"))
    assert "reason: <sftp down>" in generic.text and "&lt;sftp down&gt;" in generic.html


def test_mail_and_webhook_settings_are_checked_when_loaded() -> None:
    from protocols.config import ConfigError, load_config

    config = load_config(environ={"REGISTRY_MAIL_CATCHER": "127.0.0.1:2525", "REGISTRY_MAIL_TLS": "none",
                                  "REGISTRY_MAIL_TLD_FROM": "example=NIC <nic@nic.example>, co.uk=a@nic.co.uk",
                                  "REGISTRY_WEBHOOKS_ALLOWLIST": "10.20.0.0/16"})
    assert config.mail.tld_from == ("example=NIC <nic@nic.example>", "co.uk=a@nic.co.uk")
    assert (config.mail.catcher, config.webhooks.allowlist) == ("127.0.0.1:2525", ("10.20.0.0/16",))
    for key, value in (("MAIL_TLS", "ssl"), ("MAIL_CATCHER", "2525"), ("MAIL_TLD_FROM", "example"),
                       ("WEBHOOKS_ALLOWLIST", "10.0.0.0/33"), ("MAIL_MAX_CONNECTIONS", "0")):
        with pytest.raises(ConfigError):
            load_config(environ={f"REGISTRY_{key}": value})


def test_the_message_bytes_parse_back_exactly() -> None:
    import email
    from email.message import EmailMessage
    from email.policy import default

    from protocols.mail.message import build_message
    from protocols.mail.templates import RenderedMail

    subject = ("Überweisung für bücher.example: " + "sehr lange Betreffzeile " * 6).strip()
    text = "a=b\n" + "x" * 200 + "\n.\nFrom here\nend with space \nünïcödé\n"
    html = "<p>=_ not a boundary</p>\n"
    sender = Address("Registre fr\u00e9", "nic", "nic.example")
    raw = build_message(Delivery("id-1", "domain.created\r\nBcc: x@y.test", WHEN, "registrar:alpha", {}),
                        RenderedMail(subject, text, html), sender, "tech@alpha.test", now=WHEN)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == subject and message["From"] == "Registre fré <nic@nic.example>"
    assert message["Bcc"] is None and message["X-Registry-Event"] == "domain.created--Bcc:-x-y.test"
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == text and rich.get_content().replace("\r\n", "\n") == html


def test_a_long_ascii_subject_is_folded_and_unfolds_to_itself() -> None:
    import email
    from email.policy import default

    from protocols.mail.message import build_message
    from protocols.mail.templates import RenderedMail

    subject = " ".join(f"word{n}" for n in range(40))
    raw = build_message(Delivery("id-2", "domain.created", WHEN, "registrar:alpha", {}),
                        RenderedMail(subject, "t\n", "<p>h</p>\n"), Address("", "nic", "nic.example"),
                        "tech@alpha.test", now=WHEN)
    assert raw.count(b"\r\n word") >= 3 and all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert email.message_from_bytes(raw, policy=default)["Subject"] == subject


def test_a_delivery_failure_says_its_detail_and_pickles_whole() -> None:
    import pickle

    from protocols.notify.delivery import DeliveryFailed

    failed = pickle.loads(pickle.dumps(DeliveryFailed("relay answered 451", retryable=True)))
    assert (str(failed), failed.detail, failed.retryable) == ("relay answered 451", "relay answered 451", True)
    assert not DeliveryFailed("550", False).retryable
