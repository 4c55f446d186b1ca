"""A deposit's objects at its watermark, not at the moment it is read: the objects with
history after the watermark are taken back to it (model/escrow_past.py), the others are
read as they are, inside the deposit's one snapshot.

The scans of services/escrow.py read what is live now; this view replaces each changed row
met there by its state at the watermark (or drops it: created later), and then adds what
the scans cannot meet: objects deleted since the watermark, and the hosts and contacts that
domains named at the watermark but no longer do. A host or contact taken back is linked if a
domain named it then (the domains of other TLDs count with their links of now); the
registrars stay as they are now (history does not record them by id)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from registry_core.db.repo import escrow as repo
from registry_core.db.tx import Tx
from registry_core.model.escrow_past import row_at
from registry_core.model.timeline import HistoryRow

_KEY = {"domain": "name", "host": "name", "contact": "handle"}


class PastView:
    def __init__(self, tx: Tx, tld: str, at: datetime, changed: dict[str, set[int]]) -> None:
        self.tx, self.tld, self.at, self.changed = tx, tld, at, changed
        self.seen: dict[str, set[int]] = {kind: set() for kind in _KEY}
        self.named: dict[str, set[str]] = {"host": set(), "contact": set()}  # by the domains taken back
        self.met: dict[str, set[str]] = {"host": set(), "contact": set()}  # of those, met by the scans
        self.taken_back: set[int] = set()  # the domains taken back (their links now are not those then)

    @classmethod
    async def load(cls, tx: Tx, tld: str, at: datetime) -> PastView:
        return cls(tx, tld, at, await repo.fetch_changed_after(tx.conn, at))

    async def scan(self, kind: str, batches: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
        """The scan's batches with each changed row at the watermark (or left out)."""
        async for rows in batches:
            for row in rows:
                if kind in self.met and row[_KEY[kind]] in self.named[kind]:
                    self.met[kind].add(row[_KEY[kind]])
            changed = [row for row in rows if row["id"] in self.changed[kind]]
            if not changed:
                yield rows
                continue
            self.seen[kind].update(row["id"] for row in changed)
            past = {row["id"]: row for row in await self._taken_back(kind, [dict(r) for r in changed])}
            yield [past.get(row["id"], row) for row in rows
                   if row["id"] not in self.changed[kind] or row["id"] in past]

    async def extras(self, kind: str, wanted: Sequence[int] | None) -> list[dict[str, Any]]:
        """The objects of `kind` live at the watermark that the scan could not meet (`wanted`:
        the DIFF's ids, None for every object)."""
        ids = sorted(i for i in self.changed[kind] - self.seen[kind] if wanted is None or i in wanted)
        conn = self.tx.conn
        if kind == "domain":
            return await self._taken_back(kind, await repo.fetch_domains_any_state(conn, self.tld, self.at, ids)
                                          if ids else [])
        keys = sorted(self.named[kind] - self.met[kind])
        if not ids and not keys:
            return []
        if kind == "host":
            rows = await repo.fetch_hosts_any_state(conn, ids, keys)
        else:
            rows = await repo.fetch_contacts_any_state(conn, self.at, ids, keys)
        rows = [r for r in rows if r["id"] not in self.seen[kind]]
        return [r for r in await self._taken_back(kind, rows) if self._belongs(kind, r)]

    def _note_links(self, rows: list[dict[str, Any]]) -> None:
        """Remember the hosts and contacts the domains taken back name."""
        for row in rows:
            self.named["host"].update(row["nameservers"] or ())
            self.named["contact"].update(c.partition(" ")[2] for c in row["contacts"] or ())
            if row["registrant"]:
                self.named["contact"].add(row["registrant"])

    def _belongs(self, kind: str, row: dict[str, Any]) -> bool:
        if row[_KEY[kind]] in self.named[kind]:
            return True
        return kind == "host" and str(row["name"]).endswith("." + self.tld)

    async def _taken_back(self, kind: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        histories = await repo.fetch_histories(self.tx.conn, kind, ids)
        ended = await repo.fetch_ended_graces(self.tx.conn, ids, self.at) if kind == "domain" else {}
        out = []
        for row in rows:
            if row["id"] in ended:  # a grace period open at the watermark and cut short since
                row = {**row, "graces": sorted(set(row["graces"]) | ended[row["id"]])}
            history = [HistoryRow(**h) for h in histories.get(row["id"], [])]
            past = row_at(kind, row, history, self.at)
            if past is not None:
                out.append(past)
        if kind == "domain":
            self.taken_back.update(ids)
            self._note_links(out)
        else:
            await self._linked_then(kind, out)
        return out

    async def _linked_then(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """`linked` at the watermark: named by a domain taken back, or by a domain that has
        not changed since (its links now are its links then)."""
        linking = await repo.fetch_linking_domains(self.tx.conn, kind, [r["id"] for r in rows])
        for row in rows:
            row["linked"] = (row[_KEY[kind]] in self.named[kind]
                             or any(d not in self.taken_back for d in linking.get(row["id"], ())))
