"""ICANN's registry reporting interface (draft-lozano-icann-registry-interfaces): reports go
up by HTTPS PUT, with the TLD's account in HTTP Basic authentication, and the interface
answers 200 on success, or a status with an IIRDEA result document (iirdea:response, its
result code and message) saying what it refused. Deposit reports go to
`report/registry-escrow-report/<tld>/<deposit id>`; the monthly reports to
`report/<kind>/<tld>/<YYYY-MM>`."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from lxml import etree

from protocols.config import Config

IIRDEA = "urn:ietf:params:xml:ns:iirdea-1.0"
MAX_ANSWER = 64 * 1024  # an IIRDEA answer is a few hundred bytes; read no more than this


class ReportRefused(Exception):
    """The interface did not take the report (or could not be reached: status 0)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status}" + (f", result {code}" if code else "") + (f": {message}" if message else ""))
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ReportingTarget:
    base_url: str
    user: str  # "{tld}" is replaced by the report's TLD
    password_file: Path | None
    ca_file: Path | None
    timeout: float = 60.0


def reporting_target(config: Config) -> ReportingTarget | None:
    cfg = config.escrow
    if not cfg.report_url:
        return None
    return ReportingTarget(cfg.report_url.rstrip("/"), cfg.report_user,
                           Path(cfg.report_password_file) if cfg.report_password_file else None,
                           Path(cfg.report_ca_file) if cfg.report_ca_file else None, cfg.report_timeout)


def deposit_report_path(tld: str, deposit_id: str) -> str:
    return f"report/registry-escrow-report/{tld}/{deposit_id}"


def _tls(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _result(body: bytes) -> tuple[str, str]:
    """(code, message) of an IIRDEA answer; empty strings when it is not one."""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return "", body[:200].decode("utf-8", "replace").strip()
    result = root.find(f"{{{IIRDEA}}}result")
    if result is None:
        return "", ""
    return result.get("code", ""), (result.findtext(f"{{{IIRDEA}}}msg") or "").strip()


async def put_report(target: ReportingTarget, tld: str, path: str, body: bytes, content_type: str) -> None:
    """PUT one report; ReportRefused unless the interface answered 200."""
    password = ""
    if target.password_file is not None:
        password = (await asyncio.to_thread(target.password_file.read_text)).strip()
    context = await asyncio.to_thread(_tls, target.ca_file)
    auth = aiohttp.encode_basic_auth(target.user.replace("{tld}", tld), password)
    timeout = aiohttp.ClientTimeout(total=target.timeout)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.put(
                f"{target.base_url}/{path}", data=body, ssl=context,
                headers={"Content-Type": content_type, "Authorization": auth}) as resp:
            answer = await resp.content.read(MAX_ANSWER)
            status = resp.status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise ReportRefused(0, "", f"cannot reach {target.base_url}: {exc}") from exc
    if status != 200:
        raise ReportRefused(status, *_result(answer))
