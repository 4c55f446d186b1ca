"""Test data at scale (`registry load-test-data`): a TLD with registrars, contacts, name
servers and N domains, written with COPY so that a million domains load in minutes.

The data looks like a live registry to the read paths: domain labels start with random
letters (so a prefix such as `abc*` matches about N / 26**3 names, as in real zones) and
end with the domain id in base 36 (so names never collide, even across runs); 95% of the
domains are delegated to two name servers of one of the DNS providers; a share carries a
DS record (`ds_share`); about a quarter have client* statuses, a few are on hold; with
contacts (unless the TLD's policy is `none`): a registrant, an admin and a tech contact.
Expiry dates lie between tomorrow and three years ahead, so the lifecycle runner has
nothing due. Ids come from the objects' own sequences and ROIDs read D<hex>-<TLD suffix>,
C<hex>-/H<hex>-<repository suffix>, as the EPP create path writes them. Every authInfo is
random, never shown, and encrypted per row with the registry key, bound to its ROID.

Not written: grace periods, ledger entries and poll messages (the domains were created
"long ago", at no charge); history rows only with `history=True` (one `create` row per
domain). Each batch is one transaction: a failed load keeps the batches before it.
Re-running adds N more domains and reuses the registrars, contacts and hosts."""

from __future__ import annotations

import asyncio
import os
import random
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from registry_core.context import Core
from registry_core.db.repo import bulk as repo
from registry_core.db.repo import dns_changes
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue, ObjectNotFound
from registry_core.model.audit import HistoryEntry
from registry_core.model.registrar import Tld
from registry_core.services import registrars, tlds

SV_TRID = "LOAD-TEST-DATA"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FIRST = ("Alex", "Maria", "John", "Wei", "Fatima", "Lars", "Ana", "Kenji", "Olga", "Pedro", "Aisha", "Tom")
LAST = ("Smith", "Garcia", "Chen", "Khan", "Larsen", "Silva", "Tanaka", "Ivanova", "Novak", "Okafor")
CITIES = (("Springfield", "US"), ("Berlin", "DE"), ("Lyon", "FR"), ("Osaka", "JP"), ("Toronto", "CA"),
          ("Porto", "PT"), ("Nairobi", "KE"), ("Krakow", "PL"), ("Austin", "US"), ("Leeds", "GB"))
# (statuses, share of domains): the rest have none
STATUS_MIX = ((["clientTransferProhibited"], 0.20),
              (["clientDeleteProhibited", "clientTransferProhibited", "clientUpdateProhibited"], 0.04),
              (["clientHold"], 0.005), (["serverHold"], 0.002))
DELEGATED_SHARE = 0.95
YEAR = timedelta(days=365.25)


@dataclass(frozen=True)
class LoadSpec:
    domains: int = 1_000_000
    tld: str = "test"
    registrars: int = 10
    contacts: int = 10_000
    providers: int = 1_000  # DNS providers, each with ns1 and ns2 (external hosts)
    ds_share: float = 0.1
    history: bool = False
    batch: int = 50_000
    jobs: int = 2  # batches written at once, each on its own connection
    seed: int | None = None


@dataclass
class LoadReport:
    tld: str
    domains: int = 0
    registrars: int = 0
    contacts: int = 0
    hosts: int = 0
    ds_records: int = 0
    history_rows: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Parts:
    """What every domain batch draws from."""

    tld: Tld
    registrar_ids: list[str]
    contact_ids: list[int]
    host_ids: list[int]  # provider k's name servers are host_ids[2k] and host_ids[2k + 1]
    now: datetime


def _check(spec: LoadSpec) -> None:
    for name, value, low in (("domains", spec.domains, 0), ("registrars", spec.registrars, 1),
                             ("contacts", spec.contacts, 1), ("providers", spec.providers, 1),
                             ("batch", spec.batch, 1), ("jobs", spec.jobs, 1)):
        if value < low:
            raise InvalidValue(f"{name} must be at least {low}", field=name, value=str(value))
    if spec.jobs > len(LETTERS):
        raise InvalidValue(f"at most {len(LETTERS)} jobs", field="jobs", value=str(spec.jobs))
    if not 0 <= spec.ds_share <= 1:
        raise InvalidValue("ds_share lies between 0 and 1", field="ds_share", value=str(spec.ds_share))


def random_secret() -> str:
    return urlsafe_b64encode(os.urandom(12)).decode("ascii")


# --- registrars, contacts, name servers --------------------------------------------------------
async def _tld(core: Core, name: str) -> Tld:
    try:
        return await tlds.get_tld(core, name)
    except ObjectNotFound:
        return await tlds.add_tld(core, name)


