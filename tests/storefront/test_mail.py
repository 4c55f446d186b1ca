"""The shop's mail outbox against a real SMTP relay (tests/mail/sink.py: STARTTLS and AUTH):
a mail written in a transaction leaves only if it commits, once per key, and a relay that
says "later" is tried again while one that says "no such mailbox" is not."""

from __future__ import annotations

import email
import tomllib
from email.policy import default
from pathlib import Path

import asyncpg
import pytest

from protocols.cli.certs import DevCerts
from storefront.mail import MailSender, MailSettingsError, enqueue_mail, mail_settings
from tests.mail.sink import USER, SmtpSink


def settings_for(sink: SmtpSink, certs: DevCerts, password: Path) -> dict[str, object]:
    text = f"""[storefront.mail]
relay_host = "localhost"
relay_port = {sink.port}
tls = "starttls"
ca_file = "{certs.ca_cert}"
username = "{USER}"
password_file = "{password}"
from_address = "Example shop <shop@shop.test>"
connect_timeout = 5
"""
    return tomllib.loads(text)["storefront"]


async def outbox(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM storefront.mail_outbox ORDER BY id")


async def test_a_committed_mail_is_sent_once_per_key(shop_pool: asyncpg.Pool, sink: SmtpSink,
                                                     mail_certs: DevCerts, password_file: Path) -> None:
    sender = MailSender(shop_pool, mail_settings(settings_for(sink, mail_certs, password_file)))
    async with shop_pool.acquire() as conn:
        async with conn.transaction():
            assert await enqueue_mail(conn, to="ann@example.test", subject="Your order  ORD-1",
                                      text="It is ready.\n", key="order:ORD-1:ready")
        async with conn.transaction():  # the step ran again: no second mail
            assert not await enqueue_mail(conn, to="ann@example.test", subject="Your order ORD-1",
                                          text="It is ready.\n", key="order:ORD-1:ready")
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await enqueue_mail(conn, to="bob@example.test", subject="rolled back", text="never\n")
                raise RuntimeError("the change failed")
    try:
        assert await sender.send_due() == 1
        assert await sender.send_due() == 0
    finally:
        await sender.close()
    assert len(sink.received) == 1
    received = sink.received[0]
    assert received.rcpt_tos == ["ann@example.test"] and received.tls and received.authenticated
    message = email.message_from_bytes(received.content, policy=default)
    assert message["Subject"] == "Your order ORD-1" and message["From"] == "Example shop <shop@shop.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().replace("\r\n", "\n") == "It is ready.\n"
    [row] = await outbox(shop_pool)
    assert row["sent_at"] is not None and row["attempts"] == 1


async def test_a_temporary_refusal_is_retried_a_permanent_one_is_not(
        shop_pool: asyncpg.Pool, sink: SmtpSink, mail_certs: DevCerts, password_file: Path) -> None:
    sender = MailSender(shop_pool, mail_settings(settings_for(sink, mail_certs, password_file)))
    async with shop_pool.acquire() as conn:
        await enqueue_mail(conn, to="busy@example.test", subject="later", text="x\n")
        await enqueue_mail(conn, to="nobody@example.test", subject="never", text="x\n")
    try:
        assert await sender.send_due() == 0
        busy, nobody = await outbox(shop_pool)
        assert busy["failed_at"] is None and busy["sent_at"] is None and "451" in busy["last_error"]
        assert nobody["failed_at"] is not None and "550" in nobody["last_error"]
        # the busy one is due again after its backoff, not at once
        assert await sender.send_due() == 0
        assert (await outbox(shop_pool))[0]["attempts"] == 1
        await shop_pool.execute("UPDATE storefront.mail_outbox SET next_attempt_at = now() WHERE id = $1", busy["id"])
        await sender.send_due()
        assert (await outbox(shop_pool))[0]["attempts"] == 2
    finally:
        await sender.close()
    assert sink.received == []


async def test_a_relay_that_is_down_keeps_the_mail(shop_pool: asyncpg.Pool, sink: SmtpSink,
                                                   mail_certs: DevCerts, password_file: Path) -> None:
    settings = settings_for(sink, mail_certs, password_file)
    await sink.stop()
    sender = MailSender(shop_pool, mail_settings(settings))
    async with shop_pool.acquire() as conn:
        await enqueue_mail(conn, to="ann@example.test", subject="kept", text="x\n")
    try:
        assert await sender.send_due() == 0
    finally:
        await sender.close()
    [row] = await outbox(shop_pool)
    assert row["sent_at"] is None and row["failed_at"] is None and row["last_error"]
    assert row["next_attempt_at"] > row["created_at"]


def test_mail_settings_are_checked() -> None:
    assert mail_settings({}).relay_host == ""  # no relay: mail waits in the outbox
    with pytest.raises(MailSettingsError, match="unknown"):
        mail_settings({"mail": {"relay": "x"}})
    with pytest.raises(MailSettingsError, match="relay_port"):
        mail_settings({"mail": {"relay_port": "25"}})
    with pytest.raises(MailSettingsError, match="tls"):
        mail_settings({"mail": {"tls": "ssl"}})
    with pytest.raises(MailSettingsError, match="from_address"):
        mail_settings({"mail": {"from_address": "not an address"}})


async def test_enqueue_refuses_a_bad_address(shop_pool: asyncpg.Pool) -> None:
    async with shop_pool.acquire() as conn:
        with pytest.raises(ValueError):
            await enqueue_mail(conn, to="no at sign", subject="s", text="t")
