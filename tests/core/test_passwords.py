"""Registrar passwords: scrypt on the core's own hasher thread, never on the event loop;
login reads the account without a transaction, verifies, then checks the certificate pin,
the allowlist and the status; a flood of hashes waits outside the thread pool."""

from __future__ import annotations

import asyncio
import time

import pytest

from registry_core.context import Core
from registry_core.crypto import DUMMY_HASH, PasswordHasher, hash_password, verify_password
from registry_core.errors import AuthenticationFailed, RegistrarNotAllowed
from registry_core.services import registrars

PIN = "ab" * 32


async def login(core: Core, registrar_id: str, password: str, *, fingerprint: str | None = PIN,
                new_password: str | None = None) -> None:
    await registrars.authenticate(core, registrar_id, password, fingerprint=fingerprint, peer_ip="127.0.0.1",
                                  new_password=new_password)


async def refusal(core: Core, registrar_id: str, password: str, **kw: str | None) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        await login(core, registrar_id, password, **kw)
    return caught.value.detail


def one_scrypt_seconds() -> float:
    stored = hash_password("Alpha-Pass1")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        verify_password("Alpha-Pass2", stored)
        timings.append(time.perf_counter() - started)
    return min(timings)


async def test_login_checks_password_then_pin_then_status(core: Core) -> None:
    await registrars.add_certificate(core, "alpha", PIN)
    await login(core, "alpha", "Alpha-Pass1")
    assert await refusal(core, "alpha", "Alpha-Wrong1") == "unknown registrar or wrong password"
    assert await refusal(core, "nobody", "Alpha-Pass1") == "unknown registrar or wrong password"
    assert await refusal(core, "alpha", "Alpha-Pass1", fingerprint="cd" * 32) == \
        "client certificate is not pinned to this registrar"
    await registrars.update_registrar(core, "alpha", ip_allowlist=("192.0.2.0/24",))
    assert await refusal(core, "alpha", "Alpha-Pass1") == "address 127.0.0.1 is not on the allowlist"
    await registrars.update_registrar(core, "alpha", ip_allowlist=(), status="suspended")
    with pytest.raises(RegistrarNotAllowed):
        await login(core, "alpha", "Alpha-Pass1")
    with pytest.raises(AuthenticationFailed):  # a suspended account with a wrong password: still 2200
        await login(core, "alpha", "Alpha-Wrong1")


async def test_new_password_replaces_the_old_one(core: Core) -> None:
    await registrars.add_certificate(core, "alpha", PIN)
    await login(core, "alpha", "Alpha-Pass1", new_password="Alpha-Pass2")
    assert await refusal(core, "alpha", "Alpha-Pass1") == "unknown registrar or wrong password"
    await login(core, "alpha", "Alpha-Pass2")


async def test_an_unknown_registrar_costs_a_scrypt_like_a_known_one(core: Core) -> None:
    """Refusing an unknown id must not be faster than refusing a wrong password (which would
    tell a prober which ids exist): both verify one scrypt. A lower bound, robust under load."""
    scrypt = one_scrypt_seconds()
    started = time.perf_counter()
    await refusal(core, "nobody", "Alpha-Pass1")
    assert time.perf_counter() - started >= 0.7 * scrypt
    assert not verify_password("", DUMMY_HASH) and not verify_password("Alpha-Pass1", DUMMY_HASH)


async def test_hashing_leaves_the_event_loop_running() -> None:
    hasher = PasswordHasher()
    stored = await hasher.hash("Alpha-Pass1")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        assert await hasher.verify("Alpha-Pass1", stored)
    finally:
        ticker.cancel()
        hasher.close()
    # scrypt on the loop would let the ticker run not once before verify returned; in the
    # hasher's thread the loop keeps ticking (a count, not a time: busy machines tick less)
    assert ticks >= 3


async def test_a_flood_waits_outside_the_pool_and_callers_may_give_up() -> None:
    """40 callers at once: the pool is handed at most threads + queued hashes (the rest wait
    in the hasher, where giving up costs nothing); 38 give up, and the next caller waits
    for the two in hand, not for forty."""
    hasher = PasswordHasher(threads=1, queued=1)
    try:
        stored = await hasher.hash("Alpha-Pass1")
        started = time.perf_counter()
        assert await hasher.verify("Alpha-Pass1", stored)
        one = time.perf_counter() - started
        flood = [asyncio.create_task(hasher.verify("Alpha-Pass1", stored)) for _ in range(40)]
        await asyncio.sleep(0.01)
        assert hasher._executor._work_queue.qsize() <= 1  # one running, at most one waiting in the pool
        for task in flood[2:]:
            task.cancel()
        started = time.perf_counter()
        assert await hasher.verify("Alpha-Pass1", stored)
        assert time.perf_counter() - started < 15 * one  # not 40 hashes' worth of backlog
        assert all(await asyncio.gather(*flood[:2]))
    finally:
        hasher.close()


async def test_a_burst_of_hashes_all_complete() -> None:
    hasher = PasswordHasher(threads=1, queued=1)
    try:
        stored = await hasher.hash("Alpha-Pass1")
        assert await asyncio.gather(*(hasher.verify(p, stored) for p in ("Alpha-Pass1", "x") * 5)) == [True, False] * 5
    finally:
        hasher.close()
