"""What the rule fold keeps of each document it applied, instead of reading it again: the
corrected mutations' lines, structure and splits (``CorrectionTargets``), and a proposed
document's effects until it is adopted or withdrawn. Kept or not, a forgery is caught."""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from events import DocumentHeader, DocumentRecorded, Leg, Mutation, MutationRef, document_aggregate_id
from ledger.application import Ledger
from ledger.mapper import PydanticMapper, event_from_stored
from ledger.parsing import document_from_mapping
from ledger.stored import CorrectionTargets
from ledger.synthetic import HistoryGenerator
from tests.forgery import insert_well_chained
from tests.histories import checkpoint, record_generated


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """Some 40 documents, every other one adopted and the odd one withdrawn: most corrected
    documents are no longer proposed when their corrections are folded."""
    path = tmp_path_factory.mktemp("keeps") / "l.db"
    gen = HistoryGenerator(11, range(2024, 2028))
    with Ledger.init(str(path), "T", 2024, 2027) as ledger:
        record_generated(ledger, gen, 300, (3, 12), withdraw_every=7)
        assert ledger.verify().ok
    checkpoint(path)
    return path


def _stored(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                            "ORDER BY rowid").fetchall()


def _adopted_documents(rows: list[tuple], before: int) -> list[DocumentRecorded]:
    """The documents recorded before ``before`` and adopted after, whose mutations the fold
    no longer holds by the time a correction at ``before`` is folded."""
    recorded = {}
    adopted = set()
    for position, oid, version, topic, state in rows:
        event = event_from_stored(topic, state, oid, version)
        if isinstance(event, DocumentRecorded) and position < before and event.header.id != "opening":
            recorded[event.header.id] = event
        elif type(event).__name__ == "DocumentAdopted" and position < before:
            adopted.add(event.document)
    return [recorded[d] for d in sorted(adopted & set(recorded))]


@pytest.mark.parametrize("kind", ["another line", "no such seq", "seq beyond the last"])
def test_a_forged_correction_of_a_folded_document_is_caught_from_what_the_fold_kept(history, tmp_path, kind):
    rows = _stored(history)
    rng = random.Random(kind)
    mapper = PydanticMapper()
    for position in rng.sample(range(len(rows) // 2, len(rows) + 1), 6):
        target = rng.choice(_adopted_documents(rows, position))
        corrected = rng.choice(target.mutations)
        lines = {leg.address for leg in corrected.legs}
        seq = corrected.seq if kind == "another line" else target.mutations[-1].seq + 1
        if kind == "no such seq":  # a number between two of the document's own, when it has a gap
            seq = next((s for s in range(1, target.mutations[-1].seq) if s not in {m.seq for m in target.mutations}),
                       target.mutations[-1].seq + 7)
        line = (sorted({f"u{u}/l{n}" for u in range(1, 8) for n in range(1, 5)} - lines)[0] if kind == "another line"
                else sorted(lines)[0])
        previous = rows[position - 2]
        stamp = event_from_stored(previous[3], previous[4], previous[1], previous[2]).timestamp
        forged = DocumentRecorded(
            originator_id=document_aggregate_id(f"vervalst-{position}"), originator_version=1,
            timestamp=stamp + timedelta(microseconds=1), actor="x",
            header=DocumentHeader(id=f"vervalst-{position}", kind="begrotingswijziging", title="Vervalst",
                                  date=date(2024, 1, 1)),
            mutations=(Mutation(seq=1, kind="correctie", structural=corrected.structural,
                                corrects=MutationRef(document=target.header.id, seq=seq),
                                legs=(Leg(unit=line.split("/")[0], line=line.split("/")[1],
                                          amounts_cents={2025: 5}),)),),
            content_sha256="0" * 64)
        path = tmp_path / "forged.db"
        for f in tmp_path.glob("forged*"):
            f.unlink()
        shutil.copy(history, path)
        insert_well_chained(path, position, mapper.to_stored_event(forged))
        with Ledger.open(str(path)) as ledger:
            report = ledger.verify()
        assert not report.ok, f"{kind} of {target.header.id}/{seq} at {position} passed verify"
        assert report.problems[0].startswith(f"position {position}:"), report.problems
        wanted = "is not a line of the corrected mutation" if kind == "another line" else "has no mutation"
        assert wanted in report.problems[0], report.problems


def test_the_kept_targets_are_what_the_documents_say_whatever_their_seqs():
    targets = CorrectionTargets()
    a, b = Leg(unit="u", line="a", amounts_cents={2025: 1}), Leg(unit="u", line="b", amounts_cents={2025: -1})
    dense = (Mutation(seq=1, kind="wijziging", legs=(a,)), Mutation(seq=2, kind="verschuiving", legs=(a, b)),
             Mutation(seq=4, kind="wijziging", structural=True, legs=(a,)))
    sparse = (Mutation(seq=1, kind="wijziging", legs=(b,)), Mutation(seq=90_000, kind="wijziging", legs=(a, b)))
    targets.add("dense", dense)
    targets.add("sparse", sparse)
    unused = lambda: ()  # noqa: E731
    assert targets.kind("dense", 1, unused) == ({"u/a"}, False, False)
    assert targets.kind("dense", 2, unused) == ({"u/a", "u/b"}, False, False)
    assert targets.kind("dense", 4, unused) == ({"u/a"}, True, False)
    assert [targets.kind("dense", s, unused) for s in (0, 3, 5, -1, 10**6)] == [None] * 5
    assert targets.kind("sparse", 90_000, unused) == ({"u/a", "u/b"}, False, False)
    assert targets.kind("sparse", 1, unused) == ({"u/b"}, False, False)
    assert [targets.kind("sparse", s, unused) for s in (0, 2, 89_999, -1)] == [None] * 4
    assert len(targets.documents["dense"]) == 5 and isinstance(targets.documents["sparse"], dict)
    assert targets.kind("dense", 2, unused) is targets.kind("sparse", 90_000, unused)  # kept once
    # a document not kept is read through the function given, once
    reads = []
    assert targets.kind("later", 2, lambda: reads.append(1) or dense) == ({"u/a", "u/b"}, False, False)
    assert targets.kind("later", 3, lambda: reads.append(1) or dense) is None and reads == [1]
    twin = targets.copy()
    twin.add("only-in-twin", sparse)
    assert "only-in-twin" not in targets.documents


def test_adopting_after_the_horizon_grew_moves_the_effects_of_the_years_added_too(tmp_path):
    """The effects kept from recording cover the years then; an adoption after `extend` moves
    the structural amounts into the added years as well (adopted equals proposed when all is adopted)."""
    path = tmp_path / "l.db"
    gen = HistoryGenerator(5, range(2024, 2026))
    with Ledger.init(str(path), "T", 2024, 2025) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
        ledger.adopt("opening", date(2024, 1, 2), "Besluit")
        ids = []
        for doc in gen.documents(60, sizes=(5, 10)):
            ledger.record_input(document_from_mapping(doc, "doc"))
            ids.append(doc["document"]["id"])
        ledger.adopt(ids[0], date(2024, 7, 1), "Besluit")
        ledger.extend(2028)
        for doc in ids[1:]:
            ledger.adopt(doc, date(2024, 8, 1), "Besluit")
        model = ledger.write_model()
        assert {k: v for k, v in model.figures.items() if v} == {k: v for k, v in model.adopted.items() if v}
        assert any(year == 2028 and v for (_, year), v in model.adopted.items())
        assert ledger.verify().ok
