"""Concurrency over real TLS: registrars racing for one name on many sessions, and one
session pipelining many commands (RFC 5734: answers come back in order)."""

from __future__ import annotations

import asyncio

from protocols.epp.client import EppClient
from protocols.epp.results import ResultCode
from tests.conftest import fetch

SESSIONS_PER_REGISTRAR = 5
CONTESTED = ("contested.example", "contested2.example", "contested3.example")
FROBNICATE = (b'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0">'
              b"<command><frobnicate/><clTRID>PIPE-%03d</clTRID></command></epp>")


async def race(sessions: list[tuple[str, EppClient]], name: str) -> list[tuple[str, ResultCode]]:
    """Every session sends its create at once; (registrar, code) per session."""
    documents = [(client, client.build.domain_create(name, auth_info=f"Race-{rid}1")) for rid, client in sessions]
    responses = await asyncio.gather(*(client.request(doc) for client, doc in documents))
    return [(rid, ResultCode(r.code)) for (rid, _), r in zip(sessions, responses, strict=True)]


async def test_two_registrars_race_for_one_name(registry, clients):
    sessions = [(rid, await clients.login(rid)) for _ in range(SESSIONS_PER_REGISTRAR) for rid in ("alpha", "beta")]
    for name in CONTESTED:
        outcome = await race(sessions, name)
        codes = [code for _, code in outcome]
        assert codes.count(ResultCode.SUCCESS) == 1, outcome
        assert codes.count(ResultCode.OBJECT_EXISTS) == len(sessions) - 1, outcome
        winner = next(rid for rid, code in outcome if code == ResultCode.SUCCESS)
        rows = await fetch(registry, "SELECT sponsor_id FROM domain WHERE name = $1", name)
        assert rows == [{"sponsor_id": winner}]
        charges = await fetch(registry, "SELECT registrar_id FROM ledger WHERE action = 'create' AND object_name = $1",
                              name)
        assert charges == [{"registrar_id": winner}], "only the winner pays, once"


def pipeline(client: EppClient) -> tuple[list[bytes], list[ResultCode]]:
    """50 commands whose answers depend on their order: a host is created, read, deleted
    and read again; checks see the state left by the commands before them."""
    docs: list[bytes] = []
    codes: list[ResultCode] = []
    b = client.build

    def add(doc: bytes, code: ResultCode) -> None:
        docs.append(doc)
        codes.append(code)

    for i in range(8):
        host = f"ns{i}.pipeline.net"
        tag = len(docs)
        add(b.host_check(host, cl_trid=f"PIPE-{tag:03d}"), ResultCode.SUCCESS)
        add(b.host_create(host, cl_trid=f"PIPE-{tag + 1:03d}"), ResultCode.SUCCESS)
        add(b.host_create(host, cl_trid=f"PIPE-{tag + 2:03d}"), ResultCode.OBJECT_EXISTS)
        add(b.host_info(host, cl_trid=f"PIPE-{tag + 3:03d}"), ResultCode.SUCCESS)
        add(b.host_delete(host, cl_trid=f"PIPE-{tag + 4:03d}"), ResultCode.SUCCESS)
        add(b.host_info(host, cl_trid=f"PIPE-{tag + 5:03d}"), ResultCode.OBJECT_DOES_NOT_EXIST)
    add(FROBNICATE % len(docs), ResultCode.COMMAND_SYNTAX_ERROR)  # a bad frame mid-stream: the session goes on
    while len(docs) < 49:
        add(b.domain_check(f"free{len(docs)}.example", cl_trid=f"PIPE-{len(docs):03d}"), ResultCode.SUCCESS)
    add(b.poll_request(cl_trid=f"PIPE-{len(docs):03d}"), ResultCode.NO_MESSAGES)
    return docs, codes


async def test_fifty_pipelined_commands_are_answered_in_order(registry, clients):
    client = await clients.login("alpha")
    docs, codes = pipeline(client)
    assert len(docs) == 50
    responses = await client.request_many(docs)
    assert [r.cl_trid for r in responses] == [f"PIPE-{i:03d}" for i in range(50)]
    assert [ResultCode(r.code) for r in responses] == codes
    assert len({r.sv_trid for r in responses}) == 50, "every response has its own svTRID"
    checks = [r.find("epp:response/epp:resData/host:chkData/host:cd/host:name") for r in responses[0:48:6]]
    assert [el.get("avail") for el in checks if el is not None] == ["1"] * 8, "each check ran before its create"
    assert ResultCode((await client.domain_check("after.example")).code) == ResultCode.SUCCESS
