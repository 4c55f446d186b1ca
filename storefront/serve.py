"""The shop's composition root: `python -m storefront.serve --config FILE` loads the
settings once, opens its database pool and migrates its own schema, logs in its registry
connectors, serves the web application, and on SIGTERM or SIGINT stops in reverse order.
`registry serve` starts it as a child when [shop] is enabled (make run); in production it
runs on its own, anywhere that reaches the registries' EPP ports."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import asyncpg

from protocols.net.tls import client_context
from storefront.connector import RegistryConnector
from storefront.engine import SearchEngine
from storefront.mail import MailSender, MailSettingsError, mail_settings
from storefront.migrate import migrate
from storefront.settings import SettingsError, ShopSettings, load_settings
from storefront.web.app import Shop, ShopServer, build_app

_log = logging.getLogger("storefront")


def connectors(settings: ShopSettings) -> dict[str, RegistryConnector]:
    made = {}
    for link in settings.registries:
        context = client_context(link.ca, link.cert, link.key, check_hostname=False)
        made[link.connector.name] = RegistryConnector(link.connector, context)
    return made


async def serve(settings: ShopSettings, stopping: asyncio.Event) -> None:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=10)
    started: list[RegistryConnector] = []
    server: ShopServer | None = None
    mail = MailSender(pool, mail_settings(settings.raw))
    mail_task: asyncio.Task[None] | None = None
    try:
        async with pool.acquire() as conn:
            applied = await migrate(conn)
        if applied:
            _log.info("storefront schema: applied %s", ", ".join(applied))
        by_name = connectors(settings)
        for connector in by_name.values():
            await connector.start()
            started.append(connector)
        mail_task = asyncio.create_task(mail.run(stopping), name="shop-mail")
        engine = SearchEngine(by_name, settings.margins)
        shop = Shop(engine, settings.title, settings.searches_per_second, settings.search_burst,
                    settings.trusted_proxies, mail=mail, pool=pool)
        server = ShopServer(build_app(shop))
        await server.start(settings.host, settings.port)
        print(f"storefront http://{settings.host}:{server.port}/ selling {', '.join(engine.sold)}", flush=True)
        await stopping.wait()
    finally:
        if server is not None:
            await server.stop(5.0)
        for connector in reversed(started):
            await connector.stop()
        if mail_task is not None:
            mail_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mail_task
        await mail.close()
        await pool.close()


async def main_async(config: Path) -> int:
    try:
        settings = load_settings(config)
        mail_settings(settings.raw)
    except (SettingsError, MailSettingsError) as exc:
        print(f"storefront: {exc}", file=sys.stderr)
        return 2
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await serve(settings, stopping)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storefront", description="run the domain shop")
    parser.add_argument("--config", type=Path, required=True, help="the shop's TOML file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(main_async(args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
