"""Crash safety, concurrent writers, idempotent re-recording and replay determinism.

Counts are the ones README.md states under Guarantees; raise them with BEGROTING_KILLS,
BEGROTING_WRITERS / BEGROTING_DOCS_PER_WRITER and BEGROTING_REPLAY_EXAMPLES.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from tests.processes import fork, race

KILLS = int(os.environ.get("BEGROTING_KILLS", "200"))
WRITERS = int(os.environ.get("BEGROTING_WRITERS", "8"))
DOCS_PER_WRITER = int(os.environ.get("BEGROTING_DOCS_PER_WRITER", "50"))
REPLAY_EXAMPLES = int(os.environ.get("BEGROTING_REPLAY_EXAMPLES", "200"))


def stored_documents(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [json.loads(s)["header"]["id"] for (s,) in
                conn.execute("SELECT state FROM stored_events WHERE topic='begroting:DocumentRecorded' ORDER BY rowid")]


def positions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")]


# ---------------------------------------------------------------- crash safety


def _record_until_killed(path: str, seed: int, acks: str) -> None:
    done = set(Path(acks).read_text().split()) if Path(acks).exists() else set()
    gen = HistoryGenerator(seed, range(2024, 2028))
    gen.opening()  # the same endless stream of documents in every child
    with Ledger.open(path, write=True) as ledger:
        for doc in gen.documents(10**9, sizes=(10, 30)):
            if doc["document"]["id"] in done:
                continue
            ledger.record_input(document_from_mapping(doc, doc["document"]["id"]))
            with open(acks, "a") as f:  # acknowledged only after record() returned
                f.write(doc["document"]["id"] + "\n")
                f.flush()
                os.fsync(f.fileno())
    os._exit(0)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_acknowledged_and_shows_nothing_partial(tmp_path):
    path = tmp_path / "l.db"
    acks = str(tmp_path / "acks.txt")
    gen = HistoryGenerator(5, range(2024, 2028))
    with Ledger.init(str(path), "T", 2024, 2027) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
    rng = random.Random(3)
    killed = 0
    for _ in range(KILLS):
        child = fork.Process(target=_record_until_killed, args=(str(path), 5, acks))
        child.start()
        time.sleep(rng.uniform(0.05, 0.4))
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.join()
    assert killed >= KILLS * 0.9

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    recorded = stored_documents(path)
    acknowledged = Path(acks).read_text().split()
    assert acknowledged and set(acknowledged) <= set(recorded)
    assert len(recorded) == len(set(recorded))  # re-running after a kill stored nothing twice
    assert positions(path) == list(range(1, len(positions(path)) + 1))
    with Ledger.open(str(path)) as ledger:
        report = ledger.verify()
        assert report.ok, report.problems
        # No document partly visible: each one's mutations are all in the read models.
        for document, count in ledger.conn.execute("SELECT document, mutation_count FROM documents"):
            assert ledger.conn.execute("SELECT COUNT(*) FROM mutations WHERE document=?", (document,)).fetchone()[0] == count


# ---------------------------------------------------------------- concurrent writers


def _writer(path: str, writer: int, count: int) -> None:
    with Ledger.open(path, write=True) as ledger:
        for i in range(count):
            doc = {"document": {"id": f"w{writer}-{i}", "kind": "begrotingswijziging", "title": "W", "date": "2025-01-01"},
                   "mutations": [{"kind": "wijziging", "line": "alpha/personeel", "amounts": {2025: f"{writer + 1}.{i:02d}"}},
                                 {"kind": "verschuiving", "legs": [
                                     {"line": "alpha/personeel", "amounts": {2025: "-1"}},
                                     {"line": f"w{writer}/l{i % 3}", "amounts": {2025: "1"}}]}]}
            if i < 3:  # the first documents of every writer extend the chart: the ledger aggregate clashes
                doc["chart"] = [{"unit": f"w{writer}", "name": f"Writer {writer}",
                                 "lines": [{"id": f"l{i}", "name": f"L{i}", "type": "lasten", "cost": "materieel"}]}]
            result = ledger.record_input(document_from_mapping(doc, doc["document"]["id"]))
            assert result.position and not result.already_recorded


@pytest.fixture
def shared_ledger(tmp_path) -> Path:
    path = tmp_path / "l.db"
    with Ledger.init(str(path), "T", 2025, 2027) as ledger:
        ledger.record_input(document_from_mapping({
            "document": {"id": "base", "kind": "opening", "title": "Basis", "date": "2025-01-01"},
            "chart": [{"unit": "alpha", "name": "Alpha", "lines": [{"id": "personeel", "name": "P", "type": "lasten", "cost": "personeel"}]}],
            "mutations": [{"kind": "wijziging", "line": "alpha/personeel", "amounts": {2025: "1000000"}, "structural": True}],
        }, "base"))
    return path


@pytest.mark.slow
def test_concurrent_writers_record_everything_exactly_once(shared_ledger):
    problems = [r for r in race(_writer, [(str(shared_ledger), w, DOCS_PER_WRITER) for w in range(WRITERS)]) if r]
    assert not problems, problems[:3]
    recorded = stored_documents(shared_ledger)
    assert len(recorded) == 1 + WRITERS * DOCS_PER_WRITER
    assert len(set(recorded)) == len(recorded)
    assert positions(shared_ledger) == list(range(1, len(positions(shared_ledger)) + 1))
    with Ledger.open(str(shared_ledger)) as ledger:
        assert ledger.verify().ok  # read models equal a replay of the events
        total = ledger.views.figure("alpha/personeel", 2025)
        expected = 100_000_000 + sum(w * 100 + i for w in range(WRITERS) for i in range(DOCS_PER_WRITER))
        assert total == expected


def _racer(path: str, doc: dict) -> str:
    try:
        with Ledger.open(path, write=True) as ledger:
            r = ledger.record_input(document_from_mapping(doc, doc["document"]["id"]))
            return "recorded" if not r.already_recorded else "already"
    except InvalidInput as e:
        return "refused: " + str(e)


def _race(path: Path, docs: list[dict]) -> list[str]:
    return sorted(race(_racer, [(str(path), d) for d in docs], timeout=60))


def test_two_writers_racing_for_one_document_id_one_wins_the_other_is_told(shared_ledger):
    doc = lambda amount: {"document": {"id": "same", "kind": "begrotingswijziging", "title": "S", "date": "2025-01-01"},  # noqa: E731
                          "mutations": [{"kind": "wijziging", "line": "alpha/personeel", "amounts": {2025: amount}}]}
    outcomes = _race(shared_ledger, [doc("1"), doc("2")])
    assert outcomes[0] == "recorded" and "already recorded with different content" in outcomes[1]
    assert stored_documents(shared_ledger).count("same") == 1


def test_two_writers_adding_the_same_line_both_land_and_the_line_exists_once(shared_ledger):
    docs = [{"document": {"id": f"d{i}", "kind": "begrotingswijziging", "title": "S", "date": "2025-01-01"},
             "chart": [{"unit": "beta", "name": "Beta", "lines": [{"id": "x", "name": "X", "type": "baten"}]}],
             "mutations": [{"kind": "wijziging", "line": "beta/x", "amounts": {2025: "5"}}]} for i in range(2)]
    assert _race(shared_ledger, docs) == ["recorded", "recorded"]
    with Ledger.open(str(shared_ledger)) as ledger:
        assert ledger.conn.execute("SELECT COUNT(*) FROM lines WHERE unit='beta'").fetchone()[0] == 1
        assert ledger.views.figure("beta/x", 2025) == 1000
        assert ledger.verify().ok


# ---------------------------------------------------------------- replay determinism


def _views(ledger: Ledger) -> list[str]:
    return list(ledger.conn.iterdump())


def _set_tz(name: str) -> None:
    os.environ["TZ"] = name
    time.tzset()


@pytest.mark.slow
@settings(max_examples=REPLAY_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), mutations=st.integers(1, 25), adopt=st.booleans())
def test_replay_is_deterministic_for_random_histories(seed, mutations, adopt):
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "l.db")
        gen = HistoryGenerator(seed, range(2024, 2027), units=2, lines=3)
        with Ledger.init(path, "T", 2024, 2026) as ledger:
            ledger.record_input(document_from_mapping(gen.opening(), "opening"))
            for doc in gen.documents(mutations, sizes=(1, 12)):
                ledger.record_input(document_from_mapping(doc, "doc"))
                if adopt:
                    ledger.adopt(doc["document"]["id"], date(2024, 6, 1), "B")
            incremental = _views(ledger)
            ledger.rebuild()
            once = _views(ledger)
            ledger.rebuild()
            assert _views(ledger) == once == incremental
            original = os.environ.get("TZ", "UTC")
            try:
                _set_tz("Europe/Amsterdam")
                ledger.rebuild()
                assert _views(ledger) == once
                _set_tz("UTC")
                ledger.rebuild()
                assert _views(ledger) == once
            finally:
                _set_tz(original)
            # Every shift leaves the saldo as it was in every year, and no amount is anything but an integer.
            assert ledger.conn.execute(
                "SELECT COUNT(*) FROM (SELECT e.position, e.seq, e.year, "
                "SUM(CASE WHEN l.type = 'baten' THEN -e.amount_cents ELSE e.amount_cents END) s FROM effects e "
                "JOIN mutations m USING (position, seq) JOIN lines l ON l.unit = e.unit AND l.line = e.line "
                "WHERE m.kind='verschuiving' GROUP BY 1, 2, 3) WHERE s != 0"
            ).fetchone()[0] == 0
            for table, column in (("effects", "amount_cents"), ("figures", "amount_cents"),
                                  ("figures", "adopted_cents"), ("mutations", "net_cents")):
                assert {t for (t,) in ledger.conn.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")} <= {"integer"}
        with sqlite3.connect(path) as conn:
            for (state,) in conn.execute("SELECT state FROM stored_events"):
                json.loads(state, parse_float=lambda text: pytest.fail(f"a float in a stored event: {text}"))