async def _registrars(core: Core, count: int) -> list[str]:
    ids = [f"lt-r{i:03d}" for i in range(1, count + 1)]
    for rid in ids:
        try:
            await registrars.get_registrar(core, rid)
        except ObjectNotFound:
            # a random password nobody knows: `registry registrar set-password` opens the account
            await registrars.add_registrar(core, registrars.NewRegistrar(
                rid, f"Load Test Registrar {rid[4:]}", f"Lt{random_secret()[:10]}9", email=f"{rid}@registrar.test"))
    return ids


def _contact_rows(core: Core, handles: list[str], ids: list[int], sponsors: list[str], now: datetime,
                  rng: random.Random) -> Iterator[tuple[object, ...]]:
    suffix = core.settings.roid_suffix
    for handle, cid in zip(handles, ids, strict=True):
        roid = f"C{cid:X}-{suffix}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, cc = rng.choice(CITIES)
        postal = {"name": f"{first} {last}", "org": f"{last} Holdings", "street": [f"{rng.randint(1, 999)} Main St"],
                  "city": city, "pc": f"{rng.randint(10000, 99999)}", "cc": cc}
        yield (cid, roid, handle, rng.choice(sponsors), sponsors[0], now - rng.random() * 10 * YEAR,
               core.cipher.encrypt(random_secret(), f"contact:{roid}"), postal,
               f"+1.{rng.randint(2000000000, 9999999999)}", f"{handle}@mail.test")


async def _contacts(core: Core, count: int, sponsors: list[str], rng: random.Random) -> tuple[list[int], int]:
    handles = [f"lt-c{i}" for i in range(1, count + 1)]

    async def run(tx: Tx) -> tuple[list[int], int]:
        known = await repo.fetch_live_contact_ids(tx.conn, handles)
        missing = [h for h in handles if h not in known]
        if missing:
            ids = await repo.reserve_ids(tx.conn, "contact", len(missing))
            await repo.copy_contacts(tx.conn, _contact_rows(core, missing, ids, sponsors, tx.now, rng))
            known.update(zip(missing, ids, strict=True))
        return [known[h] for h in handles], len(missing)
    return await core.db.transaction(run)


async def _hosts(core: Core, providers: int, sponsors: list[str]) -> tuple[list[int], int]:
    names = [f"ns{n}.dns-{k}.net" for k in range(1, providers + 1) for n in (1, 2)]

    async def run(tx: Tx) -> tuple[list[int], int]:
        known = await repo.fetch_live_host_ids(tx.conn, names)
        missing = [n for n in names if n not in known]
        if missing:
            ids = await repo.reserve_ids(tx.conn, "host", len(missing))
            suffix = core.settings.roid_suffix
            await repo.copy_hosts(tx.conn, ((hid, f"H{hid:X}-{suffix}", name, sponsors[hid % len(sponsors)],
                                             sponsors[hid % len(sponsors)], tx.now - 10 * YEAR)
                                            for name, hid in zip(missing, ids, strict=True)))
            known.update(zip(missing, ids, strict=True))
        return [known[n] for n in names], len(missing)
    return await core.db.transaction(run)


# --- domains -------------------------------------------------------------------------------------
@dataclass
class _Batch:
    domains: list[tuple[object, ...]] = field(default_factory=list)
    hosts: list[tuple[int, int]] = field(default_factory=list)
    contacts: list[tuple[int, str, int]] = field(default_factory=list)
    ds: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)


def _statuses(draw: float) -> list[str]:
    for statuses, share in STATUS_MIX:
        if draw < share:
            return statuses
        draw -= share
    return []


def _label_heads(rng: random.Random, initials: str, count: int) -> list[str]:
    """`count` random letter strings of 3 to 10 letters, starting with one of `initials`, sorted."""
    return sorted(rng.choice(initials) + "".join(rng.choices(LETTERS, k=rng.randint(2, 9))) for _ in range(count))


