"""Projections are disposable: rebuilding from zero gives the very same tables as the
incrementally maintained read models, on random histories."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date

import pytest

from events import LEDGER_ID, DocumentRecorded
from ledger.application import Ledger
from ledger.mapper import canonical_bytes, event_from_stored
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from projections import schema
from projections.db import table_rows


def dump(ledger: Ledger) -> list[str]:
    return list(ledger.conn.iterdump())


def build_random_ledger(path, seed: int, mutations: int = 300) -> Ledger:
    ledger = Ledger.init(str(path), "Synthetisch", 2024, 2027)
    gen = HistoryGenerator(seed, range(2024, 2028))
    rng = random.Random(seed)
    ledger.record_input(document_from_mapping(gen.opening(), "opening"))
    for doc in gen.documents(mutations, sizes=(5, 60)):
        ledger.record_input(document_from_mapping(doc, doc["document"]["id"]))
        roll = rng.random()
        if roll < 0.5:
            ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "Besluit")
        elif roll < 0.6:
            ledger.withdraw(doc["document"]["id"], date(2024, 7, 1), "Ingetrokken")
            gen.withdrawn(doc["document"]["id"])
    if rng.random() < 0.5:
        ledger.extend(2029)
    return ledger


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuild_from_zero_gives_byte_identical_tables(tmp_path, seed):
    with build_random_ledger(tmp_path / "l.db", seed) as ledger:
        incremental = dump(ledger)
        assert any("INSERT INTO \"effects\"" in line for line in incremental)
        ledger.rebuild()
        assert dump(ledger) == incremental


def test_a_fresh_ledger_catching_up_from_empty_read_models_equals_the_incremental_ones(tmp_path):
    # Record with one ledger object, then let a fresh one catch up from an empty read model.
    with build_random_ledger(tmp_path / "l.db", 7) as ledger:
        incremental = dump(ledger)
    (tmp_path / "l.views.db").unlink()
    with Ledger.open(str(tmp_path / "l.db")) as fresh:
        fresh.catch_up()
        assert dump(fresh) == incremental


def test_rebuild_command_keeps_show_identical(kaderbrief):
    before = kaderbrief.json("show")
    assert "Rebuilt the read models from" in kaderbrief("rebuild").stdout
    assert kaderbrief.json("show") == before


DEFAULTED = {"reason": "", "reference": "", "structural": False, "corrects": None, "indexation": []}


def test_documents_stored_without_their_defaulted_fields_project_with_the_defaults(tmp_path):
    """The projector reads DocumentRecorded straight from its JSON, not through pydantic: a field
    with a default, missing from an event stored before the field existed, must read as that
    default — as the pydantic event does."""
    path = tmp_path / "l.db"
    with build_random_ledger(path, 5, mutations=80) as ledger:
        plain = {"document": {"id": "plain", "kind": "begrotingswijziging", "title": "Plain", "date": "2025-01-01"},
                 "mutations": [{"kind": "wijziging", "line": "u1/l1", "amounts": {2025: "1.00"}}]}
        ledger.record_input(document_from_mapping(plain, ""))  # no reason, reference or source file
        expected = {t: table_rows(ledger.conn, t) for t in schema.TABLES}
    conn = sqlite3.connect(path)
    stripped: set[str] = set()
    rows = conn.execute("SELECT rowid, topic, state FROM stored_events WHERE topic = ?", (DocumentRecorded.TOPIC,))
    for rowid, topic, state in rows.fetchall():
        data = json.loads(state)
        for fields, defaults in [(data, {"source": ""}), (data["header"], {"decision": ""})] + [
                (m, DEFAULTED) for m in data["mutations"]]:
            for key, default in defaults.items():
                if key in fields and fields[key] == default:
                    del fields[key]
                    stripped.add(key)
        older = canonical_bytes(data)
        assert event_from_stored(topic, older, LEDGER_ID, 1) == event_from_stored(topic, state, LEDGER_ID, 1)
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (older, rowid))
    conn.commit()
    conn.close()
    assert stripped == {"source", "decision", *DEFAULTED}
    with Ledger.open(str(path)) as ledger:
        ledger.rebuild()
        assert {t: table_rows(ledger.conn, t) for t in schema.TABLES} == expected
