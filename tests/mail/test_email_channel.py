"""The email channel against a real SMTP server (aiosmtpd on loopback, STARTTLS with a
certificate from a CA made here, AUTH): the mail is parsed back with the email package and
its DKIM signature verified by dkimpy. DNS is the one stand-in: dkimpy's `dnsfunc` answers
the selector's TXT record from the key pair the test made (no DNS server holds it)."""

from __future__ import annotations

import dataclasses
import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import dkim
import pytest

from protocols.cli.certs import DevCerts
from protocols.mail.channel import EmailChannel
from protocols.notify.delivery import Delivery, DeliveryFailed
from tests.mail.conftest import DkimKey, mail_config
from tests.mail.sink import SmtpSink, sink_tls_context

WHEN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def created(delivery_id: str = "d-1", attempt: int = 1, **payload: object) -> Delivery:
    values = {"domain": "shop.example", "registrar": "alpha", "expiry": "2027-12-03", **payload}
    return Delivery(delivery_id, "domain.created", WHEN, "registrar:alpha", values, attempt)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


async def started(config: object) -> EmailChannel:
    channel = EmailChannel(config)  # type: ignore[arg-type]
    await channel.start()
    return channel


async def test_a_mail_arrives_over_starttls_with_auth_signed_and_in_two_parts(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path, dkim_key: DkimKey) -> None:
    config = mail_config(sink.port, mail_certs, password_file, dkim_key_file=str(dkim_key.private_file),
                         dkim_selector="mail2026")
    channel = await started(config)
    try:
        await channel.deliver(created(registrar="<b>alpha</b>"), "Tech@Alpha-Registrar.test")
    finally:
        await channel.stop(1.0)
    (got,) = sink.received
    assert got.tls and got.authenticated
    assert (got.mail_from, got.rcpt_tos) == ("nic@nic.example", ["Tech@alpha-registrar.test"])
    message = parsed(got.content)
    assert message["From"] == "Example NIC <nic@nic.example>"  # the TLD's sender, not the default
    assert message["To"] == "Tech@alpha-registrar.test"
    assert message["Subject"] == "shop.example is registered"
    assert message["Message-ID"] == "<notify.d-1@nic.example>"
    assert message["Auto-Submitted"] == "auto-generated" and message["Precedence"] is None
    assert message["List-Unsubscribe"] is None  # a registration is no optional mail
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert "The domain shop.example was created by <b>alpha</b>." in text.get_content()
    assert "created by &lt;b&gt;alpha&lt;/b&gt;" in html.get_content()  # autoescaped in HTML only

    def dns_stub(name: bytes, timeout: int = 5) -> bytes:  # the stand-in for DNS, see the module doc
        assert name == b"mail2026._domainkey.nic.example."
        return dkim_key.txt_record

    assert b"d=nic.example" in got.content and b"s=mail2026" in got.content
    assert dkim.verify(got.content, dnsfunc=dns_stub)
    tampered = got.content.replace(b"shop.example was created", b"shop.example was deleted")
    assert not dkim.verify(tampered, dnsfunc=dns_stub)


async def test_a_retry_keeps_the_message_id_and_connections_are_reused(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path) -> None:
    channel = await started(mail_config(sink.port, mail_certs, password_file))
    try:
        for attempt in (1, 2):
            await channel.deliver(created("retry-7", attempt), "tech@alpha.test")
        for n in range(3):
            await channel.deliver(created(f"other-{n}", domain="x.other"), "tech@alpha.test")
    finally:
        await channel.stop(1.0)
    ids = [parsed(r.content)["Message-ID"] for r in sink.received]
    assert ids[:2] == ["<notify.retry-7@nic.example>"] * 2
    assert ids[2] == "<notify.other-0@registry.test>"  # no TLD sender for .other: the default From
    assert sink.connections == 1 and channel.pool is not None and channel.pool.opened == 1


async def test_the_relays_4xx_is_retryable_and_its_5xx_is_not(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path) -> None:
    channel = await started(mail_config(sink.port, mail_certs, password_file))
    try:
        with pytest.raises(DeliveryFailed) as transient:
            await channel.deliver(created(), "busy@alpha.test")
        with pytest.raises(DeliveryFailed) as permanent:
            await channel.deliver(created(), "nobody@alpha.test")
        await channel.deliver(created(), "tech@alpha.test")  # a new connection after the failures
    finally:
        await channel.stop(1.0)
    assert transient.value.retryable and "451" in transient.value.detail
    assert not permanent.value.retryable and "550" in permanent.value.detail
    assert len(sink.received) == 1


