"""Moving a ledger: `export --format json` then `import` into an empty ledger (SQLite or
PostgreSQL) stores the very same events at the same positions, so the digest an auditor
kept still verifies; a bad or tampered file records nothing, and neither does a failed import."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import CHART, Cli, FreshDatabase
from tests.test_core import VOORJAARSNOTA


def _source(tmp_path: Path, address) -> Cli:
    bg = Cli(address, tmp_path)
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    bg.record("vjn.yaml", VOORJAARSNOTA)
    bg("extend", "--to", "2028")
    return bg


def _events(bg: Cli) -> int:
    if bg.backend == "sqlite" and not Path(bg.ledger).exists():
        return 0
    try:
        return bg.event_count()
    except sqlite3.OperationalError:  # a file with no event store in it
        return 0


@pytest.fixture
def databases():
    made: list[FreshDatabase] = []

    def make() -> str:
        made.append(FreshDatabase())
        return made[-1].url

    yield make
    for db in made:
        db.drop()


@pytest.mark.parametrize("route", ["sqlite->sqlite", "sqlite->postgresql", "postgresql->sqlite"])
def test_a_moved_ledger_keeps_its_digest_and_its_figures(tmp_path: Path, databases, route: str):
    source_kind, target_kind = route.split("->")
    # A ledger with a history, and the digest an auditor kept of it.
    source = _source(tmp_path, databases() if source_kind == "postgresql" else tmp_path / "old.db")
    kept = source("digest").stdout.strip()
    path = tmp_path / "history.json"
    source("export", "--format", "json", str(path))
    assert json.loads(path.read_text())["history"]["format"] == "begroting-history/2"
    # Moved into an empty ledger elsewhere.
    target = Cli(databases() if target_kind == "postgresql" else tmp_path / "new.db", tmp_path)
    assert "Imported" in target("import", str(path)).stdout
    # Same chain head, the kept digest verifies, same figures and history.
    assert target("digest").stdout.strip() == kept
    assert "ledger extends the digest" in target("verify", "--digest", kept).stdout
    assert target.json("show") == source.json("show")
    assert target.json("history") == source.json("history")
    # And the moved ledger goes on as any other.
    target("adopt", "vjn-2025", "--decision", "AB 1-7-2025", "--date", "2025-07-01")
    target("verify")


def test_an_import_into_a_ledger_that_holds_events_is_refused(tmp_path: Path):
    source = _source(tmp_path, tmp_path / "old.db")
    path = tmp_path / "history.json"
    source("export", str(path))
    target = Cli(tmp_path / "busy.db", tmp_path)
    target("init", "--organisation", "Ander", "--years", "2025-2027")
    before = target.event_count()
    result = target("import", str(path), ok=False)
    assert result.exit_code == 1 and "error:" in result.output and "already" in result.output
    assert target.event_count() == before


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _retopic(h: dict) -> None:
    h["stored_events"][1]["topic"] = "begroting:NoSuchEvent"


def _twice(h: dict) -> None:
    """The second event again at the end, with a correctly recomputed link: only the
    event store's identity (originator, version) can tell."""
    from ledger.integrity import link_hash

    events = h["stored_events"]
    copy = dict(events[1], position=len(events) + 1)
    state = base64.b64decode(copy["state"])
    copy["sha256"] = link_hash(events[-1]["sha256"], copy["position"], copy["originator_id"],
                               copy["originator_version"], copy["topic"], state)
    events.append(copy)


# Each takes the exported file's "history" mapping and spoils it.
MALFORMED = {
    "wrong format tag": lambda h: h.update(format="begroting-history/9"),
    "a state byte flipped": lambda h: h["stored_events"][2].update(state=_flip(h["stored_events"][2]["state"])),
    "a chain link altered": lambda h: h["stored_events"][1].update(sha256="0" * 64),
    "a position gap": lambda h: [e.update(position=e["position"] + 1) for e in h["stored_events"][2:]],
    "a duplicate position": lambda h: h["stored_events"][2].update(position=2),
    "an unknown topic": _retopic,
    "a missing field": lambda h: h["stored_events"][1].pop("originator_version"),
    "events not a list": lambda h: h.update(stored_events={"1": "x"}),
    "an event not a mapping": lambda h: h["stored_events"].__setitem__(1, "event"),
    "non-base64 state": lambda h: h["stored_events"][1].update(state="not base64!"),
    "a state that is not an event": lambda h: h["stored_events"][0].update(state=base64.b64encode(b"{}").decode()),
    "a bad originator id": lambda h: h["stored_events"][0].update(originator_id="nobody"),
    "a version that is text": lambda h: h["stored_events"][0].update(originator_version="1"),
    "no events at all": lambda h: h.update(stored_events=[]),
    "an event stored twice": _twice,
    "a topic that is not text": lambda h: h["stored_events"][1].update(topic=["begroting:LedgerOpened"]),
    "an event dropped from the end": lambda h: h["stored_events"].pop(0),
}


