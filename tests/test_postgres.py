"""PostgreSQL as the shared ledger: roles enforced by the database, concurrent writers with a
projector following the log, rebuild equality, tampering, and connection problems.
(Every CLI test of the other files runs on PostgreSQL too, through the `backend` fixture.)"""

from __future__ import annotations

import multiprocessing
import os
import random
import uuid
from datetime import date

import psycopg
import pytest

from ledger.application import Ledger
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from projections import schema
from projections.db import table_rows
from tests.conftest import PG_SERVER, Cli, FreshDatabase, postgres_or_skip

fork = multiprocessing.get_context("fork")


@pytest.fixture
def database():
    db = FreshDatabase()
    yield db
    db.drop()


def url_for(db: FreshDatabase, user: str) -> str:
    return f"postgresql://{user}@{PG_SERVER.split('@', 1)[1]}/{db.name}"


def all_rows(ledger: Ledger) -> dict[str, list[tuple]]:
    return {t: table_rows(ledger.conn, t) for t in schema.TABLES}


KB = """
document: {id: kb, kind: kaderbrief, title: KB, date: 2025-01-01}
chart: [{unit: a, name: A, lines: [{id: p, name: P, type: lasten, cost: personeel}]}]
mutations: [{kind: wijziging, line: a/p, amounts: {2025: 1000}, structural: true}]
"""


