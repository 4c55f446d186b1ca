"""The public abuse report form on the RDAP listener ([abuse] report_url: GET and POST
/abuse/report, outside the RDAP path space), server-rendered HTML under the consoles'
strict CSP. No session, so no CSRF token; what keeps robots and floods out instead:

- per client (IPv4 address, IPv6 /64) a token bucket of posted reports, counted in the
  listener's limit store (every worker, every node with Redis): over it, 429 with Retry-After;
- the body is bounded ([abuse] max_report_bytes; 413 beyond) and must be a urlencoded form;
- a form token (the time it was served, sealed with the registry's AEAD key, so every worker
  reads it): a post sooner than min_fill_seconds after it was served, or with a stale or
  forged token, gets the form again;
- a honeypot field people do not see: a post that fills it is thanked and dropped.
The report itself goes to registry_core.services.abuse_reports (one transaction)."""

from __future__ import annotations

import base64
import binascii
import logging
import math
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from aiohttp import web
from cryptography.exceptions import InvalidTag

from protocols.config import AbuseConfig
from protocols.net.limits import IpLimits
from protocols.web.security import CSP
from registry_core.context import Core
from registry_core.errors import CoreError, DatabaseUnavailable, InvalidValue
from registry_core.model.abuse_case import MAX_REPORT_TEXT, REPORT_THREATS
from registry_core.services.abuse_reports import AbuseReport, receive_report

_log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).with_name("templates")
TOKEN_CONTEXT = "abuse-report-form"  # noqa: S105 - the AEAD associated data, not a secret
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 10  # the form has six
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cross-Origin-Opener-Policy": "same-origin", "Cache-Control": "no-store"}
FIELDS = ("domain", "threat", "text", "email")


def form_path(config: AbuseConfig) -> str:
    return urlsplit(config.report_url).path or "/abuse/report"


class AbuseForm:
    """Answers the form's path (and its stylesheet); `serves` tells the RDAP app which."""

    def __init__(self, core: Core, config: AbuseConfig, limits: IpLimits) -> None:
        self.core, self.config, self.limits = core, config, limits
        self.path = form_path(config)
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined, auto_reload=False)
        self.template = env.get_template("abuse_report.html")  # compiled once (style rule 4)
        self.css = (TEMPLATES / "abuse_report.css").read_bytes()

    def serves(self, path: str) -> bool:
        return path in (self.path, self.path + ".css")

    async def handle(self, request: web.BaseRequest) -> web.Response:
        if request.path.endswith(".css"):
            return web.Response(body=self.css, content_type="text/css",
                                headers={**HEADERS, "Cache-Control": "max-age=3600"})
        if request.method in ("GET", "HEAD"):
            return self._page(200)
        if request.method != "POST":
            return self._page(405, error="Use the form.", headers={"Allow": "GET, HEAD, POST"})
        wait = await self.limits.take(request.remote or "")
        if wait > 0:
            return self._page(429, error="Too many reports from your address; please try again later.",
                              headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return await self._post(request)

    async def _post(self, request: web.BaseRequest) -> web.Response:
        if request.content_type != FORM_TYPE:
            return self._page(415, error="Send the form as the page does.")
        body = await bounded_body(request, self.config.max_report_bytes)
        if body is None:
            return self._page(413, error=f"The report is larger than {self.config.max_report_bytes} bytes.")
        values = form_values(body)
        if values.get("website"):  # the honeypot: a person never sees it
            _log.info("abuse form: honeypot filled by %s", request.remote)
            return self._page(200, received={"cases": ()})
        if not self._fresh(values.get("token", "")):
            return self._page(400, values, error="The form expired or was sent too quickly; please send it again.")
        return await self._report(request, values)

    async def _report(self, request: web.BaseRequest, values: dict[str, str]) -> web.Response:
        report = AbuseReport("web", values.get("email", ""), values.get("threat", ""), values.get("text", ""),
                             (values.get("domain", "").strip(),), client=request.remote)
        try:
            if not report.names[0]:
                raise InvalidValue("name the domain you report", field="domain")
            intake = await receive_report(self.core, report)
        except DatabaseUnavailable:
            return self._page(503, values, error="The service is briefly unavailable; please try again in a moment.",
                              headers={"Retry-After": "30"})
        except CoreError as exc:
            if not isinstance(exc, InvalidValue):
                raise
            return self._page(422, values, error=exc.detail or "The report is not complete.")
        _log.info("abuse form: report for %s from %s", ", ".join(d for d, _ in intake.cases), request.remote)
        return self._page(200, received={"cases": intake.cases})

    def token(self) -> str:
        sealed = self.core.cipher.encrypt(self.core.db.clock.now().isoformat(), TOKEN_CONTEXT)
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def _fresh(self, token: str) -> bool:
        """Whether the token is ours and was served between min_fill and max_form_age ago."""
        try:
            served = datetime.fromisoformat(self.core.cipher.decrypt(base64.urlsafe_b64decode(token), TOKEN_CONTEXT))
        except (InvalidTag, ValueError, binascii.Error):
            return False
        age = (self.core.db.clock.now() - served).total_seconds()
        return self.config.min_fill_seconds <= age <= self.config.max_form_age_seconds

    def _page(self, status: int, values: dict[str, str] | None = None, *, error: str = "",
              received: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> web.Response:
        shown = {k: (values or {}).get(k, "") for k in FIELDS}
        html = self.template.render(path=self.path, email=self.config.email, token=self.token(), values=shown,
                                    threats=REPORT_THREATS, max_text=MAX_REPORT_TEXT, error=error, received=received)
        return web.Response(status=status, text=html, content_type="text/html", charset="utf-8",
                            headers={**HEADERS, **(headers or {})})


async def bounded_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The request body, or None once it is longer than `limit` (read no further)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def form_values(body: bytes) -> dict[str, str]:
    """The form's fields (the first value of each), undecodable bytes replaced."""
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # too many fields
        return {}
    return {key: found[0] for key, found in parsed.items() if found}
