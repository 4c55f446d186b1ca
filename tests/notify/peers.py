"""The real peers of the notification tests and benchmark, and the product's channels
pointed at them: an SMTP relay (tests/mail/sink.py: aiosmtpd with STARTTLS and AUTH) and an
HTTPS webhook receiver (tests/notify/receiver.py, verifying with the standardwebhooks
package), both on loopback with certificates from a dev CA. The channels are the real
EmailChannel (DKIM-signing with a key made here) and WebhookChannel ([webhooks] allowlist
for 127.0.0.0/8, the dev CA trusted: the receiver is on loopback)."""

from __future__ import annotations

import contextlib
import email
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import dkim

from protocols.cli.certs import DevCerts
from protocols.config import MailConfig, WebhooksConfig
from protocols.mail.channel import EmailChannel
from protocols.notify.channels import Channel
from protocols.webhooks.channel import WebhookChannel
from tests.mail.conftest import DkimKey, new_dkim_key
from tests.mail.sink import PASSWORD, USER, SmtpSink, sink_tls_context
from tests.notify.receiver import Receiver

SELECTOR = "notify2026"
FROM = "Example Registry <noreply@registry.test>"
TLD_FROM = "example=Example NIC <nic@nic.example>"


@dataclass
class Peers:
    certs: DevCerts
    sink: SmtpSink
    receiver: Receiver
    dkim: DkimKey
    password_file: Path
    sign: bool = True  # DKIM-sign the mails (dkimpy); the benchmark can turn it off

    def mail_config(self) -> MailConfig:
        return MailConfig(relay_host="localhost", relay_port=self.sink.port, tls="starttls",
                          ca_file=str(self.certs.ca_cert), username=USER, password_file=str(self.password_file),
                          local_hostname="registry.test", from_address=FROM, tld_from=(TLD_FROM,),
                          dkim_key_file=str(self.dkim.private_file) if self.sign else "",
                          dkim_selector=SELECTOR if self.sign else "", connect_timeout=5.0, command_timeout=5.0)

    def webhooks_config(self) -> WebhooksConfig:
        return WebhooksConfig(allowlist=("127.0.0.0/8",), ca_file=str(self.certs.ca_cert),
                              timeout=10.0, connect_timeout=5.0, max_connections_per_host=16)

    def channels(self) -> dict[str, Channel]:
        return {"email": EmailChannel(self.mail_config()), "webhook": WebhookChannel(self.webhooks_config())}

    def toml(self) -> str:
        """[mail] and [webhooks] for a `registry notify run` process reaching the same peers."""
        mail, hooks = self.mail_config(), self.webhooks_config()
        return (f'[mail]\nrelay_host = "{mail.relay_host}"\nrelay_port = {mail.relay_port}\ntls = "starttls"\n'
                f'ca_file = "{mail.ca_file}"\nusername = "{mail.username}"\npassword_file = "{mail.password_file}"\n'
                f'local_hostname = "registry.test"\nfrom_address = "{FROM}"\ntld_from = ["{TLD_FROM}"]\n'
                f'dkim_key_file = "{mail.dkim_key_file}"\ndkim_selector = "{mail.dkim_selector}"\n'
                f'[webhooks]\nallowlist = ["127.0.0.0/8"]\nca_file = "{hooks.ca_file}"\n'
                f'max_connections_per_host = {hooks.max_connections_per_host}\n')

    def mails(self) -> list[EmailMessage]:
        """What the relay received, parsed, each DKIM-verified (dkimpy) first when signed."""
        parsed = []
        for got in self.sink.received:
            assert got.tls and got.authenticated
            assert not self.sign or dkim.verify(got.content, dnsfunc=self.dns_stub), got.content[:400]
            message = email.message_from_bytes(got.content, policy=default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def dns_stub(self, name: bytes, timeout: int = 5) -> bytes:
        """DNS is the one stand-in: no DNS server holds the selector's TXT record made here."""
        assert name.startswith(f"{SELECTOR}._domainkey.".encode()), name
        return self.dkim.txt_record


@contextlib.asynccontextmanager
async def started_peers(certs: DevCerts, directory: Path, *, keep_mail: bool = True) -> AsyncIterator[Peers]:
    password_file = directory / "relay.password"
    password_file.write_text(PASSWORD + "\n")
    sink = SmtpSink(sink_tls_context(str(certs.server.cert), str(certs.server.key)), keep=keep_mail)
    receiver = Receiver(tls_context=sink_tls_context(str(certs.server.cert), str(certs.server.key)))
    await sink.start()
    await receiver.start()
    try:
        yield Peers(certs, sink, receiver, new_dkim_key(directory), password_file)
    finally:
        await receiver.stop()
        await sink.stop()
