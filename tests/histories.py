"""Generated histories recorded into a ledger, for tests that need a realistic one, and the
files made whole (WAL checkpointed) so that a copy of them is the whole ledger."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from ledger.application import Ledger
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator


def record_generated(ledger: Ledger, gen: HistoryGenerator, mutations: int, sizes: tuple[int, int], *,
                     withdraw_every: int | None = None) -> None:
    """``gen``'s opening, then its documents of ``mutations`` mutations in all, every other one
    adopted; with ``withdraw_every``, of the others each whose number is 3 modulo it withdrawn."""
    ledger.record_input(document_from_mapping(gen.opening(), "opening"))
    for i, doc in enumerate(gen.documents(mutations, sizes=sizes)):
        ledger.record_input(document_from_mapping(doc, "doc"))
        if i % 2 == 0:
            ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "Besluit")
        elif withdraw_every and i % withdraw_every == 3:
            ledger.withdraw(doc["document"]["id"], date(2024, 7, 1), "Ingetrokken")
            gen.withdrawn(doc["document"]["id"])


def checkpoint(*paths: Path) -> None:
    for path in paths:
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
