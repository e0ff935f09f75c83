"""The light open of a question (ledger.reading): a command that only reads caught-up read models
loads neither the eventsourcing library nor the events' pydantic models, and says exactly what
the full open says; read models that lag, were forged, or are of another ledger or an earlier
schema are not read that way, but opened in full, with the very messages they always had."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.parsing import read_document
from ledger.reading import open_caught_up
from tests.conftest import Cli
from tests.test_core import VOORJAARSNOTA

HEAVY = ("eventsourcing", "pydantic", "sqlite_utils", "numpy", "events.models", "ledger.application")
QUESTIONS = [
    ("show", "--json"),
    ("show", "--as-of", "kb-2025", "--json"),
    ("explain", "alpha/personeel", "--year", "2025", "--json"),
    ("history", "--kind", "verschuiving", "--json"),
    ("document", "vjn-2025", "--json"),
    ("diff", "kb-2025", "vjn-2025", "--json"),
    ("balance", "--year", "2025", "--json"),
]

# Runs `begroting` as its own process and says, on its last line of stderr, which of HEAVY it loaded.
_PROBE = """
import atexit, sys
heavy = {heavy!r}
atexit.register(lambda: sys.stderr.write("\\nloaded: " + ",".join(
    h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules)) + "\\n"))
sys.argv = ["begroting", *sys.argv[1:]]
from cli.main import main
main()
"""


def _process(bg: Cli, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), "--ledger", str(bg.ledger), *args],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120,
                          env={**os.environ, "COLUMNS": "250"})
    *rest, last = done.stderr.rstrip("\n").split("\n")
    assert last.startswith("loaded: "), done.stderr
    done.stderr = "\n".join(rest).strip("\n") + ("\n" if rest and "".join(rest).strip() else "")
    return done, [m for m in last[len("loaded: "):].split(",") if m]


def _full(bg: Cli, monkeypatch: pytest.MonkeyPatch, *args: str):
    """The command as it was before the light open: the ledger opened in full."""
    with monkeypatch.context() as m:
        m.setattr("ledger.reading.open_caught_up", lambda text: None)
        return bg(*args, ok=False)


@pytest.fixture
def cycle(kaderbrief: Cli) -> Cli:
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    return kaderbrief


def _views(bg: Cli, sql: str, params: tuple = ()) -> None:
    """Change the read models behind the program's back."""
    if bg.backend == "sqlite":
        with sqlite3.connect(Path(bg.ledger).with_name("ledger.views.db")) as conn:
            conn.execute(sql, params)
        conn.close()
        return
    import psycopg

    with psycopg.connect(str(bg.ledger), autocommit=True) as conn:
        conn.execute("SET search_path TO begroting_views")
        conn.execute(sql.replace("?", "%s"), params)


def _head(bg: Cli) -> int:
    with Ledger.open(str(bg.ledger)) as ledger:
        return ledger.app.recorder.max_notification_id()


def test_questions_on_caught_up_read_models_load_no_event_library_and_answer_as_before(cycle: Cli, monkeypatch):
    for args in QUESTIONS:
        light, loaded = _process(cycle, *args)
        assert light.returncode == 0, light.stderr
        assert loaded == [], f"{args}: loaded {loaded}"
        full = _full(cycle, monkeypatch, *args)
        assert (light.stdout, light.stderr) == (full.stdout, full.stderr), args
    # People's tables too (rich), byte for byte.
    light, loaded = _process(cycle, "show", "--year", "2025")
    assert loaded == [] and light.stdout == _full(cycle, monkeypatch, "show", "--year", "2025").stdout


def test_a_question_that_is_refused_is_refused_in_the_same_words(cycle: Cli, monkeypatch):
    for args in (("show", "--as-of", "nope"), ("explain", "alpha/nope", "--year", "2025"),
                 ("history", "--kind", "verschuivng"), ("document", "nope"), ("show", "--year", "1999")):
        light, loaded = _process(cycle, *args)
        full = _full(cycle, monkeypatch, *args)
        assert loaded == [] and light.returncode == full.exit_code == 1
        assert (light.stdout, light.stderr) == (full.stdout, full.stderr), args


