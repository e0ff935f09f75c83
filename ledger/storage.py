"""Where a ledger lives and how its event store is opened.

A ledger is a SQLite file (default) holding the eventsourcing library's ``stored_events``
table plus ``event_chain``, the tamper-evident hash of every event. The read models
live beside it in ``<name>.views.db``. Writers take the lock up front (BEGIN IMMEDIATE)
so that concurrent writers queue instead of failing with "database is locked"; the
file runs in WAL mode with synchronous=FULL so that a committed document survives a crash.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)

from ledger.integrity import GENESIS, link_hash

LOCK_TIMEOUT_S = 30
CHAIN_TABLE = "event_chain"


@dataclass(frozen=True)
class Location:
    """A ledger's address as the user gave it (a path, for now)."""

    path: Path

    @classmethod
    def parse(cls, text: str) -> Location:
        return cls(Path(text).expanduser())

    @property
    def views_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".views.db")

    def exists(self) -> bool:
        return self.path.exists()

    def event_store_env(self, *, readonly: bool = False) -> dict[str, str]:
        db = str(self.path.resolve())
        return {
            "PERSISTENCE_MODULE": "ledger.storage:Factory",
            "SQLITE_DBNAME": f"file:{db}?mode=ro" if readonly else f"file:{db}",
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
            "CREATE_TABLE": "n" if readonly else "y",
        }

    def __str__(self) -> str:
        return str(self.path)


class _ImmediateTransaction(SQLiteTransaction):
    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        return cursor


class _Connection(SQLiteConnection):
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with _ImmediateTransaction(self, commit=commit) as curs, curs:
            yield curs


class _Pool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        raw = super()._create_connection()._sqlite_conn
        raw.execute("PRAGMA synchronous=FULL")
        return _Connection(sqlite_conn=raw, max_age=self.max_age)


class _Datastore(SQLiteDatastore):
    def __init__(self, db_name: str, **kwargs: Any):
        super().__init__(db_name, **kwargs)
        self.pool = _Pool(db_name=db_name, lock_timeout=kwargs.get("lock_timeout"))


class ChainedRecorder(SQLiteApplicationRecorder):
    """Appends each event's chain link in the same transaction as the event."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY, sha256 TEXT NOT NULL)",
        ]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        c.execute(f"SELECT sha256 FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        previous = row[0] if row else GENESIS
        for position, s in zip(positions or [], stored_events):
            previous = link_hash(previous, position, s.originator_id, s.originator_version, s.topic, s.state)
            c.execute(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?)", (position, previous))
        return positions


class Factory(SQLiteFactory):
    application_recorder_class = ChainedRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        old = self.datastore
        self.datastore = _Datastore(
            db_name=old.pool.db_name,
            lock_timeout=old.pool.lock_timeout,
            single_row_tracking=old.single_row_tracking,
            originator_id_type=old.originator_id_type,
        )
        old.close()
