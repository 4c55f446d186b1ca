"""Development PKI: one CA, one server certificate, one client certificate per registrar.

Everything is ECDSA P-256 signed with SHA-256 (RFC 9325 section 4.2 suites need an ECDSA
or RSA certificate; P-256 is the smallest universally supported choice). The files are for
development and tests only: keys are unencrypted PEM, written with mode 0600.

Layout of `directory` (what `registry certs init` and the tests rely on):
    ca.pem ca.key  server.pem server.key  <registrar>.pem <registrar>.key ...
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from protocols.config import Config

CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=730)
# Files expiring sooner than this are re-issued by init_dev_certs.
RENEW_BEFORE = dt.timedelta(days=30)
# Backdate notBefore a little so peers with a slow clock accept fresh certificates.
CLOCK_SKEW = dt.timedelta(minutes=5)
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")
ORGANIZATION = "Registry Suite Development"
RESERVED_NAMES = frozenset({"ca", "server"})
# An EPP clID is 3..16 characters (RFC 5730 clIDType); we only need it to be a safe file name.
_REGISTRAR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class DevCertError(Exception):
    """The development PKI cannot be used as asked (bad registrar id, missing CA)."""


@dataclass(frozen=True)
class IssuedCert:
    cert: Path
    key: Path
    fingerprint: str  # lower-case hex SHA-256 of the DER certificate


@dataclass(frozen=True)
class DevCerts:
    directory: Path
    ca_cert: Path
    ca_key: Path
    server: IssuedCert
    registrars: Mapping[str, IssuedCert]

    @property
    def fingerprints(self) -> dict[str, str]:
        """Registrar id -> SHA-256 fingerprint, ready to pin in the registrar table."""
        return {rid: issued.fingerprint for rid, issued in self.registrars.items()}


@dataclass(frozen=True)
class _Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def init_dev_certs(directory: Path, registrars: list[str], *, force: bool = False) -> DevCerts:
    """Create (or complete) the development PKI in `directory`.

    Idempotent: a file set that is present, matches its key, is signed by the current CA
    and is not about to expire is kept; anything else is (re)issued. A new CA re-issues
    every leaf. `force` re-issues everything."""
    for rid in registrars:
        _check_registrar_id(rid)
    directory.mkdir(parents=True, exist_ok=True)
    authority = None if force else _load_authority(directory)
    renew_all = authority is None
    if authority is None:
        authority = _create_authority(directory)
    server = _ensure_leaf(directory, "server", authority, renew_all, _server_profile())
    issued = {
        rid: _ensure_leaf(directory, rid, authority, renew_all, _client_profile(rid)) for rid in registrars
    }
    return DevCerts(directory, directory / "ca.pem", directory / "ca.key", server, issued)


def issue_client_cert(directory: Path, registrar_id: str) -> IssuedCert:
    """Issue (or rotate) one registrar's client certificate under the existing CA."""
    _check_registrar_id(registrar_id)
    authority = _load_authority(directory)
    if authority is None:
        raise DevCertError(f"no usable CA in {directory}; run init_dev_certs first")
    return _issue_leaf(directory, registrar_id, authority, _client_profile(registrar_id))


# --- profiles -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    common_name: str
    usage: x509.ObjectIdentifier
    alt_names: tuple[x509.GeneralName, ...] = ()


def _server_profile() -> _Profile:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(addr)) for addr in SERVER_ADDRESSES]
    return _Profile("localhost", ExtendedKeyUsageOID.SERVER_AUTH, tuple(names))


def _client_profile(registrar_id: str) -> _Profile:
    return _Profile(registrar_id, ExtendedKeyUsageOID.CLIENT_AUTH)


def _check_registrar_id(registrar_id: str) -> None:
    if not _REGISTRAR_ID.fullmatch(registrar_id) or registrar_id.lower() in RESERVED_NAMES:
        raise DevCertError(f"registrar id {registrar_id!r} cannot name a certificate file")


# --- the authority --------------------------------------------------------------------


def _load_authority(directory: Path) -> _Authority | None:
    loaded = _load_pair(directory, "ca")
    if loaded is None:
        return None
    cert, key = loaded
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None
    if not constraints.ca or not _fresh(cert) or not _signed_by(cert, cert):
        return None
    return _Authority(cert, key)


def _create_authority(directory: Path) -> _Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Registry Suite Development CA")
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        _base_builder(name, name, key.public_key(), now, now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
    )
    cert = builder.sign(key, hashes.SHA256())
    _write_pair(directory, "ca", cert, key)
    return _Authority(cert, key)


# --- leaves ---------------------------------------------------------------------------


def _ensure_leaf(
    directory: Path, stem: str, authority: _Authority, renew: bool, profile: _Profile
) -> IssuedCert:
    loaded = None if renew else _load_pair(directory, stem)
    if loaded is not None and _fresh(loaded[0]) and _signed_by(loaded[0], authority.cert):
        return _issued(directory, stem, loaded[0])
    return _issue_leaf(directory, stem, authority, profile)


def _issue_leaf(directory: Path, stem: str, authority: _Authority, profile: _Profile) -> IssuedCert:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = min(now + LEAF_VALIDITY, authority.cert.not_valid_after_utc)
    builder = (
        _base_builder(_name(profile.common_name), authority.cert.subject, key.public_key(), now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([profile.usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_id(authority.cert), critical=False)
    )
    if profile.alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(profile.alt_names)), critical=False)
    cert = builder.sign(authority.key, hashes.SHA256())
    _write_pair(directory, stem, cert, key)
    return _issued(directory, stem, cert)


def _issued(directory: Path, stem: str, cert: x509.Certificate) -> IssuedCert:
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    return IssuedCert(directory / f"{stem}.pem", directory / f"{stem}.key", fingerprint)


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


# --- building blocks ------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _base_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before - CLOCK_SKEW)
        .not_valid_after(not_after)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _fresh(cert: x509.Certificate) -> bool:
    now = _now()
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- files ----------------------------------------------------------------------------


def _load_pair(directory: Path, stem: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The certificate and key stored under `stem`, or None if absent, unreadable or mismatched."""
    try:
        cert = x509.load_pem_x509_certificate((directory / f"{stem}.pem").read_bytes())
        key = serialization.load_pem_private_key((directory / f"{stem}.key").read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        return None
    return cert, key


def _write_pair(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_atomically(directory / f"{stem}.key", key_pem, 0o600)
    _write_atomically(directory / f"{stem}.pem", cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write via a temporary file (created 0600 by mkstemp) so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- `registry certs init` ------------------------------------------------------------------
async def cmd_certs_init(config: Config, args: argparse.Namespace) -> int:
    issued = init_dev_certs(Path(args.dir or config.paths.certs), args.registrar or ["demo", "rival"],
                            force=args.force)
    print(f"development certificates in {issued.directory}")
    for rid, fingerprint in issued.fingerprints.items():
        print(f"  {rid:12} sha256 {fingerprint}")
    return 0


def add_parser(sub: Any) -> None:
    certs_sub = sub.add_parser("certs", help="development certificates").add_subparsers(dest="certs_command",
                                                                                         required=True)
    init = certs_sub.add_parser("init", help="create the dev CA, server and registrar certificates")
    init.add_argument("--dir", help="output directory (default: paths.certs)")
    init.add_argument("--registrar", action="append", help="registrar id (repeatable)")
    init.add_argument("--force", action="store_true", help="issue everything again")
    init.set_defaults(handler=cmd_certs_init)