def test_read_models_behind_the_events_are_caught_up_by_the_full_open(cycle: Cli):
    with Ledger.open(str(cycle.ledger), write=True) as ledger:
        ledger.record_input(read_document(cycle.write("nj.yaml", """
            document: {id: nj-2025, kind: najaarsnota, title: Najaarsnota, date: 2025-10-01}
            mutations: [{kind: wijziging, line: alpha/personeel, amounts: {2025: 5}, reason: nj}]
            """)), catch_up=False)
    assert open_caught_up(str(cycle.ledger)) is None  # behind: not read without catching up
    done, loaded = _process(cycle, "show", "--json")
    assert done.returncode == 0 and "eventsourcing" in loaded
    assert cycle.line(json.loads(done.stdout), "alpha/personeel")["2025"] == "940005.00"
    done, loaded = _process(cycle, "show", "--json")  # caught up now: the light open again
    assert loaded == [] and cycle.line(json.loads(done.stdout), "alpha/personeel")["2025"] == "940005.00"


def test_read_models_bound_to_another_chain_are_rebuilt_not_read(cycle: Cli):
    _views(cycle, "UPDATE binding SET sha256 = ? WHERE name = 'first'", ("0" * 64,))
    assert open_caught_up(str(cycle.ledger)) is None
    done, loaded = _process(cycle, "show", "--json")
    assert done.returncode == 0 and "eventsourcing" in loaded
    assert "note: the read models beside this ledger were not bound to its events" in done.stderr
    assert open_caught_up(str(cycle.ledger)) is not None  # rebuilt and bound again


def test_read_models_whose_head_is_not_this_event_are_refused_as_before(cycle: Cli, monkeypatch):
    head = _head(cycle)
    _views(cycle, "UPDATE binding SET sha256 = ? WHERE name = 'head'", ("f" * 64,))
    assert open_caught_up(str(cycle.ledger)) is None
    done, loaded = _process(cycle, "show", "--json")
    assert done.returncode == 1 and done.stdout == "" and "eventsourcing" in loaded
    assert done.stderr == (f"error: the read models do not reflect this event store (the event at position {head} "
                           "is not the one they were built from); run `begroting verify`, then `begroting rebuild`\n")
    full = _full(cycle, monkeypatch, "show", "--json")
    assert (full.exit_code, full.stdout, full.stderr) == (1, "", done.stderr)


def test_read_models_ahead_of_the_events_are_refused_as_before(cycle: Cli):
    head = _head(cycle)
    _views(cycle, "UPDATE tracking SET position = ? WHERE name = 'views'", (head + 1,))
    assert open_caught_up(str(cycle.ledger)) is None
    done, _ = _process(cycle, "history", "--json")
    assert done.returncode == 1 and done.stderr == (
        f"error: the read models do not reflect this event store (they hold events up to position {head + 1}, "
        f"the event store ends at {head}); run `begroting verify`, then `begroting rebuild`\n")


def test_read_models_of_an_earlier_schema_are_rebuilt_not_read(cycle: Cli):
    _views(cycle, "UPDATE ledger SET value = '1' WHERE key = 'schema_version'")
    assert open_caught_up(str(cycle.ledger)) is None
    done, loaded = _process(cycle, "document", "vjn-2025", "--json")
    assert done.returncode == 0 and "eventsourcing" in loaded and "made by an earlier version" in done.stderr
    assert json.loads(done.stdout)["document"] == "vjn-2025"
    assert open_caught_up(str(cycle.ledger)) is not None


def test_a_missing_read_model_table_is_made_by_the_full_open(cycle: Cli):
    _views(cycle, "DROP TABLE split_effects")
    assert open_caught_up(str(cycle.ledger)) is None
    assert _process(cycle, "show", "--json")[0].returncode == 0
    assert open_caught_up(str(cycle.ledger)) is not None


def test_no_ledger_is_said_as_before(tmp_path, monkeypatch):
    bg = Cli(tmp_path / "none.db", tmp_path)
    done, _ = _process(bg, "show")
    assert done.returncode == 1 and done.stderr == _full(bg, monkeypatch, "show").stderr
    assert "no ledger at" in done.stderr and not (tmp_path / "none.views.db").exists()
