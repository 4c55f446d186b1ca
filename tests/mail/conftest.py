"""A dev PKI (its CA signs the sink's certificate for localhost/127.0.0.1), a DKIM key pair
made here, and a real SMTP sink with STARTTLS and AUTH on a loopback port."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from protocols.cli.certs import DevCerts, init_dev_certs
from protocols.config import MailConfig
from tests.mail.sink import PASSWORD, USER, SmtpSink, sink_tls_context


@dataclasses.dataclass(frozen=True)
class DkimKey:
    private_file: Path
    txt_record: bytes  # what DNS would serve at <selector>._domainkey.<domain>


@pytest.fixture(scope="session")
def mail_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return init_dev_certs(tmp_path_factory.mktemp("mail-certs"), [])


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return new_dkim_key(tmp_path_factory.mktemp("dkim"))


def new_dkim_key(directory: Path) -> DkimKey:
    """A fresh RSA key in directory/dkim.key and the TXT record that would publish it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "dkim.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return DkimKey(path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public))


@pytest.fixture
async def sink(mail_certs: DevCerts) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(sink_tls_context(str(mail_certs.server.cert), str(mail_certs.server.key)))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "relay.password"
    path.write_text(PASSWORD + "\n")
    return path


def mail_config(port: int, certs: DevCerts, password_file: Path, **changes: object) -> MailConfig:
    base = MailConfig(relay_host="localhost", relay_port=port, tls="starttls", ca_file=str(certs.ca_cert),
                      username=USER, password_file=str(password_file), local_hostname="registry.test",
                      from_address="Example Registry <noreply@registry.test>",
                      tld_from=("example=Example NIC <nic@nic.example>",), connect_timeout=5.0, command_timeout=5.0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
