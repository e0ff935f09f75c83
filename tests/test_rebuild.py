"""Projections are disposable: rebuilding from zero gives the very same tables as the
incrementally maintained read models, on random histories."""

from __future__ import annotations

import random
from datetime import date

import pytest

from ledger.application import Ledger
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator


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


def test_catch_up_in_another_process_equals_rebuild(tmp_path):
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