def test_roles_are_enforced_by_the_database(database, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    controller, auditor = f"ctl_{suffix}", f"aud_{suffix}"
    owner = Cli(database.url, tmp_path)
    owner("init", "--organisation", "T", "--years", "2025-2026")
    owner.record("kb.yaml", KB)
    try:
        out = owner("roles", "setup", "--controller", controller, "--auditor", auditor).stdout
        assert f'GRANT SELECT, INSERT ON "begroting_events", "event_chain" TO "{controller}"' in out
        ctl = Cli(url_for(database, controller), tmp_path)
        aud = Cli(url_for(database, auditor), tmp_path)

        # The controller records and adopts; the actor on the event is the database user.
        ctl.record("vjn.yaml", """
            document: {id: vjn, kind: voorjaarsnota, title: VJN, date: 2025-05-01}
            mutations: [{kind: wijziging, line: a/p, amounts: {2025: 50}}]
            """)
        ctl("adopt", "vjn", "--decision", "AB")
        actors = {r["document"]: r["actor"] for r in owner.json("history") if r["seq"]}
        assert actors == {"kb": "postgres", "vjn": controller}

        # The auditor reads, explains and verifies, and may not record.
        before = owner.event_count()
        result = aud("record", aud.write("bw.yaml", """
            document: {id: bw, kind: begrotingswijziging, title: BW, date: 2025-06-01}
            mutations: [{kind: wijziging, line: a/p, amounts: {2025: 1}}]
            """), ok=False)
        assert result.exit_code == 1 and "not permitted" in result.stderr and "Traceback" not in result.output
        assert owner.event_count() == before
        assert aud("adopt", "kb", "--decision", "x", ok=False).exit_code == 1
        assert aud.json("show")["lines"] == owner.json("show")["lines"]
        assert aud.json("explain", "a/p", "--year", "2025")["amount"] == "1050.00"
        assert "hash chain intact" in aud("verify").stdout

        # Nobody but the owner changes a stored event, not even the controller.
        with psycopg.connect(url_for(database, controller), autocommit=True) as conn:
            for statement in ("UPDATE begroting_events SET topic = 'x'", "DELETE FROM begroting_events",
                              "TRUNCATE begroting_events", "UPDATE event_chain SET sha256 = 'x'",
                              "DELETE FROM event_chain"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        assert owner.event_count() == before
    finally:
        database.drop()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for role in (controller, auditor):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def _pg_writer(url: str, writer: int, count: int, start, errors) -> None:
    try:
        start.wait()
        with Ledger.open(url, write=True) as ledger:
            for i in range(count):
                doc = {"document": {"id": f"w{writer}-{i}", "kind": "begrotingswijziging", "title": "W", "date": "2025-01-01"},
                       "mutations": [{"kind": "wijziging", "line": "a/p", "amounts": {2025: f"{writer + 1}.{i:02d}"}}]}
                if i < 2:
                    doc["chart"] = [{"unit": f"w{writer}", "name": f"W{writer}",
                                     "lines": [{"id": f"l{i}", "name": "L", "type": "baten"}]}]
                ledger.record_input(document_from_mapping(doc, doc["document"]["id"]), catch_up=False)
    except BaseException as e:
        errors.put(f"writer {writer}: {type(e).__name__}: {e}")
    errors.close()
    errors.join_thread()
    os._exit(0)


def _follower(url: str, stop, seen) -> None:
    # Catches up again and again while the writers write: it must never skip an event.
    with Ledger.open(url) as ledger:
        while not stop.is_set():
            ledger.catch_up()
        ledger.catch_up()
        seen.put(ledger.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    seen.close()
    seen.join_thread()
    os._exit(0)


@pytest.mark.slow
def test_concurrent_writers_on_postgresql_with_a_projector_following_the_log(database, tmp_path):
    Cli(database.url, tmp_path)("init", "--organisation", "T", "--years", "2025-2026")
    Cli(database.url, tmp_path).record("kb.yaml", KB)
    writers, per_writer = 8, 50
    start, stop, errors, seen = fork.Event(), fork.Event(), fork.Queue(), fork.Queue()
    follower = fork.Process(target=_follower, args=(database.url, stop, seen))
    follower.start()
    procs = [fork.Process(target=_pg_writer, args=(database.url, w, per_writer, start, errors)) for w in range(writers)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=300)
    stop.set()
    follower.join(timeout=120)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert not problems, problems[:3]
    assert seen.get(timeout=10) == 1 + writers * per_writer  # the follower missed nothing
    with psycopg.connect(database.url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT notification_id FROM begroting_events WHERE topic = 'begroting:DocumentRecorded' ORDER BY notification_id")]
        assert len(ids) == 1 + writers * per_writer
        # The database numbers events itself: contiguous, in commit order, whoever writes.
        every = [r[0] for r in conn.execute("SELECT notification_id FROM begroting_events ORDER BY 1")]
        assert every == list(range(1, len(every) + 1))
        assert conn.execute("SELECT COUNT(DISTINCT originator_id) FROM begroting_events "
                            "WHERE topic = 'begroting:DocumentRecorded'").fetchone()[0] == len(ids)
    with Ledger.open(database.url) as ledger:
        report = ledger.verify()
        assert report.ok, report.problems  # chain in commit order, read models equal a replay
        expected = 100_000 + sum((w + 1) * 100 + i for w in range(writers) for i in range(per_writer))
        assert ledger.views.figure("a/p", 2025) == expected


def test_rebuild_on_postgresql_gives_identical_read_models(database):
    gen = HistoryGenerator(3, range(2024, 2028))
    rng = random.Random(3)
    with Ledger.init(database.url, "T", 2024, 2027) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
        for doc in gen.documents(150, sizes=(5, 40)):
            ledger.record_input(document_from_mapping(doc, "doc"))
            if rng.random() < 0.5:
                ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "B")
        ledger.extend(2028)
        before = all_rows(ledger)
        assert before["effects"]
        ledger.rebuild()
        assert all_rows(ledger) == before


def test_verify_on_postgresql_catches_an_edited_event(database, tmp_path):
    bg = Cli(database.url, tmp_path)
    bg("init", "--organisation", "T", "--years", "2025-2026")
    bg.record("kb.yaml", KB)
    digest = bg("digest").stdout.strip()
    with psycopg.connect(database.url, autocommit=True) as conn:
        conn.execute("UPDATE begroting_events SET state = replace(state::text, '2', '3')::bytea "
                     "WHERE notification_id = (SELECT MAX(notification_id) FROM begroting_events)")
    result = bg("verify", "--digest", digest, ok=False)
    assert result.exit_code == 1 and "TAMPERED: position" in result.stderr


def test_verify_on_postgresql_names_each_forged_read_model_in_one_snapshot(database, tmp_path):
    """Compared in Python inside one REPEATABLE READ transaction: a table with a column dropped
    is named by its shape, and the rows of the rest are compared."""
    bg = Cli(database.url, tmp_path)
    bg("init", "--organisation", "T", "--years", "2025-2026")
    bg.record("kb.yaml", KB)
    with psycopg.connect(database.url, autocommit=True) as conn:
        count = {t: conn.execute(f"SELECT COUNT(*) FROM begroting_views.{t}").fetchone()[0]
                 for t in ("units", "figures", "log")}
        conn.execute("ALTER TABLE begroting_views.units DROP COLUMN ordinal")
        conn.execute("ALTER TABLE begroting_views.figures DROP CONSTRAINT figures_pkey")
        conn.execute("INSERT INTO begroting_views.figures SELECT * FROM begroting_views.figures LIMIT 1")
        conn.execute("UPDATE begroting_views.log SET actor = 'x' WHERE position = 1")
    with Ledger.open(database.url) as ledger:
        problems = ledger.verify().problems
    assert problems == [
        "read model units is not the table begroting makes (with other columns)",  # its shape (ledger.shape)
        f"read model log differs from a replay of the events ({count['log']} kept rows vs {count['log']} replayed)",
        f"read model figures differs from a replay of the events ({count['figures'] + 1} kept rows vs "
        f"{count['figures']} replayed)",
    ]


@pytest.mark.parametrize("address, message", [
    ("postgresql://postgres:s3cret@127.0.0.1:1/nothing", "cannot connect to postgresql://postgres@127.0.0.1:1/nothing"),
    ("postgresql://postgres:s3cret@127.0.0.1:5432/no_such_database_here", 'database "no_such_database_here" does not exist'),
    ("postgresql://no_such_role_here:s3cret@127.0.0.1:5432/postgres", 'role "no_such_role_here" does not exist'),
])
def test_connection_problems_give_one_clear_line_and_never_the_password(tmp_path, address, message):
    postgres_or_skip()
    bg = Cli(address, tmp_path)
    for args in (("show",), ("init", "--organisation", "T", "--years", "2025-2026")):
        result = bg(*args, ok=False)
        assert result.exit_code == 1, result.output
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "s3cret" not in result.output and "Traceback" not in result.output


def test_a_database_without_a_ledger_says_so(database, tmp_path):
    result = Cli(database.url, tmp_path)("show", ok=False)
    assert result.exit_code == 1 and "no ledger at" in result.stderr
