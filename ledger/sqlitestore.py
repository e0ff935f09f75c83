"""The event store in a SQLite file: the eventsourcing library's own SQLite persistence,
taking the write lock up front (``BEGIN IMMEDIATE``, so that concurrent writers queue
instead of failing with "database is locked"), with ``synchronous=FULL`` and the hash
chain appended in the same transaction as the events."""

from __future__ import annotations

from contextlib import contextmanager
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

from ledger.heads import check_head
from ledger.integrity import GENESIS, new_links
from ledger.storage import CHAIN_TABLE


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

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")  # under the write lock (BEGIN IMMEDIATE)
        check_head(c.fetchone()[0], kwargs)
        positions = super()._insert_events(c, stored_events, **kwargs)
        c.execute(f"SELECT sha256 FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?)",
                      new_links(row[0] if row else GENESIS, positions or [], stored_events))
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