def _build_batch(core: Core, parts: _Parts, ids: list[int], spec: LoadSpec, rng: random.Random,
                 initials: str) -> _Batch:
    batch, tld, now = _Batch(), parts.tld, parts.now
    with_contacts = tld.contact_policy != "none"
    # ids ascend and the labels' random heads are sorted, so the rows reach every index in
    # (nearly) key order: a batch touches each index page once, not once per row; batches
    # written at once start with different letters, so they never queue for the same pages
    heads = _label_heads(rng, initials, len(ids))
    for did, head in zip(ids, heads, strict=True):
        roid = f"D{did:X}-{tld.roid_suffix}"
        # letters, then the id in decimal: where the head ends is plain, so no two ids can
        # spell one name (with a base-36 id, "efofc"+"lq" and "efofcl"+"q" did)
        name = f"{head}{did}.{tld.name}"
        sponsor = rng.choice(parts.registrar_ids)
        created = now - rng.random() * 10 * YEAR
        expires = now + timedelta(days=1) + rng.random() * 3 * YEAR
        updated = created + (now - created) * rng.random() if rng.random() < 0.3 else None
        registrant = rng.choice(parts.contact_ids) if with_contacts else None
        batch.domains.append((did, roid, name, tld.name, registrant, sponsor, sponsor, created, updated, expires,
                              core.cipher.encrypt(random_secret(), f"domain:{roid}"), _statuses(rng.random())))
        if rng.random() < DELEGATED_SHARE:
            provider = rng.randrange(len(parts.host_ids) // 2)
            batch.hosts += [(did, parts.host_ids[2 * provider]), (did, parts.host_ids[2 * provider + 1])]
        if with_contacts:
            batch.contacts += [(did, "admin", rng.choice(parts.contact_ids)),
                               (did, "tech", rng.choice(parts.contact_ids))]
        if rng.random() < spec.ds_share:
            batch.ds.append((did, rng.randrange(65536), 13, 2, os.urandom(32).hex().upper()))
        if spec.history:
            batch.history.append(HistoryEntry("domain", did, name, "create", sponsor, SV_TRID, None, created, None,
                                              {"name": name, "roid": roid, "sponsor_id": sponsor}))
    return batch


async def _write_batch(core: Core, parts: _Parts, spec: LoadSpec, count: int, rng: random.Random,
                       initials: str) -> _Batch:
    async def run(tx: Tx) -> _Batch:
        ids = await repo.reserve_ids(tx.conn, "domain", count)
        batch = _build_batch(core, parts, ids, spec, rng, initials)
        await repo.copy_domains(tx.conn, batch.domains)
        await repo.copy_domain_hosts(tx.conn, batch.hosts)
        await repo.copy_domain_contacts(tx.conn, batch.contacts)
        await repo.copy_ds_records(tx.conn, batch.ds)
        if batch.history:
            await repo.copy_history(tx.conn, batch.history)
        # last (its state row is shared by concurrent batches): the whole zone is to be re-published
        await dns_changes.mark_full_publication(tx.conn, parts.tld.name)
        return batch
    return await core.db.transaction(run)


async def _domains(core: Core, parts: _Parts, spec: LoadSpec, rng: random.Random, report: LoadReport,
                   progress: Callable[[int, float], None] | None) -> None:
    sizes = [min(spec.batch, spec.domains - start) for start in range(0, spec.domains, spec.batch)]
    started = time.perf_counter()
    jobs = min(spec.jobs, len(sizes))

    async def worker(index: int, seed: int) -> None:
        own = random.Random(seed)  # one generator per worker: batches never share state
        initials = LETTERS[index * len(LETTERS) // jobs:(index + 1) * len(LETTERS) // jobs]
        for size in sizes[index::jobs]:  # equal shares, so every initial letter is equally common
            batch = await _write_batch(core, parts, spec, size, own, initials)
            report.domains += len(batch.domains)
            report.ds_records += len(batch.ds)
            report.history_rows += len(batch.history)
            if progress is not None:
                progress(report.domains, time.perf_counter() - started)
    async with asyncio.TaskGroup() as group:  # one failed batch stops the others
        for index in range(jobs):
            group.create_task(worker(index, rng.getrandbits(64)))


# --- the command -------------------------------------------------------------------------------
async def load_test_data(core: Core, spec: LoadSpec,
                         progress: Callable[[int, float], None] | None = None) -> LoadReport:
    """Load the data described in the module docstring; `progress(domains_so_far, seconds)`
    is called after every batch. Returns counts and the time each phase took."""
    _check(spec)
    rng = random.Random(spec.seed)
    started = time.perf_counter()
    tld = await _tld(core, spec.tld)
    report = LoadReport(tld.name)
    phase = time.perf_counter()
    sponsors = await _registrars(core, spec.registrars)
    contact_ids, report.contacts = await _contacts(core, spec.contacts, sponsors, rng)
    host_ids, report.hosts = await _hosts(core, spec.providers, sponsors)
    report.registrars = len(sponsors)
    report.phases["registrars, contacts, hosts"] = time.perf_counter() - phase
    phase = time.perf_counter()
    parts = _Parts(tld, sponsors, contact_ids, host_ids, core.db.clock.now())
    await _domains(core, parts, spec, rng, report, progress)
    report.phases["domains (COPY)"] = time.perf_counter() - phase
    phase = time.perf_counter()
    await _analyze(core)
    report.phases["ANALYZE"] = time.perf_counter() - phase
    report.seconds = time.perf_counter() - started
    return report


async def _analyze(core: Core) -> None:
    async def run(tx: Tx) -> None:
        await repo.analyze(tx.conn)
    await core.db.transaction(run)