@pytest.mark.parametrize("what", [*MALFORMED, "truncated JSON", "not JSON at all"])
def test_a_malformed_history_file_is_refused_in_one_line_and_records_nothing(tmp_path: Path, what: str):
    source = _source(tmp_path, tmp_path / "old.db")
    path = tmp_path / "history.json"
    source("export", str(path))
    if what == "truncated JSON":
        path.write_text(path.read_text()[: len(path.read_text()) // 2])
    elif what == "not JSON at all":
        path.write_bytes(b"\xff\xfe PK\x03\x04")
    else:
        data = json.loads(path.read_text())
        MALFORMED[what](data["history"])
        path.write_text(json.dumps(data))
    target = Cli(tmp_path / "new.db", tmp_path)
    result = target("import", str(path), ok=False)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}"), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert _events(target) == 0


# Run in a child process that SIGKILLs itself once every event is inserted and the chain
# links are about to follow: no rollback, no cleanup, just a dead writer mid-transaction.
KILLED_HALF_WAY = """
import os, signal, sys
from ledger import rawhistory
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
rawhistory._insert_links = die
from cli.main import cli
cli(sys.argv[1:], prog_name="begroting")
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_import_killed_half_way_through_the_write_leaves_no_events(tmp_path: Path, databases, kind: str):
    import signal
    import subprocess
    import sys

    source = _source(tmp_path, tmp_path / "old.db")
    path = tmp_path / "history.json"
    source("export", str(path))
    target = Cli(databases() if kind == "postgresql" else tmp_path / "new.db", tmp_path)
    # The import is killed after writing the events, before it commits.
    child = subprocess.run([sys.executable, "-c", KILLED_HALF_WAY, "--ledger", str(target.ledger), "import", str(path)],
                           cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert _events(target) == 0
    # The ledger can then be imported for real, and is the same ledger.
    target("import", str(path))
    assert target("digest").stdout == source("digest").stdout


def test_a_version_1_export_still_imports_by_recording_again(tmp_path: Path):
    source = _source(tmp_path, tmp_path / "old.db")
    path = tmp_path / "history.json"
    source("export", str(path))
    data = json.loads(path.read_text())
    data["history"]["format"] = "begroting-history/1"
    del data["history"]["stored_events"]
    path.write_text(json.dumps(data))
    target = Cli(tmp_path / "new.db", tmp_path)
    target("import", str(path))
    assert target.json("show") == source.json("show")


def test_postgresql_actor_and_recorded_at_columns_move_with_the_events(tmp_path: Path):
    import uuid

    import psycopg

    from tests.conftest import PG_SERVER

    # A shared ledger whose database stamps who stored each event, and when: a controller records.
    made = [FreshDatabase(), FreshDatabase()]
    source = Cli(made[0].url, tmp_path)
    source("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    controller, auditor = f"ctl_{uuid.uuid4().hex[:8]}", f"aud_{uuid.uuid4().hex[:8]}"
    try:
        source("roles", "setup", "--controller", controller, "--auditor", auditor)
        db = str(source.ledger).rsplit("/", 1)[1]
        Cli(f"postgresql://{controller}@{PG_SERVER.split('@', 1)[1]}/{db}", tmp_path).record("kb.yaml", CHART)
        path = tmp_path / "history.json"
        source("export", str(path))
        stored = json.loads(path.read_text())["history"]["stored_events"]
        assert {e["actor"] for e in stored[2:]} == {controller}  # after LedgerOpened and RulesInForce
        # Into another PostgreSQL ledger: the stamps are the source's, not the importer's.
        target = Cli(made[1].url, tmp_path)
        target("import", str(path))
        with psycopg.connect(str(target.ledger)) as conn:
            actors = [r[0] for r in conn.execute("SELECT actor FROM begroting_events ORDER BY notification_id")]
        assert actors[:2] == ["postgres", "postgres"] and set(actors[2:]) == {controller}
        assert target("digest").stdout == source("digest").stdout
        assert target("verify").exit_code == 0
        # And into a plain SQLite file, which has no such columns: the same digest.
        plain = Cli(tmp_path / "plain.db", tmp_path)
        plain("import", str(path))
        assert plain("digest").stdout == source("digest").stdout
    finally:
        for db in made:
            db.drop()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for name in (controller, auditor):
                conn.execute(f"DROP ROLE IF EXISTS {name}")

