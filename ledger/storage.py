"""Where a ledger lives and how its event store is opened.

A ledger is a SQLite file (default) holding the eventsourcing library's ``stored_events``
table plus ``event_chain``, the tamper-evident hash of every event. The read models
live beside it in ``<name>.views.db``. Writers take the lock up front (BEGIN IMMEDIATE)
so that concurrent writers queue instead of failing with "database is locked"; the
file runs in WAL mode with synchronous=FULL so that a committed document survives a crash.

A ``postgresql://`` address puts the ledger in a PostgreSQL database instead, through the
library's own PostgreSQL persistence (``begroting_events`` and ``event_chain``), with the
read models in the schema ``begroting_views`` of the same database.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import unquote, urlsplit

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

from ledger.integrity import GENESIS, new_links

LOCK_TIMEOUT_S = 30
CHAIN_TABLE = "event_chain"


class Location:
    """A ledger's address as the user gave it: a file path or a postgresql:// URL."""

    kind = "sqlite"

    @staticmethod
    def parse(text: str) -> Location:
        if text.startswith(("postgresql://", "postgres://")):
            return PostgresLocation(text)
        return SqliteLocation(Path(text).expanduser())


@dataclass(frozen=True)
class SqliteLocation(Location):
    path: Path

    @property
    def views_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".views.db")

    def prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        return self.path.exists()

    def event_store_env(self, *, readonly: bool = False, create: bool = False) -> dict[str, str]:
        db = str(self.path.resolve())
        return {
            "PERSISTENCE_MODULE": "ledger.storage:Factory",
            "SQLITE_DBNAME": f"file:{db}?mode=ro" if readonly else f"file:{db}",
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
            "CREATE_TABLE": "n" if readonly else "y",
        }

    def views_connection(self) -> Any:
        from projections.db import connect_sqlite

        return connect_sqlite(self.views_path)

    def chain_rows(self) -> Iterator[tuple]:
        conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True)
        try:
            yield from conn.execute(
                "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, c.sha256 "
                f"FROM stored_events e LEFT JOIN {CHAIN_TABLE} c ON c.position = e.rowid ORDER BY e.rowid"
            )
        finally:
            conn.close()

    def orphan_links(self) -> int | None:
        conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True)
        try:
            return conn.execute(
                f"SELECT MIN(position) FROM {CHAIN_TABLE} WHERE position NOT IN (SELECT rowid FROM stored_events)"
            ).fetchone()[0]
        finally:
            conn.close()

    # SQLite positions come without gaps: a missing one means a deleted event.
    contiguous = True

    def __str__(self) -> str:
        return str(self.path)


class PostgresLocation(Location):
    kind = "postgresql"
    contiguous = False  # a rolled-back insert leaves a gap in PostgreSQL's sequence
    EVENTS_TABLE = "begroting_events"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 5432
        self.dbname = unquote(parts.path.lstrip("/")) or self.user

    @property
    def conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, dbname=self.dbname, user=self.user or None,
                             password=self.password or None)

    def prepare(self) -> None:
        pass

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)

    def exists(self) -> bool:
        with self.connect() as conn:
            return conn.execute("SELECT to_regclass(%s)", (f"public.{self.EVENTS_TABLE}",)).fetchone()[0] is not None

    def event_store_env(self, *, readonly: bool = False, create: bool = False) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "ledger.pgstore:PostgresFactory",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "2",
            # Only `init` creates tables: the other roles on a shared ledger may not.
            "CREATE_TABLE": "y" if create else "n",
        }

    def views_connection(self) -> Any:
        from projections.db import PgConnection

        return PgConnection(self.conninfo)

    def chain_rows(self) -> Iterator[tuple]:
        with self.connect() as conn, conn.transaction():
            cursor = conn.cursor(name="chain")  # server-side: the ledger may be large
            cursor.execute(
                f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, c.sha256 "
                f"FROM {self.EVENTS_TABLE} e LEFT JOIN {CHAIN_TABLE} c ON c.position = e.notification_id "
                "ORDER BY e.notification_id"
            )
            for row in cursor:
                yield row[0], row[1], row[2], row[3], bytes(row[4]), row[5]

    def event_stamps(self) -> Iterator[tuple[int, str, datetime]]:
        """(position, actor, recorded_at) of every event in position order, as the database
        stamped them (see ledger.pgstore.stamp_statements), for `verify` to hold against the
        actor and timestamp inside each event. Events stored before the stamping existed have
        None for actor and recorded_at."""
        from psycopg.sql import SQL, Identifier

        with self.connect() as conn, conn.transaction():
            cursor = conn.cursor(name="stamps")  # server-side: the ledger may be large
            cursor.execute(SQL("SELECT notification_id, actor, recorded_at FROM {0} ORDER BY notification_id")
                           .format(Identifier(self.EVENTS_TABLE)))
            for position, who, when in cursor:
                yield position, who, when

    def orphan_links(self) -> int | None:
        with self.connect() as conn:
            return conn.execute(
                f"SELECT MIN(position) FROM {CHAIN_TABLE} c WHERE NOT EXISTS "
                f"(SELECT 1 FROM {self.EVENTS_TABLE} e WHERE e.notification_id = c.position)"
            ).fetchone()[0]

    def __str__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"postgresql://{who}{self.host}:{self.port}/{self.dbname}"


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

