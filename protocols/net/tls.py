"""SSLContext factories for EPP over TLS and certificate fingerprints.

RFC 5734 section 9: EPP runs over TLS with mutual authentication; the server MUST
authenticate the client by its certificate, and the client SHOULD check the server's.
RFC 9325 (BCP 195) sets the TLS floor: TLS 1.2 or later, no compression, no
renegotiation, and for TLS 1.2 only AEAD suites with forward secrecy.

Contexts are built once at start-up (style rule 4) and shared by every connection.
"""

from __future__ import annotations

import hashlib
import ssl
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

# RFC 9325 section 4.2: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only; this
# excludes CBC modes, static RSA key exchange and SHA-1 MACs. TLS 1.3 suites are all AEAD
# and are left at OpenSSL's defaults (set_ciphers() does not touch them).
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)

# RFC 9325 sections 3.3 (no TLS-level compression: CRIME) and 3.5 (renegotiation: we
# allow none at all, so there is no insecure variant to negotiate).
_HARDENING = ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION


def server_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """Server side of RFC 5734 section 9: present `cert`, demand and verify a client
    certificate issued by `ca` (the handshake fails without one)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 9325 section 3.1.1
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.options |= _HARDENING | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_SINGLE_ECDH_USE
    ctx.verify_mode = ssl.CERT_REQUIRED  # RFC 5734 section 9: client authentication
    ctx.load_verify_locations(cafile=str(ca))
    ctx.load_cert_chain(certfile=str(cert), keyfile=str(key))
    return ctx


def client_context(
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
    *,
    check_hostname: bool = True,
    insecure: bool = False,
) -> ssl.SSLContext:
    """Client side of RFC 5734 section 9, usable against any registry.

    `ca` None trusts the system store; `cert`/`key` is the registrar's client certificate
    (`key` None when the key is inside `cert`). `insecure` skips server verification
    entirely (development only). Cipher suites stay at OpenSSL's defaults above TLS 1.2
    so that conformant registries with other AEAD choices remain reachable."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 9325 section 3.1.1
    ctx.options |= _HARDENING
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.check_hostname = check_hostname
        if ca is None:
            ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        else:
            ctx.load_verify_locations(cafile=str(ca))
    if cert is not None:
        ctx.load_cert_chain(certfile=str(cert), keyfile=None if key is None else str(key))
    return ctx


def peer_fingerprint(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """Lower-case hex SHA-256 of the peer's DER certificate, or None without one.

    In asyncio pass `transport.get_extra_info("ssl_object")`."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else None


def certificate_fingerprint(pem_path_or_bytes: Path | str | bytes) -> str:
    """Lower-case hex SHA-256 of a certificate's DER form (the first one in a PEM file).

    Accepts a path, PEM text, PEM bytes or DER bytes; equals `peer_fingerprint` on the
    other end of a connection that presented this certificate."""
    data = _certificate_bytes(pem_path_or_bytes)
    if data.lstrip().startswith(b"-----BEGIN"):
        certificate = x509.load_pem_x509_certificate(data)
    else:
        certificate = x509.load_der_x509_certificate(data)
    return certificate.fingerprint(hashes.SHA256()).hex()


def certificate_not_after(pem_path_or_bytes: Path | str | bytes) -> datetime:
    """When the certificate (the first one in a PEM file) stops being valid, UTC."""
    data = _certificate_bytes(pem_path_or_bytes)
    loaded = x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----BEGIN") \
        else x509.load_der_x509_certificate(data)
    return loaded.not_valid_after_utc


def _certificate_bytes(source: Path | str | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        return source.encode("ascii")
    return Path(source).read_bytes()
