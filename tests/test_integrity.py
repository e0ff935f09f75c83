"""Tamper evidence: every way of altering the event store with plain SQL is caught by
`verify`, naming the first bad position; clean ledgers never raise a false alarm."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.integrity import link_hash
from ledger.mapper import event_from_stored
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from tests.histories import checkpoint, record_generated

POSITIONS = 50


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, str, int]:
    """A ledger of some 80 events, its digest and its length."""
    folder = tmp_path_factory.mktemp("clean")
    path = folder / "l.db"
    gen = HistoryGenerator(11, range(2024, 2028))
    with Ledger.init(str(path), "T", 2024, 2027) as ledger:
        record_generated(ledger, gen, 400, (3, 12))
        digest = ledger.digest()
        assert ledger.verify().ok
    checkpoint(path, folder / "l.views.db")
    n = int(digest.split(":")[0])
    assert n >= POSITIONS + 10
    return path, digest, n


def copy_of(clean: tuple[Path, str, int], folder: Path) -> Path:
    path = folder / "copy.db"
    for f in folder.glob("copy*"):
        f.unlink()
    shutil.copy(clean[0], path)
    shutil.copy(clean[0].with_name("l.views.db"), folder / "copy.views.db")
    return path


def row(conn: sqlite3.Connection, position: int) -> tuple:
    return conn.execute("SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid=?",
                        (position,)).fetchone()


def edit_digit(state: bytes, rng: random.Random) -> bytes:
    digits = [i for i, b in enumerate(state) if 48 <= b <= 57]
    i = rng.choice(digits)
    return state[:i] + bytes([48 + (state[i] - 48 + rng.randint(1, 9)) % 10]) + state[i + 1:]


def previous_link(conn: sqlite3.Connection, position: int) -> str:
    r = conn.execute("SELECT sha256 FROM event_chain WHERE position=?", (position - 1,)).fetchone()
    return r[0] if r else "0" * 64


def rehash_from(conn: sqlite3.Connection, start: int) -> None:
    previous = previous_link(conn, start)
    for position, oid, version, topic, state in conn.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE rowid >= ? ORDER BY rowid",
        (start,),
    ).fetchall():
        previous = link_hash(previous, position, oid, version, topic, state)
        conn.execute("UPDATE event_chain SET sha256=? WHERE position=?", (previous, position))


def tamper(kind: str, conn: sqlite3.Connection, p: int, n: int, rng: random.Random) -> None:
    if kind == "edit an amount":
        conn.execute("UPDATE stored_events SET state=? WHERE rowid=?", (edit_digit(row(conn, p)[3], rng), p))
    elif kind == "delete a row":
        conn.execute("DELETE FROM stored_events WHERE rowid=?", (p,))
    elif kind == "swap two rows":
        q = rng.choice([x for x in range(1, n + 1) if x != p])
        a, b = row(conn, p), row(conn, q)
        conn.execute("UPDATE stored_events SET originator_id='tmp', originator_version=-1 WHERE rowid=?", (p,))
        conn.execute("UPDATE stored_events SET originator_id=?, originator_version=?, topic=?, state=? WHERE rowid=?", (*a, q))
        conn.execute("UPDATE stored_events SET originator_id=?, originator_version=?, topic=?, state=? WHERE rowid=?", (*b, p))
    elif kind == "insert a row":
        oid, version, topic, state = row(conn, rng.randint(1, n))
        for position in range(n, p - 1, -1):
            conn.execute("UPDATE stored_events SET rowid=rowid+1 WHERE rowid=?", (position,))
        conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                     (p, oid, version + 1000, topic, state))
    elif kind == "truncate the tail":
        conn.execute("DELETE FROM stored_events WHERE rowid >= ?", (p,))
        conn.execute("DELETE FROM event_chain WHERE position >= ?", (p,))
    elif kind == "edit a row and recompute its own hash":
        oid, version, topic, state = row(conn, p)
        state = edit_digit(state, rng)
        conn.execute("UPDATE stored_events SET state=? WHERE rowid=?", (state, p))
        conn.execute("UPDATE event_chain SET sha256=? WHERE position=?",
                     (link_hash(previous_link(conn, p), p, oid, version, topic, state), p))
    elif kind == "rewrite the whole chain":
        conn.execute("UPDATE stored_events SET state=? WHERE rowid=?", (edit_digit(row(conn, p)[3], rng), p))
        rehash_from(conn, p)
    else:
        raise AssertionError(kind)


KINDS = ["edit an amount", "delete a row", "swap two rows", "insert a row", "truncate the tail",
         "edit a row and recompute its own hash", "rewrite the whole chain"]


@pytest.mark.parametrize("kind", KINDS)
def test_verify_detects_tampering_at_random_positions(clean, tmp_path, kind):
    rng = random.Random(kind)
    _, digest, n = clean
    positions = rng.sample(range(2, n + 1), POSITIONS)
    for p in positions:
        path = copy_of(clean, tmp_path)
        with sqlite3.connect(path) as conn:
            tamper(kind, conn, p, n, rng)
        with Ledger.open(str(path)) as ledger:
            # The last kind leaves a consistent chain: only the digest kept outside can tell.
            report = ledger.verify(digest if kind == "rewrite the whole chain" else None)
        assert not report.ok, f"{kind} at position {p} went unnoticed"
        assert report.problems[0].startswith("position "), report.problems
        first_bad = int(report.problems[0].split(":")[0].split()[1])
        if kind in ("edit an amount", "delete a row", "insert a row"):
            assert first_bad == p
        elif kind == "swap two rows":
            assert first_bad <= p


def test_verify_cli_names_the_first_bad_position_and_exits_1(clean, tmp_path):
    from tests.conftest import Cli

    path = copy_of(clean, tmp_path)
    bg = Cli(path, tmp_path)
    assert bg("verify").exit_code == 0
    with sqlite3.connect(path) as conn:
        tamper("edit an amount", conn, 7, clean[2], random.Random(1))
    result = bg("verify", ok=False)
    assert result.exit_code == 1 and "TAMPERED: position 7:" in result.stderr and "Traceback" not in result.output
    assert bg("verify", "--digest", "nonsense", ok=False).exit_code == 1


@pytest.mark.slow
def test_no_false_alarms_over_a_thousand_verifies_of_clean_ledgers(tmp_path):
    verifies = 0
    for seed in range(40):
        path = tmp_path / f"l{seed}.db"
        gen = HistoryGenerator(seed, range(2024, 2027), units=2, lines=3)
        with Ledger.init(str(path), "T", 2024, 2026) as ledger:
            ledger.record_input(document_from_mapping(gen.opening(), "opening"))
            digests = [ledger.digest()]
            for doc in gen.documents(24, sizes=(1, 1)):
                ledger.record_input(document_from_mapping(doc, "doc"))
                digests.append(ledger.digest())
                # Each clean state, against every digest it should still extend.
                report = ledger.verify(random.Random(seed).choice(digests))
                assert report.ok, report.problems
                verifies += 1
    assert verifies >= 960
    # …and the remaining few on a ledger reopened from disk.
    for seed in range(40):
        with Ledger.open(str(tmp_path / f"l{seed}.db")) as ledger:
            assert ledger.verify().ok
            verifies += 1
    assert verifies >= 1000


def test_digest_is_the_head_of_the_chain_and_moves_with_every_event(kaderbrief):
    first = kaderbrief("digest").stdout.strip()
    position, sha = first.split(":")
    assert int(position) == kaderbrief.event_count() and len(sha) == 64
    kaderbrief("adopt", "kb-2025", "--decision", "Bestuur 21-03-2024")  # already adopted: no event
    assert kaderbrief("digest").stdout.strip() == first
    kaderbrief.record("bw.yaml", """
        document: {id: bw, kind: begrotingswijziging, title: BW, date: 2025-01-01}
        mutations: [{kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}]
        """)
    later = kaderbrief("digest").stdout.strip()
    assert later != first
    assert "ledger extends the digest" in kaderbrief("verify", "--digest", first).stdout


def test_a_stored_v1_event_still_loads_through_its_upcaster():
    """Pinned bytes of events written before LedgerOpened gained `currency` (v2)."""
    fixtures = json.loads((Path(__file__).parent / "fixtures" / "events-v1.json").read_text())
    opened = fixtures[0]
    assert "currency" not in opened["state"] and "class_version" not in opened["state"]
    event = event_from_stored(opened["topic"], opened["state"].encode(), opened["originator_id"], 1)
    assert event.currency == "EUR" and event.organisation == "BIJ12" and (event.first_year, event.last_year) == (2024, 2027)
    chart = event_from_stored(fixtures[1]["topic"], fixtures[1]["state"].encode(), fixtures[1]["originator_id"], 2)
    assert chart.document == "opening-2024" and chart.units[0].name == "Expertiseteam Stikstof en Natura 2000"
