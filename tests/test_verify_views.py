"""`verify` compares the kept read models with a replay of the events: every way of changing
them with plain SQL on the file — a value, a row gone, added or twice, a value of another
storage class or compared under another collation, a table gone — is named, with its row
counts; and a catch-up by another process while verify runs is no false alarm."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Callable

import pytest

from ledger.application import Ledger
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from projections import schema


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A ledger of some 60 events whose read models equal a replay, checkpointed so that the
    two files alone are the whole ledger."""
    folder = tmp_path_factory.mktemp("clean")
    path = folder / "l.db"
    gen = HistoryGenerator(5, range(2024, 2027))
    with Ledger.init(str(path), "T", 2024, 2026) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
        for i, doc in enumerate(gen.documents(150, sizes=(3, 8))):
            ledger.record_input(document_from_mapping(doc, "doc"))
            if i % 2 == 0:
                ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "Besluit")
        assert ledger.verify().ok
    for f in (path, folder / "l.views.db"):
        with sqlite3.connect(f) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def ledger(clean: Path, tmp_path: Path) -> Path:
    shutil.copy(clean, tmp_path / "l.db")
    shutil.copy(clean.with_name("l.views.db"), tmp_path / "l.views.db")
    return tmp_path / "l.db"


def forge(path: Path, *statements: str) -> None:
    """Run ``statements`` on the read models beside ``path``, as anyone who can write the file."""
    with sqlite3.connect(path.with_name("l.views.db"), isolation_level=None) as conn:
        for statement in statements:
            conn.execute(statement)


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path.with_name("l.views.db")) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def problems(path: Path) -> list[str]:
    with Ledger.open(str(path)) as ledger:
        return ledger.verify().problems


def differs(table: str, kept: int, replayed: int) -> str:
    return f"read model {table} differs from a replay of the events ({kept} kept rows vs {replayed} replayed)"


def without_keys(table: str) -> list[str]:
    """Statements that make ``table`` again without its primary key (and without column types
    or collations): then nothing stops a row twice or a value of any storage class."""
    return [f"CREATE TABLE forged ({', '.join(schema.TABLES[table]['columns'])})",
            f"INSERT INTO forged SELECT * FROM {table}", f"DROP TABLE {table}", f"ALTER TABLE forged RENAME TO {table}"]


def a_row(table: str) -> str:
    """A condition picking one row of ``table`` (its first in key order)."""
    spec = schema.TABLES[table]
    pk = spec["pk"] if isinstance(spec["pk"], tuple) else (spec["pk"],)
    first = f"SELECT {', '.join(pk)} FROM {table} ORDER BY {', '.join(pk)} LIMIT 1"
    return f"({', '.join(pk)}) = ({first})" if len(pk) > 1 else f"{pk[0]} = ({first})"


# table, a column whose value is changed, and how: integer and text columns, tables keyed by an
# integer (rowid), by text, by several columns (WITHOUT ROWID)
CHANGED = [
    ("figures", "amount_cents", "amount_cents + 1"),
    ("effects", "amount_cents", "-amount_cents - 1"),
    ("log", "actor", "actor || 'x'"),
    ("documents", "title", "'Vervalst'"),
    ("mutations", "net_cents", "net_cents + 100"),
    ("units", "ordinal", "ordinal + 7"),
    ("tracking", "position", "position"),  # no change: the control
]


@pytest.mark.parametrize("table, column, value", CHANGED)
def test_a_changed_value_is_named(ledger: Path, table: str, column: str, value: str):
    n = count(ledger, table)
    forge(ledger, f"UPDATE {table} SET {column} = {value} WHERE {a_row(table)}")
    expected = [] if table == "tracking" else [differs(table, n, n)]
    assert problems(ledger) == expected


@pytest.mark.parametrize("table", ["figures", "figure_history", "log", "documents", "legs", "lines"])
def test_a_deleted_row_is_named(ledger: Path, table: str):
    n = count(ledger, table)
    forge(ledger, f"DELETE FROM {table} WHERE {a_row(table)}")
    assert problems(ledger) == [differs(table, n - 1, n)]


