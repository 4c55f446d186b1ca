"""An asyncio EPP client for any RFC 5730-5734 registry (ours included; tests, bench and the
CLI use it).

From pure to I/O:
- `commands.CommandBuilder` turns arguments into RFC 5730-5733 command XML, and
  `extensions` builds secDNS-1.1 (RFC 5910), rgp-1.0 (RFC 3915) and fee-1.0 (RFC 8748)
  elements; `elements` holds the values they carry and the lxml helpers both use;
- `documents.Greeting` / `documents.Response` parse what the server sends through the
  server's own hardened parser (`protocols.epp.codec`), namespace map included;
- `connection.EppClient` holds one RFC 5734 TLS connection.
"""

from protocols.epp.client.commands import TRANSFER_OPS, CommandBuilder
from protocols.epp.client.connection import DEFAULT_TIMEOUT, EppClient
from protocols.epp.client.documents import Greeting, Response, parse_document
from protocols.epp.client.elements import Disclose, DsData, HostAttr, random_auth_info
from protocols.epp.client.errors import (
    EppCommandError,
    EppConnectionError,
    EppError,
    EppProtocolError,
    EppTimeout,
)
from protocols.epp.client.extensions import (
    fee_agreement,
    fee_check,
    rgp_restore_request,
    secdns_create,
    secdns_update,
)
from protocols.epp.codec import (
    CONTACT_NS,
    DOMAIN_NS,
    EPP_NS,
    EXTENSION_URIS,
    FEE_NS,
    HOST_NS,
    NAMESPACES,
    OBJECT_URIS,
    RGP_NS,
    SECDNS_NS,
)

__all__ = [
    "CONTACT_NS",
    "DEFAULT_TIMEOUT",
    "DOMAIN_NS",
    "EPP_NS",
    "EXTENSION_URIS",
    "FEE_NS",
    "HOST_NS",
    "NAMESPACES",
    "OBJECT_URIS",
    "RGP_NS",
    "SECDNS_NS",
    "TRANSFER_OPS",
    "CommandBuilder",
    "Disclose",
    "DsData",
    "EppClient",
    "EppCommandError",
    "EppConnectionError",
    "EppError",
    "EppProtocolError",
    "EppTimeout",
    "Greeting",
    "HostAttr",
    "Response",
    "fee_agreement",
    "fee_check",
    "parse_document",
    "random_auth_info",
    "rgp_restore_request",
    "secdns_create",
    "secdns_update",
]
