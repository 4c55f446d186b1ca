"""Listening sockets for the worker processes.

The supervisor binds them once, before any worker starts, and keeps its copies open for
the whole run; a worker inherits them (by file descriptor) and accepts. When a worker dies,
connections that arrive for its socket wait in the backlog for its replacement instead of
being refused, and the other workers' sockets and sessions are untouched.

With SO_REUSEPORT (Linux, the BSDs) every worker gets its own socket on the same address
and the kernel spreads new connections evenly over them; without it (or with
`workers.reuse_port = false`) all workers accept from one shared socket."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from protocols.config import Config, ConfigError

BACKLOG = 1024
SERVICES = ("epp", "whois", "rdap", "admin", "console")


def reuse_port_available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind_listener(host: str, port: int, *, reuse_port: bool = False, backlog: int = BACKLOG) -> socket.socket:
    """A non-blocking listening TCP socket on (host, port); port 0 picks a free one."""
    family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def adopt(fd: int) -> socket.socket:
    """The listening socket a worker inherited as file descriptor `fd`."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


@dataclass
class Listeners:
    """Per service: one socket per worker (SO_REUSEPORT), or one socket all workers share."""

    sockets: dict[str, list[socket.socket]]

    def for_worker(self, index: int) -> dict[str, socket.socket]:
        return {name: group[index % len(group)] for name, group in self.sockets.items()}

    def address(self, name: str) -> tuple[str, int]:
        host, port = self.sockets[name][0].getsockname()[:2]
        return str(host), int(port)

    def close(self) -> None:
        for group in self.sockets.values():
            for sock in group:
                sock.close()


def open_listeners(config: Config, workers: int, reuse_port: bool) -> Listeners:
    """Bind every enabled service's address; with `reuse_port`, once per worker."""
    reuse = reuse_port and reuse_port_available() and workers > 1
    opened = Listeners({})
    try:
        for name in SERVICES:
            section = getattr(config, name)
            if not section.enabled:
                continue
            first = _bind(name, section.host, section.port, reuse)
            opened.sockets[name] = [first]
            port = first.getsockname()[1]
            for _ in range(workers - 1 if reuse else 0):
                opened.sockets[name].append(_bind(name, section.host, port, True))
    except BaseException:
        opened.close()
        raise
    return opened


def _bind(name: str, host: str, port: int, reuse_port: bool) -> socket.socket:
    try:
        return bind_listener(host, port, reuse_port=reuse_port)
    except OSError as exc:  # in use, not an address of this host, a privileged port ...
        raise ConfigError(f"{name}: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
