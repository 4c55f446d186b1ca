"""The pure parts of the webhook channel: signatures (checked against the standardwebhooks
package's own signer), secrets, the address guard, the answer's verdict."""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from protocols.webhooks.address_guard import networks, refusal
from protocols.webhooks.channel import failure
from protocols.webhooks.signing import BadSecret, event_body, new_secret, secret_key, signature, signed_headers


def test_signatures_match_the_standardwebhooks_signer() -> None:
    secret = new_secret()
    body = event_body("domain.created", datetime(2026, 12, 3, tzinfo=UTC), {"domain": "a.example"})
    stamp = 1796300000
    ours = signature(secret_key(secret), "msg_1", stamp, body)
    theirs = Webhook(secret).sign("msg_1", datetime.fromtimestamp(stamp, UTC), body.decode())
    assert ours == theirs
    headers = signed_headers((new_secret(), secret), "msg_1", stamp, body)
    assert headers["webhook-signature"].split(" ")[1] == ours and headers["webhook-timestamp"] == str(stamp)


def test_secrets_are_whsec_base64_of_24_to_64_bytes() -> None:
    assert len(secret_key(new_secret())) == 32
    assert secret_key("whsec_" + base64.b64encode(b"k" * 24).decode().rstrip("=")) == b"k" * 24  # unpadded
    for bad in ("whsec_", "whsec_!!!!", "whsec_" + base64.b64encode(b"short").decode(),
                "whsec_" + base64.b64encode(b"k" * 65).decode()):
        with pytest.raises(BadSecret):
            secret_key(bad)
    with pytest.raises(BadSecret):
        signed_headers((), "msg_1", 1, b"{}")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
                                     "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:10.0.0.1",
                                     "2001:db8::1", "192.0.2.1"])
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), ()) != ""


def test_public_and_allowlisted_addresses_pass() -> None:
    for public in ("8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert refusal(ipaddress.ip_address(public), ()) == ""
    allow = networks(("10.0.0.0/8", "fd00::/8"))
    assert refusal(ipaddress.ip_address("10.9.9.9"), allow) == ""
    assert refusal(ipaddress.ip_address("::ffff:10.9.9.9"), allow) == ""  # judged as its IPv4
    assert refusal(ipaddress.ip_address("fd12::1"), allow) == ""
    assert refusal(ipaddress.ip_address("192.168.0.1"), allow) != ""


def test_the_answers_verdicts() -> None:
    assert failure(200, "") is None and failure(204, "") is None
    for status in (408, 429, 500, 502, 503):
        verdict = failure(status, "")
        assert verdict is not None and verdict.retryable
    for status in (301, 307, 400, 401, 403, 404, 410, 413):
        verdict = failure(status, "")
        assert verdict is not None and not verdict.retryable