ADDED = {
    "figures": "INSERT INTO figures VALUES ('zz', 'zz', 2025, 100, 0, 1, 0, 0, 0)",
    "log": "INSERT INTO log VALUES (99999, '2025-01-01T00:00:00Z', 'DocumentRecorded', 'x', 'a')",
    "units": "INSERT INTO units VALUES ('zz', 'Vervalst', 3, 99)",
    "effects": "INSERT INTO effects SELECT position, seq, leg, unit, line, year + 10, amount_cents, source_year, "
               "since_position FROM effects WHERE {row}",
}


@pytest.mark.parametrize("table", sorted(ADDED))
def test_an_added_row_is_named(ledger: Path, table: str):
    n = count(ledger, table)
    forge(ledger, ADDED[table].format(row=a_row(table)))
    assert problems(ledger) == [differs(table, n + 1, n)]


@pytest.mark.parametrize("table", ["figures", "log", "documents", "effects", "legs"])
def test_a_row_twice_in_a_table_made_again_without_its_key_is_named(ledger: Path, table: str):
    n = count(ledger, table)
    forge(ledger, *without_keys(table), f"INSERT INTO {table} SELECT * FROM {table} WHERE {a_row(table)}")
    assert problems(ledger) == [differs(table, n + 1, n)]


@pytest.mark.parametrize("table, column, value", [
    ("figures", "amount_cents", "CAST(CAST(amount_cents AS TEXT) AS BLOB)"),  # a blob keeps its class anywhere
    ("documents", "title", "CAST(title AS BLOB)"),
    ("effects", "year", "CAST(CAST(year AS TEXT) AS BLOB)"),  # a key column of a table WITHOUT ROWID
])
def test_the_same_bytes_as_a_blob_are_named(ledger: Path, table: str, column: str, value: str):
    n = count(ledger, table)
    forge(ledger, f"UPDATE {table} SET {column} = {value} WHERE {a_row(table)}")
    assert problems(ledger) == [differs(table, n, n)]


@pytest.mark.parametrize("table, column, value", [
    ("figures", "amount_cents", "CAST(amount_cents AS TEXT)"),  # text '5' for the integer 5
    ("mutations", "seq", "CAST(seq AS TEXT)"),
    ("documents", "mutation_count", "CAST(mutation_count AS TEXT)"),
    ("log", "document", "CAST(document AS BLOB)"),
])
def test_a_value_of_another_storage_class_in_a_table_without_types_is_named(ledger: Path, table: str,
                                                                             column: str, value: str):
    n = count(ledger, table)
    forge(ledger, *without_keys(table), f"UPDATE {table} SET {column} = {value} WHERE {a_row(table)}")
    with sqlite3.connect(ledger.with_name("l.views.db")) as conn:
        kinds = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")}
    assert len(kinds - {"null"}) == 2  # the forgery took: two storage classes in one column
    assert problems(ledger) == [differs(table, n, n)]


def test_a_table_made_again_to_compare_text_without_case_is_named(ledger: Path):
    # Under NOCASE 'OPENING' equals 'opening': compared only that way, the change would pass.
    n = count(ledger, "log")
    forge(ledger, "CREATE TABLE forged (position INTEGER PRIMARY KEY, recorded_at TEXT, event TEXT, "
                  "document TEXT COLLATE NOCASE, actor TEXT COLLATE NOCASE)",
          "INSERT INTO forged SELECT * FROM log", "DROP TABLE log", "ALTER TABLE forged RENAME TO log",
          f"UPDATE log SET actor = upper(actor) WHERE {a_row('log')}")
    assert problems(ledger) == [differs("log", n, n)]


def test_a_table_gone_and_one_with_its_columns_in_another_order_are_named(ledger: Path):
    # Opening the ledger makes the missing table again, empty.
    n, events = count(ledger, "units"), count(ledger, "lifecycle")
    forge(ledger, "DROP TABLE lifecycle",
          "CREATE TABLE forged (unit TEXT PRIMARY KEY, name TEXT, ordinal INTEGER, position INTEGER)",
          "INSERT INTO forged (unit, name, position, ordinal) SELECT unit, name, position, ordinal FROM units",
          "DROP TABLE units", "ALTER TABLE forged RENAME TO units")
    assert problems(ledger) == [differs("units", n, n), differs("lifecycle", 0, events)]


def test_several_tables_forged_at_once_are_each_named(ledger: Path):
    figures, log = count(ledger, "figures"), count(ledger, "log")
    forge(ledger, f"DELETE FROM log WHERE {a_row('log')}",
          f"UPDATE figures SET adopted_cents = adopted_cents + 1 WHERE {a_row('figures')}")
    assert problems(ledger) == [differs("log", log - 1, log), differs("figures", figures, figures)]


