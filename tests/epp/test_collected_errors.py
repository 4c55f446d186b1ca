"""Collected core problems as one EPP reply (RFC 5730 section 2.6): pure, on values."""

from __future__ import annotations

from protocols.epp import codec, responses
from protocols.epp.errors import reply_for
from protocols.epp.results import ResultCode
from registry_core import errors as core
from tests.epp.golden import SCHEMA


def _problems() -> core.PolicyErrors:
    return core.PolicyErrors((
        core.ValueOutOfRange("period must be 1-10 years", object_type="domain", name="a.example",
                             field="period", value="11"),
        core.ObjectNotFound("host does not exist", object_type="host", name="ns8.example.net"),
        core.InvalidValue("digest must be hex octets", object_type="domain", name="a.example",
                          field="digest", value="ABC"),
        core.ObjectNotFound("host does not exist", object_type="host", name="ns9.example.net"),
    ))


def test_results_group_by_code_in_the_order_found():
    reply = reply_for(_problems())
    assert reply is not None
    assert reply.code == ResultCode.PARAMETER_VALUE_RANGE_ERROR
    assert [reason for _, reason in reply.ext_values] == ["period must be 1-10 years"]
    assert [(code, [el.text for el, _ in values]) for code, values in reply.more_results] == [
        (ResultCode.OBJECT_DOES_NOT_EXIST, ["ns8.example.net", "ns9.example.net"]),
        (ResultCode.PARAMETER_VALUE_SYNTAX_ERROR, ["ABC"])]


def test_the_response_carries_every_result_and_validates():
    reply = reply_for(_problems())
    assert reply is not None
    raw = responses.response(reply, "ABC-1", "SV-1")
    SCHEMA.validate(codec.parse(raw))
    root = codec.parse(raw)
    results = root.findall(f".//{{{codec.EPP_NS}}}result")
    assert [r.get("code") for r in results] == ["2004", "2303", "2005"]
    assert [len(r.findall(f"{{{codec.EPP_NS}}}extValue")) for r in results] == [1, 2, 1]


def test_an_unmapped_problem_makes_the_whole_reply_a_bug():
    class Unmapped(core.CoreError):
        pass

    aggregate = core.PolicyErrors((core.InvalidValue("bad", object_type="domain", name="a.example"),
                                   Unmapped("?")))
    assert reply_for(aggregate) is None
