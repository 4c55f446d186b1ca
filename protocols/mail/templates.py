"""The mail templates: a plain-text and an HTML Jinja2 template per event type, compiled
once at start-up (style rule 4), StrictUndefined (a payload missing a field the template
uses fails the delivery, not prints a blank), HTML autoescaped.

An event's templates are found by its name and then by shorter names: the mail of
`domain.transfer.requested` comes from `domain.transfer.requested.*`, else
`domain.transfer.*`, else `domain.*`, else `generic.*`. The text template sets `subject`
(`{% set subject %}...{% endset %}`). Files starting with `_` are layouts and includes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError, select_autoescape

from protocols.notify.delivery import Delivery

TEMPLATES = Path(__file__).with_name("templates")
FALLBACK = "generic"
MAX_SUBJECT = 200  # characters; RFC 5322 section 2.1.1 lines stay short once folded


class TemplateProblem(Exception):
    """A template could not be compiled or rendered: the reason is the message."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Pair:
    text: Template
    html: Template


class MailTemplates:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.directory = directory
        self._pairs: dict[str, _Pair] = {}

    def compile(self) -> None:
        """Compile every template now, so a broken one stops start-up, not a delivery."""
        env = Environment(loader=FileSystemLoader(self.directory), autoescape=select_autoescape(["html"]),
                          undefined=StrictUndefined, keep_trailing_newline=True, auto_reload=False)
        names = sorted({p.stem for p in self.directory.glob("*.txt") if not p.name.startswith("_")})
        try:
            self._pairs = {name: _Pair(env.get_template(f"{name}.txt"), env.get_template(f"{name}.html"))
                           for name in names}
        except TemplateError as exc:
            raise TemplateProblem(f"mail template {getattr(exc, 'name', '') or ''}: {exc}") from exc
        if FALLBACK not in self._pairs:
            raise TemplateProblem(f"{self.directory} has no {FALLBACK}.txt and {FALLBACK}.html")

    def name_for(self, event: str) -> str:
        parts = event.split(".")
        for end in range(len(parts), 0, -1):
            name = ".".join(parts[:end])
            if name in self._pairs:
                return name
        return FALLBACK

    def render(self, delivery: Delivery) -> RenderedMail:
        name = self.name_for(delivery.event)
        pair = self._pairs[name]
        context = {"event": delivery.event, "action": _action(delivery.event, name), "audience": delivery.audience,
                   "occurred_at": delivery.occurred_at.isoformat(timespec="seconds"), "payload": delivery.payload}
        try:
            text = pair.text.make_module(context)
            html = pair.html.render(context)
        except TemplateError as exc:
            raise TemplateProblem(f"template {pair.text.name} for {delivery.event}: {exc}") from exc
        subject = " ".join(str(getattr(text, "subject", delivery.event)).split())[:MAX_SUBJECT]
        return RenderedMail(subject, str(text), html)


def _action(event: str, name: str) -> str:
    """What happened, in words: `domain.transfer.auto-approved` through the template
    `domain.transfer` -> "auto approved"; through `domain` -> "transfer auto approved"."""
    rest = event[len(name) + 1:] if event.startswith(name + ".") else event.rsplit(".", 1)[-1]
    return rest.replace(".", " ").replace("-", " ").replace("_", " ")
