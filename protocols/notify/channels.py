"""What the dispatcher needs of a delivery channel, and how `[notify] channels` builds them.

A channel (the e-mail sender in protocols/mail, the webhook sender in protocols/webhooks)
delivers one `Delivery` to one target:

- email: target is the address (str);
- webhook: target is a `WebhookTarget` (endpoint id, URL, secrets newest first; sign with
  each, Standard Webhooks `v1,` signatures separated by spaces, `webhook-id` = delivery.id).

It raises `DeliveryFailed(detail, retryable)` when the delivery did not happen: retryable
for what may pass (a timeout, a 5xx, a 429, a refused connection), not for what will not
(a 4xx, an address the relay rejects for good, a target the SSRF guard refuses). Anything
else it raises is taken as retryable and logged. `start()` before the first delivery,
`stop(grace)` after the last.

`[notify] channels` names the built-in ones (email: protocols.mail.channel.EmailChannel
over [mail]; webhook: protocols.webhooks.channel.WebhookChannel over [webhooks]) or
`name=module:factory` entries (the factory gets the whole Config: a channel of one's own).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from protocols.config import Config, ConfigError
from protocols.notify.delivery import DeliveryFailed
from registry_core.model.notification import Delivery, WebhookTarget

__all__ = ["Channel", "DeliveryFailed", "Target", "build_channel", "build_channels"]

_log = logging.getLogger("registry.notify")
Target = str | WebhookTarget


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self, grace: float) -> None: ...

    async def deliver(self, delivery: Delivery, target: Target) -> None: ...


ChannelFactory = Callable[[Config], Channel]
# name -> (module, class, the Config section its constructor takes)
BUILT_IN = {"email": ("protocols.mail.channel", "EmailChannel", "mail"),
            "webhook": ("protocols.webhooks.channel", "WebhookChannel", "webhooks")}


def parse_entry(entry: str) -> tuple[str, str, str]:
    """"name=module:factory" -> (name, module, factory)."""
    name, sep, path = entry.partition("=")
    module, colon, factory = path.partition(":")
    if not (sep and colon and name.strip() and module.strip() and factory.strip()):
        raise ConfigError(f"notify.channels: expected email, webhook or name=module:factory, got {entry!r}")
    return name.strip(), module.strip(), factory.strip()


def _import(module_name: str, channel: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        _log.warning("notification channel %s not available (%s); its deliveries wait", channel, exc)
        return None


def build_channel(config: Config, entry: str) -> Channel | None:
    if entry == "email" and not config.mail.relay_host:
        _log.info("no email channel: [mail] relay_host is not set; e-mail deliveries wait in the outbox")
        return None
    if entry in BUILT_IN:
        module_name, cls, section = BUILT_IN[entry]
        module = _import(module_name, entry)
        return None if module is None else getattr(module, cls)(getattr(config, section))
    name, module_name, factory = parse_entry(entry)
    module = _import(module_name, name)
    return None if module is None else getattr(module, factory)(config)


def build_channels(config: Config) -> dict[str, Channel]:
    """The configured channels whose modules are installed, by name."""
    channels: dict[str, Channel] = {}
    for entry in config.notify.channels:
        channel = build_channel(config, entry)
        if channel is not None:
            channels[channel.name] = channel
    return channels
