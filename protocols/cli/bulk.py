"""Operator command for load tests:

    registry load-test-data [--domains N] [--tld NAME] [--registrars N] [--contacts N]
                            [--providers N] [--ds-share F] [--history] [--batch N] [--jobs N] [--seed N]

It fills a TLD (created when missing) with N domains written by COPY, with registrars
`lt-r001`..., contacts `lt-c1`... and the name servers `ns1/ns2.dns-<k>.net` (see
registry_core/services/bulk.py for what the data looks like), and prints how long each
phase took.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from protocols.cli.args import count, share
from protocols.config import Config


def _progress(total: int) -> Any:
    def show(done: int, seconds: float) -> None:
        rate = done / seconds if seconds > 0 else 0.0
        print(f"  {done:>10,} / {total:,} domains  {seconds:7.1f} s  ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    return show


async def cmd_load_test_data(config: Config, args: argparse.Namespace) -> int:
    from protocols.serve.runtime import open_core
    from registry_core.services.bulk import LoadSpec, load_test_data

    spec = LoadSpec(domains=args.domains, tld=args.tld, registrars=args.registrars, contacts=args.contacts,
                        providers=args.providers, ds_share=args.ds_share, history=args.history, batch=args.batch,
                        jobs=args.jobs, seed=args.seed)
    async with open_core(config) as core:
        report = await load_test_data(core, spec, _progress(spec.domains))
    print(f"loaded {report.domains:,} domains into .{report.tld} in {report.seconds:.1f} s "
          f"({report.domains / max(report.seconds, 1e-9):,.0f} domains/s)")
    print(f"  new objects: {report.contacts:,} contacts, {report.hosts:,} hosts, {report.ds_records:,} DS records, "
          f"{report.history_rows:,} history rows; {report.registrars} registrars (lt-r001...)")
    for phase, seconds in report.phases.items():
        print(f"  {phase:28} {seconds:8.1f} s")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("load-test-data", help="load N test domains with COPY (for load tests and benchmarks)")
    p.add_argument("--domains", type=count, default=1_000_000, help="domains to add (default 1,000,000)")
    p.add_argument("--tld", default="test", help="TLD to fill; created when missing (default: test)")
    p.add_argument("--registrars", type=count, default=10, help="sponsoring registrars lt-r001... (default 10)")
    p.add_argument("--contacts", type=count, default=10_000, help="contacts lt-c1... (default 10,000)")
    p.add_argument("--providers", type=count, default=1_000,
                   help="DNS providers, each with two name servers (default 1,000)")
    p.add_argument("--ds-share", type=share, default=0.1, help="share of domains with a DS record (default 0.1)")
    p.add_argument("--history", action="store_true", help="also write one history row per domain")
    p.add_argument("--batch", type=count, default=50_000, help="domains per transaction (default 50,000)")
    p.add_argument("--jobs", type=count, default=2, help="batches written at once (default 2)")
    p.add_argument("--seed", type=int, help="random seed for names and shares (authInfo stays random)")
    p.set_defaults(handler=cmd_load_test_data)
