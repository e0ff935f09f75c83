"""What a role on a shared PostgreSQL ledger cannot do, even with psql: choose an event's
position, actor or time; inject SQL through a database name; lose its rights to a rebuild;
or rebuild the read models it does not own."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from ledger.storage import PostgresLocation
from tests.conftest import PG_SERVER, Cli, FreshDatabase, postgres_or_skip
from tests.test_postgres import KB, url_for


class Shared:
    """A ledger made by the owner (postgres) with a controller and an auditor set up."""

    def __init__(self, database: FreshDatabase, folder):
        suffix = uuid.uuid4().hex[:8]
        self.database = database
        self.controller, self.auditor = f"ctl_{suffix}", f"aud_{suffix}"
        self.owner = Cli(database.url, folder)
        self.owner("init", "--organisation", "T", "--years", "2025-2026")
        self.owner.record("kb.yaml", KB)
        self.owner("roles", "setup", "--controller", self.controller, "--auditor", self.auditor)
        self.ctl = Cli(url_for(database, self.controller), folder)
        self.aud = Cli(url_for(database, self.auditor), folder)

    def drop(self) -> None:
        self.database.drop()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for role in (self.controller, self.auditor):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {0}").format(sql.Identifier(role)))


@pytest.fixture
def shared(tmp_path):
    db = FreshDatabase()
    ledger = Shared(db, tmp_path)
    yield ledger
    ledger.drop()


def _stamps(url: str) -> list[tuple]:
    return list(PostgresLocation(url).event_stamps())


def _insert_by_hand(url: str, state: dict, **columns) -> None:
    """What a controller could type into psql."""
    names = ["originator_id", "originator_version", "topic", "state", *columns]
    values = [uuid.uuid4(), 1, "begroting:DocumentRecorded", json.dumps(state).encode(), *columns.values()]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("INSERT INTO begroting_events ({0}) VALUES ({1})").format(
            sql.SQL(", ").join(map(sql.Identifier, names)), sql.SQL(", ").join(sql.Placeholder() * len(names))), values)


def test_the_database_stamps_position_actor_and_time(shared):
    url = url_for(shared.database, shared.controller)
    now = datetime.now(UTC)
    before = _stamps(shared.database.url)
    assert [p for p, _, _ in before] == list(range(1, len(before) + 1))
    assert {a for _, a, _ in before} == {"postgres"}

    # A chosen position and a chosen actor column are overwritten: the next position, the user.
    _insert_by_hand(url, {"actor": shared.controller, "timestamp": now.isoformat()},
                    notification_id=10**12, actor="postgres", recorded_at=now - timedelta(days=1))
    position, actor, recorded_at = _stamps(shared.database.url)[-1]
    assert (position, actor) == (len(before) + 1, shared.controller)
    assert abs(recorded_at - datetime.now(UTC)) < timedelta(minutes=1)

    # Another actor, or a backdated time, inside the event itself: refused.
    for state in ({"actor": "postgres", "timestamp": now.isoformat()},
                  {"actor": shared.controller, "timestamp": (now - timedelta(days=1)).isoformat()},
                  {"actor": shared.controller}):
        with pytest.raises(psycopg.Error, match="begroting"):
            _insert_by_hand(url, state)
    assert len(_stamps(shared.database.url)) == len(before) + 1


def test_a_controller_records_and_the_database_names_the_controller(shared):
    shared.ctl.record("vjn.yaml", """
        document: {id: vjn, kind: voorjaarsnota, title: VJN, date: 2025-05-01}
        mutations: [{kind: wijziging, line: a/p, amounts: {2025: 50}}]
        """)
    stamps = _stamps(shared.database.url)
    assert [p for p, _, _ in stamps] == list(range(1, len(stamps) + 1))
    assert stamps[-1][1] == shared.controller
    assert "hash chain intact" in shared.aud("verify").stdout


def test_rebuild_by_the_owner_keeps_every_role_working(shared):
    shared.owner("rebuild")
    assert shared.aud.json("show")["lines"] == shared.owner.json("show")["lines"]
    shared.ctl.record("vjn.yaml", """
        document: {id: vjn, kind: voorjaarsnota, title: VJN, date: 2025-05-01}
        mutations: [{kind: wijziging, line: a/p, amounts: {2025: 50}}]
        """)
    assert shared.aud.json("explain", "a/p", "--year", "2025")["amount"] == "1050.00"
    for who in (shared.owner, shared.ctl, shared.aud):
        assert who.json("sql", "select count(*) as n from documents") == [{"n": 2}]


def test_only_the_owner_may_rebuild(shared):
    for who in (shared.ctl, shared.aud):
        result = who("rebuild", ok=False)
        assert result.exit_code == 1
        assert result.stderr.strip() == "error: not permitted: only the owner may rebuild the shared read models"
    assert shared.aud.json("show")["lines"] == shared.owner.json("show")["lines"]


def test_sql_as_a_controller_cannot_write_either(shared):
    for attack in ("commit; delete from public.event_chain where position=3",
                   "insert into begroting_views.documents select * from begroting_views.documents",
                   "select * from public.begroting_events"):
        result = shared.ctl("sql", attack, ok=False)
        assert result.exit_code == 1 and result.stderr.startswith("error: sql:")
    assert "hash chain intact" in shared.aud("verify").stdout


def test_roles_setup_quotes_a_hostile_database_name(tmp_path):
    postgres_or_skip()
    suffix = uuid.uuid4().hex[:8]
    # With a database named like the start of the name, pasting it into SQL would run the rest.
    decoy, name = f"atk_{suffix}", f'atk_{suffix}" TO PUBLIC; CREATE ROLE x_{suffix} LOGIN; --'
    controller, auditor = f"ctl_{suffix}", f"aud_{suffix}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        for db in (decoy, name):
            conn.execute(sql.SQL("CREATE DATABASE {0}").format(sql.Identifier(db)))
    try:
        owner = Cli(f"{PG_SERVER}/{quote(name, safe='')}", tmp_path)
        owner("init", "--organisation", "T", "--years", "2025-2026")
        owner("roles", "setup", "--controller", controller, "--auditor", auditor)
        with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
            assert conn.execute("SELECT rolname FROM pg_roles WHERE rolname = %s", (f"x_{suffix}",)).fetchone() is None
        assert Cli(f"postgresql://{auditor}@{PG_SERVER.split('@', 1)[1]}/{quote(name, safe='')}", tmp_path).json("show")
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for db in (decoy, name):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {0} WITH (FORCE)").format(sql.Identifier(db)))
            for role in (controller, auditor, f"x_{suffix}"):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {0}").format(sql.Identifier(role)))


def test_init_on_a_ledger_from_before_the_stamps_adds_them(tmp_path):
    db = FreshDatabase()
    try:
        owner = Cli(db.url, tmp_path)
        owner("init", "--organisation", "T", "--years", "2025-2026")
        # As a ledger made before the database stamped events.
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER begroting_events_stamp ON begroting_events")
            conn.execute("ALTER TABLE begroting_events DROP COLUMN actor, DROP COLUMN recorded_at")
        result = owner("init", "--organisation", "T", "--years", "2025-2026", ok=False)
        assert result.exit_code == 1 and "already holds a ledger" in result.stderr
        owner.record("kb.yaml", KB)
        stamps = _stamps(db.url)
        assert stamps[0][1] is None and [p for p, _, _ in stamps] == list(range(1, len(stamps) + 1))
        assert stamps[-1][1] == "postgres"
        assert "hash chain intact" in owner("verify").stdout
    finally:
        db.drop()


def test_shared_read_models_of_an_earlier_version_stop_other_roles_with_a_clear_message(shared):
    """Read models made before figure_history: a role other than the owner may not add the
    table, and is told so in one line; the owner's next command rebuilds them, and every role
    then answers as the owner does (hostile review, stop 24)."""
    with psycopg.connect(shared.database.url, autocommit=True) as conn:
        conn.execute("DROP TABLE begroting_views.figure_history")
        conn.execute("UPDATE begroting_views.ledger SET value = '1' WHERE key = 'schema_version'")
    for who in (shared.aud, shared.ctl):
        result = who("show", "--as-of", "2", ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "the owner must open it once (any command) to rebuild them" in result.stderr
    rebuilt = shared.owner("show", "--json")
    assert "made by an earlier version" in rebuilt.stderr
    assert shared.aud.json("show", "--as-of", "3") == shared.owner.json("show", "--as-of", "3")
