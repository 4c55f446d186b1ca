"""WHOIS query lines (RFC 3912), pure: bytes in, query or refusal out."""

from __future__ import annotations

import pytest

from protocols.whois.query import QueryError, WhoisQuery, parse_query


@pytest.mark.parametrize("raw, expected", [
    (b"example.example\r\n", WhoisQuery("domain", "example.example")),
    (b"  EXAMPLE.example  \n", WhoisQuery("domain", "EXAMPLE.example")),
    (b"domain example.example\r\n", WhoisQuery("domain", "example.example")),
    ("bücher.example\r\n".encode(), WhoisQuery("domain", "bücher.example")),
    (b"nameserver ns1.example.net\r\n", WhoisQuery("nameserver", "ns1.example.net")),
    (b"NS ns1.example.net\r\n", WhoisQuery("nameserver", "ns1.example.net")),
    (b"registrar Alpha Registrar\r\n", WhoisQuery("registrar", "Alpha Registrar")),
    (b"registrar 9999\r\n", WhoisQuery("registrar", "9999")),
    (b"help\r\n", WhoisQuery("help", "")),
    (b"example.example", WhoisQuery("domain", "example.example")),
])
def test_query_forms(raw, expected):
    assert parse_query(raw, 512) == expected


@pytest.mark.parametrize("raw, message", [
    (b"a" * 513 + b"\r\n", "too long"), (b"\xff\xfe\r\n", "UTF-8"), (b"exa\x00mple\r\n", "control"),
    (b"\r\n", "empty"), (b"two words.example\r\n", "unknown"), (b"nameserver\r\n", "unknown"),
    (b"a\tb\r\n", "control"),
])
def test_refused_lines(raw, message):
    with pytest.raises(QueryError, match=message):
        parse_query(raw, 512)
