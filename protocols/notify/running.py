"""The dispatcher as `registry serve` and `registry notify run` run it: the configured
channels (protocols/notify/channels.py), the [notify] settings, start and stop."""

from __future__ import annotations

import logging

from protocols.config import Config
from protocols.notify.channels import build_channels
from protocols.notify.dispatcher import Dispatcher, DispatcherSettings
from registry_core.context import Core

_log = logging.getLogger("registry.notify")


async def start_dispatcher(config: Config, core: Core) -> Dispatcher | None:
    """A started dispatcher over the channels that are installed; None when [notify] is off
    or no channel is installed."""
    if not config.notify.enabled:
        return None
    channels = build_channels(config)
    if not channels:
        _log.warning("no notification channel is available: e-mail and webhook deliveries wait in the outbox")
        return None
    dispatcher = Dispatcher(core, channels, DispatcherSettings.from_config(config.notify))
    await dispatcher.start()
    _log.info("notification dispatcher started: channels %s", ", ".join(sorted(channels)) or "none")
    return dispatcher
