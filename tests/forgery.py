"""Forging a SQLite ledger as someone who knows how the hash chain is made: the stored rows
changed at will, every link recomputed, so that only the rules (or a digest kept elsewhere)
can tell."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from ledger.integrity import GENESIS, link_hash

Row = list  # [position, originator id (hex), version, topic, state]


def rechain(path: Path, change: Callable[[list[Row]], list[Row]]) -> None:
    """Apply ``change(rows)`` to the stored rows and write them back at positions 1, 2, …
    with every chain link recomputed."""
    with sqlite3.connect(path) as conn:
        rows = [list(r) for r in conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                                              "FROM stored_events ORDER BY rowid")]
        rows = change(rows)
        conn.execute("DELETE FROM stored_events")
        conn.execute("DELETE FROM event_chain")
        previous = GENESIS
        for p, (_, oid, version, topic, state) in enumerate(rows, start=1):
            conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                         "VALUES (?, ?, ?, ?, ?)", (p, oid, version, topic, state))
            previous = link_hash(previous, p, oid, version, topic, state)
            conn.execute("INSERT INTO event_chain VALUES (?, ?)", (p, previous))


def insert_well_chained(path: Path, position: int, stored) -> None:
    """Insert a stored event at ``position`` and move the later ones up."""
    row = [position, stored.originator_id.hex, stored.originator_version, stored.topic, stored.state]
    rechain(path, lambda rows: rows[:position - 1] + [row] + rows[position - 1:])