def test_the_binding_is_no_read_model(ledger: Path):
    forge(ledger, "UPDATE binding SET sha256 = sha256 WHERE name = 'head'")
    assert problems(ledger) == []


@pytest.mark.parametrize("forged", [False, True])
def test_a_catch_up_by_another_process_while_verify_replays_is_no_false_alarm(ledger: Path, forged: bool):
    """Another `begroting` records a document (and catches the read models up) while verify
    replays: verify compares the read models as they were at the position it replayed to, and
    a forgery in them is still named, alone."""
    recorded: list[int] = []
    units = count(ledger, "units")
    if forged:
        forge(ledger, f"UPDATE units SET name = 'Vervalst' WHERE {a_row('units')}")

    def another_process_records() -> None:
        doc = {"document": {"id": "laat", "kind": "voorjaarsnota", "title": "Laat", "date": "2025-02-01"},
               "mutations": [{"kind": "wijziging", "line": first_line(ledger), "amounts": {2025: "5"}}]}
        with Ledger.open(str(ledger), write=True) as other:
            other.record_input(document_from_mapping(doc, "laat.yaml"))
            recorded.append(other.views.head())

    with Ledger.open(str(ledger)) as ledger_:
        before = ledger_.views.head()
        report = ledger_.verify(progress=once_replaying(another_process_records))
    assert recorded and recorded[0] > before  # the read models moved on while verify ran
    assert report.views_position == before
    assert report.problems == ([differs("units", units, units)] if forged else [])


def test_the_replay_leaves_no_file_behind_even_when_verify_is_stopped(ledger: Path, tmp_path: Path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    class Stopped(BaseException):  # as Ctrl-C stops it
        pass

    def stop() -> None:
        raise Stopped

    n = count(ledger, "log")
    forge(ledger, f"DELETE FROM log WHERE {a_row('log')}")
    with Ledger.open(str(ledger)) as ledger_:
        with pytest.raises(Stopped):
            ledger_.verify(progress=once_replaying(stop))
        assert list(scratch.iterdir()) == []
        # The snapshot was ended and the replay detached: the same ledger verifies again.
        assert ledger_.verify().problems == [differs("log", n - 1, n)]
    assert list(scratch.iterdir()) == []


def first_line(path: Path) -> str:
    with sqlite3.connect(path.with_name("l.views.db")) as conn:
        return "/".join(conn.execute("SELECT unit, line FROM lines ORDER BY unit, line LIMIT 1").fetchone())


def once_replaying(call: Callable[[], None]) -> Callable[[int, int], None]:
    """A progress callback that runs ``call`` once, at the first report of the replay (verify
    reports each position of the walk of the chain first, then the replay, batch by batch)."""
    last = [0]

    def progress(position: int, _total: int) -> None:
        if position <= last[0]:
            call()
            last[0] = -1
        elif last[0] >= 0:
            last[0] = position

    return progress


FULL = 'mount -t tmpfs -o size="$SIZE" tmpfs "$0" && TMPDIR="$0" exec "$@"'


@pytest.mark.slow
@pytest.mark.parametrize("size", ["64k", "160k"])  # full while making the tables, while replaying
def test_a_full_temporary_folder_is_a_storage_error_not_tampering(ledger: Path, tmp_path: Path, size: str):
    """The replay fills a file in the temporary folder; there, a tmpfs too small for it (made in
    a private mount namespace, so nothing outside the command sees it). It once said TAMPERED:
    position 1 cannot be replayed."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "small"
    folder.mkdir()
    command = [sys.executable, "-m", "cli.main", "--ledger", str(ledger), "verify"]
    try:
        done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", FULL, str(folder), *command],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
                              env={**os.environ, "COLUMNS": "250", "SIZE": size}, timeout=120)
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if "mount" in done.stderr and "TAMPERED" not in done.stdout + done.stderr:
        pytest.skip(f"no tmpfs mount here: {done.stderr.strip()}")
    assert done.returncode == 1 and "TAMPERED" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: cannot replay the events into {folder} to compare the read models "
                                  "with: database or disk is full"), done.stderr
    assert list(folder.iterdir()) == []  # the mount is gone with the command: the folder as it was
