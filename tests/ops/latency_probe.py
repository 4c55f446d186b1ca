"""A latency probe in a process of its own: `python -m tests.ops.latency_probe WHOIS_PORT
RDAP_PORT NAME` queries WHOIS (a new TCP connection per query, RFC 3912) and RDAP (one
keep-alive HTTP connection) for domain NAME back to back, each in its own thread, until
its stdin closes; then it prints one JSON object: for each service, its samples as
[started (time.monotonic, comparable across processes), milliseconds, error or null].

Being its own process keeps the measurement free of the test's event loop (and its GIL)."""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
from collections.abc import Callable

PAUSE = 0.005  # seconds between a probe's queries: continuous, without flooding the server
Sample = tuple[float, float, str | None]


def whois_query(port: int, name: str) -> Callable[[], None]:
    def query() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(name.encode() + b"\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        if name.encode() not in answer.lower():
            raise AssertionError(f"WHOIS answered {answer[:200]!r}")
    return query


def rdap_query(port: int, name: str) -> Callable[[], None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def query() -> None:
        conn.request("GET", f"/domain/{name}")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise AssertionError(f"RDAP answered {response.status}: {body[:200]!r}")
    return query


def probe(query: Callable[[], None], stop: threading.Event, samples: list[Sample]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        error = None
        try:
            query()
        except Exception as exc:  # reported: the test asserts there were none
            error = repr(exc)
        samples.append((started, (time.monotonic() - started) * 1000, error))
        time.sleep(PAUSE)


def main(argv: list[str]) -> int:
    whois_port, rdap_port, name = int(argv[0]), int(argv[1]), argv[2]
    stop = threading.Event()
    results: dict[str, list[Sample]] = {"WHOIS": [], "RDAP": []}
    queries = {"WHOIS": whois_query(whois_port, name), "RDAP": rdap_query(rdap_port, name)}
    threads = [threading.Thread(target=probe, args=(queries[k], stop, results[k])) for k in results]
    for thread in threads:
        thread.start()
    sys.stdin.read()  # until the test closes our stdin
    stop.set()
    for thread in threads:
        thread.join()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