async def test_addresses_and_payloads_that_cannot_make_a_mail_are_not_retried(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path) -> None:
    channel = await started(mail_config(sink.port, mail_certs, password_file))
    try:
        for target in ("not an address", "a@b", "x@y.test\r\nBcc: evil@z.test", '"q"@alpha.test'):
            with pytest.raises(DeliveryFailed) as bad:
                await channel.deliver(created(), target)
            assert not bad.value.retryable
        no_domain = Delivery("d-2", "domain.created", WHEN, "registrar:alpha", {"registrar": "alpha"})
        with pytest.raises(DeliveryFailed) as missing:
            await channel.deliver(no_domain, "tech@alpha.test")  # StrictUndefined: no blank name
    finally:
        await channel.stop(1.0)
    assert not missing.value.retryable and "domain" in missing.value.detail
    assert sink.received == []


async def test_an_unknown_certificate_wrong_password_or_closed_port_are_retryable(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-it")
    closed = SmtpSink(None)
    await closed.start()
    await closed.stop()
    for config in (mail_config(sink.port, mail_certs, password_file, ca_file=""),  # system CAs: not ours
                   mail_config(sink.port, mail_certs, wrong),
                   mail_config(closed.port, mail_certs, password_file)):
        channel = await started(config)
        try:
            with pytest.raises(DeliveryFailed) as failed:
                await channel.deliver(created(), "tech@alpha.test")
        finally:
            await channel.stop(1.0)
        assert failed.value.retryable, failed.value.detail
    assert sink.received == []


async def test_implicit_tls_and_list_unsubscribe_on_a_reminder(
        mail_certs: DevCerts, password_file: Path) -> None:
    sink = SmtpSink(sink_tls_context(str(mail_certs.server.cert), str(mail_certs.server.key)), implicit_tls=True)
    await sink.start()
    config = mail_config(sink.port, mail_certs, password_file, tls="tls",
                         unsubscribe_url="https://registrar.test/prefs?event={event}")
    channel = await started(config)
    reminder = Delivery("rem-1", "domain.expiry.reminder", WHEN, "registrar:alpha",
                        {"domain": "shop.example", "expiry": "2026-12-10", "days": 7})
    try:
        await channel.deliver(reminder, "tech@alpha.test")
    finally:
        await channel.stop(1.0)
        await sink.stop()
    assert sink.received[0].authenticated
    message = parsed(sink.received[0].content)
    assert message["List-Unsubscribe"] == "<https://registrar.test/prefs?event=domain.expiry.reminder>"
    assert message["Subject"] == "shop.example expires on 2026-12-10"
    body = message.get_body(("plain",))
    assert body is not None and "in 7 day(s)" in body.get_content()


async def test_start_refuses_a_broken_setup(mail_certs: DevCerts, password_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "dkim.key"
    broken.write_text("not a key")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "domain.txt").write_text("{{ payload.domain }")
    (templates / "domain.html").write_text("ok")
    base = mail_config(25, mail_certs, password_file)
    for config, kwargs in ((dataclasses.replace(base, dkim_key_file=str(broken), dkim_selector="s"), {}),
                           (dataclasses.replace(base, from_address="nobody"), {}),
                           (base, {"templates": templates})):
        with pytest.raises(Exception) as refused:
            await EmailChannel(config, **kwargs).start()  # type: ignore[arg-type]
        assert str(refused.value)


async def test_parallel_mails_share_at_most_max_connections(
        sink: SmtpSink, mail_certs: DevCerts, password_file: Path) -> None:
    import asyncio

    channel = await started(mail_config(sink.port, mail_certs, password_file, max_connections=2))
    try:
        await asyncio.gather(*(channel.deliver(created(f"p-{n}"), f"t{n}@alpha.test") for n in range(12)))
    finally:
        await channel.stop(1.0)
    assert len(sink.received) == 12 and sink.connections == 2


async def test_a_connection_the_relay_dropped_while_idle_is_replaced(
        mail_certs: DevCerts, password_file: Path) -> None:
    import asyncio

    sink = SmtpSink(sink_tls_context(str(mail_certs.server.cert), str(mail_certs.server.key)), idle_timeout=0.3)
    await sink.start()
    channel = await started(mail_config(sink.port, mail_certs, password_file))
    try:
        await channel.deliver(created("i-1"), "tech@alpha.test")
        await asyncio.sleep(0.8)  # the sink hangs up on the idle connection meanwhile
        await channel.deliver(created("i-2"), "tech@alpha.test")
    finally:
        await channel.stop(1.0)
        await sink.stop()
    assert len(sink.received) == 2 and sink.connections == 2
