"""The parts of `registry serve` that need no server: listening sockets per worker, the
worker config round trip and its validation, the per-run metrics directory."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from protocols.config import (
    Config,
    ConfigError,
    EppConfig,
    RdapConfig,
    WhoisConfig,
    config_as_mapping,
    config_from_mapping,
    load_config,
)
from protocols.serve.listeners import open_listeners, reuse_port_available
from protocols.serve.metrics import prepare_multiproc_dir


def local_config(port: int = 0) -> Config:
    return Config(epp=EppConfig(port=port), whois=WhoisConfig(port=0), rdap=RdapConfig(enabled=False))


@pytest.mark.skipif(not reuse_port_available(), reason="no SO_REUSEPORT here")
def test_reuse_port_gives_each_worker_its_own_socket_on_one_port() -> None:
    listeners = open_listeners(local_config(), 3, reuse_port=True)
    try:
        assert set(listeners.sockets) == {"epp", "whois"}  # RDAP is disabled
        epp = [listeners.for_worker(i)["epp"] for i in range(3)]
        assert len({s.fileno() for s in epp}) == 3
        assert len({s.getsockname()[1] for s in epp}) == 1
        with socket.create_connection(listeners.address("epp")):
            pass  # the kernel queues it on one of them
    finally:
        listeners.close()


def test_without_reuse_port_the_workers_share_one_socket() -> None:
    listeners = open_listeners(local_config(), 3, reuse_port=False)
    try:
        assert listeners.for_worker(0)["epp"] is listeners.for_worker(2)["epp"]
    finally:
        listeners.close()


def test_an_address_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"epp: cannot listen on 127.0.0.1:{port}"):
            open_listeners(local_config(port), 2, reuse_port=False)


def test_a_worker_gets_exactly_the_config_the_supervisor_loaded() -> None:
    config = load_config(environ={"REGISTRY_RDAP_ALLOWLIST": "10.0.0.0/8,192.0.2.1", "REGISTRY_EPP_COMMAND_RATE": "5"})
    assert config_from_mapping(json.loads(json.dumps(config_as_mapping(config)))) == config


@pytest.mark.parametrize(("key", "value", "message"), [
    ("REGISTRY_EPP_COMMAND_RATE_ACTION", "drop", "epp.command_rate_action: expected one of delay, refuse"),
    ("REGISTRY_METRICS_PATH", "metrics", "metrics.path: must start with '/'"),
    ("REGISTRY_WORKERS_COUNT", "-1", "workers.count: must not be negative"),
    ("REGISTRY_WORKERS_REUSE_PORT", "perhaps", "workers.reuse_port: expected true/false"),
])
def test_bad_serving_settings_fail_at_load(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(environ={key: value})


def test_the_metrics_directory_is_fresh_and_stale_runs_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / "metrics" / str(dead.pid)
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"x")
    mine = prepare_multiproc_dir(tmp_path, pid=1)  # pid 1 is alive: a directory of a live run stays
    (mine / "counter_1.db").write_bytes(b"x")
    again = prepare_multiproc_dir(tmp_path, pid=1)
    assert not stale.exists()
    assert again == mine and list(again.iterdir()) == []
