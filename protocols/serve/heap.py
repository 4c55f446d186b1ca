"""The serving process's heap, settled once start-up is done.

What start-up builds (modules, compiled schemas and templates, the pool and its prepared
statements, configuration) lives as long as the process. CPython's cyclic collector walks
every tracked object on each full pass, and under load full passes come every second or
so (request objects outlive two young collections while their answers are in flight), so
each pass walked tens of thousands of start-up objects and stalled the event loop for tens
of milliseconds, the whole 99th percentile of a busy RDAP server. `gc.freeze()` moves them
to the permanent generation, which passes skip; garbage made later is collected as before."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect start-up's garbage, then exempt every object still alive from later passes."""
    gc.collect()
    gc.freeze()
