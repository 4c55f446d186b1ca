"""ResultCode: every RFC 5730 section 3 code, its exact text, and which ones end the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from protocols.epp.results import ResultCode

RFC_5730_CODES = {
    1000, 1001, 1300, 1301, 1500,
    2000, 2001, 2002, 2003, 2004, 2005,
    2100, 2101, 2102, 2103, 2104, 2105, 2106,
    2200, 2201, 2202,
    2300, 2301, 2302, 2303, 2304, 2305, 2306, 2307, 2308,
    2400, 2500, 2501, 2502,
}  # fmt: skip


def test_every_rfc_code_is_defined_exactly_once() -> None:
    assert {int(code) for code in ResultCode} == RFC_5730_CODES
    assert len(ResultCode) == len(RFC_5730_CODES)


def test_codes_match_the_schema_enumeration() -> None:
    xsd = Path(__file__).resolve().parents[2] / "schemas" / "epp-1.0.xsd"
    tree = etree.parse(str(xsd))
    values = tree.xpath(
        "//xs:simpleType[@name='resultCodeType']//xs:enumeration/@value",
        namespaces={"xs": "http://www.w3.org/2001/XMLSchema"},
    )
    assert {int(v) for v in values} == {int(code) for code in ResultCode}


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (ResultCode.SUCCESS, "Command completed successfully"),
        (ResultCode.SUCCESS_ACTION_PENDING, "Command completed successfully; action pending"),
        (ResultCode.NO_MESSAGES, "Command completed successfully; no messages"),
        (ResultCode.ACK_TO_DEQUEUE, "Command completed successfully; ack to dequeue"),
        (ResultCode.SUCCESS_ENDING_SESSION, "Command completed successfully; ending session"),
        (ResultCode.COMMAND_SYNTAX_ERROR, "Command syntax error"),
        (ResultCode.OBJECT_NOT_ELIGIBLE_FOR_RENEWAL, "Object is not eligible for renewal"),
        (ResultCode.INVALID_AUTHORIZATION_INFORMATION, "Invalid authorization information"),
        (ResultCode.OBJECT_EXISTS, "Object exists"),
        (ResultCode.OBJECT_DOES_NOT_EXIST, "Object does not exist"),
        (ResultCode.DATA_MANAGEMENT_POLICY_VIOLATION, "Data management policy violation"),
        (ResultCode.COMMAND_FAILED, "Command failed"),
        (ResultCode.COMMAND_FAILED_SERVER_CLOSING_CONNECTION, "Command failed; server closing connection"),
        (
            ResultCode.AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION,
            "Authentication error; server closing connection",
        ),
        (
            ResultCode.SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION,
            "Session limit exceeded; server closing connection",
        ),
    ],
)
def test_message_is_the_rfc_text(code: ResultCode, text: str) -> None:
    assert code.message == text


def test_every_code_has_a_distinct_message() -> None:
    messages = [code.message for code in ResultCode]
    assert all(messages)
    assert len(set(messages)) == len(messages)


def test_closing_codes() -> None:
    closing = {code for code in ResultCode if code.closes_session}
    assert closing == {
        ResultCode.SUCCESS_ENDING_SESSION,
        ResultCode.COMMAND_FAILED_SERVER_CLOSING_CONNECTION,
        ResultCode.AUTHENTICATION_ERROR_SERVER_CLOSING_CONNECTION,
        ResultCode.SESSION_LIMIT_EXCEEDED_SERVER_CLOSING_CONNECTION,
    }


def test_success_codes() -> None:
    assert {code for code in ResultCode if code.is_success} == {
        ResultCode.SUCCESS,
        ResultCode.SUCCESS_ACTION_PENDING,
        ResultCode.NO_MESSAGES,
        ResultCode.ACK_TO_DEQUEUE,
        ResultCode.SUCCESS_ENDING_SESSION,
    }


def test_codes_behave_as_integers() -> None:
    assert ResultCode(2302) is ResultCode.OBJECT_EXISTS
    assert str(int(ResultCode.OBJECT_EXISTS)) == "2302"
    with pytest.raises(ValueError):
        ResultCode(2309)
