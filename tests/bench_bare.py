"""The bare ceiling for an EPP check: an asyncio TLS server with the same RFC 5734 framing
that, per frame, does one lxml parse, one indexed asyncpg lookup and one lxml render, and
nothing else (no schema validation, no session rules, no transaction). Run as a process:
python -m tests.bench_bare PORT DSN CERT KEY CA"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
import uvloop
from lxml import etree

from protocols.epp.framing import encode_frame, read_frame
from protocols.net.tls import server_context

DOMAIN = "{urn:ietf:params:xml:ns:domain-1.0}"
EPP = "urn:ietf:params:xml:ns:epp-1.0"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def render(name: str, taken: bool) -> bytes:
    root = etree.Element(f"{{{EPP}}}epp", nsmap={None: EPP})
    resp = etree.SubElement(root, f"{{{EPP}}}response")
    result = etree.SubElement(resp, f"{{{EPP}}}result", code="1000")
    etree.SubElement(result, f"{{{EPP}}}msg").text = "Command completed successfully"
    data = etree.SubElement(etree.SubElement(resp, f"{{{EPP}}}resData"), f"{DOMAIN}chkData",
                            nsmap={"domain": DOMAIN[1:-1]})
    cd = etree.SubElement(data, f"{DOMAIN}cd")
    etree.SubElement(cd, f"{DOMAIN}name", avail="0" if taken else "1").text = name
    trid = etree.SubElement(resp, f"{{{EPP}}}trID")
    etree.SubElement(trid, f"{{{EPP}}}svTRID").text = "BARE-1"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


async def main(port: int, dsn: str, cert: str, key: str, ca: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=20)
    assert pool is not None
    greeting = (f'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="{EPP}"><greeting><svID>bare</svID>'
                '<svDate>2026-01-01T00:00:00.0Z</svDate><svcMenu><version>1.0</version><lang>en</lang>'
                '<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI></svcMenu></greeting></epp>').encode()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(encode_frame(greeting))
        try:
            while (frame := await read_frame(reader)) is not None:
                root = etree.fromstring(frame, PARSER)
                name = root.findtext(f".//{DOMAIN}name") or "login.example"
                taken = await pool.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM domain WHERE name = $1 AND deleted_at IS NULL)", name)
                writer.write(encode_frame(render(name, bool(taken))))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port,
                                        ssl=server_context(Path(cert), Path(key), Path(ca)))
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), *sys.argv[2:6]))
