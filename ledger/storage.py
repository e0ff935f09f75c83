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

import os
import sqlite3
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, unquote, urlsplit

from ledger.errors import StorageError

LOCK_TIMEOUT_S = 30
CHAIN_TABLE = "event_chain"


def is_permission_error(e: BaseException) -> bool:
    return "permission denied" in str(e).lower() or "insufficientprivilege" in type(e).__name__.lower()


def is_lock_error(e: BaseException) -> bool:
    from eventsourcing.persistence import OperationalError  # a writer's question: the library is loaded

    return isinstance(e, (sqlite3.OperationalError, OperationalError)) and "locked" in str(e).lower()


def sqlite_uri(path: Path, **params: str) -> str:
    """A ``file:`` URI for SQLite naming exactly ``path``: ``?``, ``#`` and ``%`` in a folder
    name are part of the name, not a query, fragment or escape."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.resolve()), safe='/')}" + (f"?{query}" if query else "")


class Location(ABC):
    """A ledger's address as the user gave it: a file path or a postgresql:// URL, and
    what the rest of the program asks of the store behind it."""

    kind = "sqlite"
    contiguous = True  # positions run 1, 2, 3, … without gaps

    @staticmethod
    def parse(text: str) -> Location:
        if text.startswith(("postgresql://", "postgres://")):
            return PostgresLocation(text)
        return SqliteLocation(Path(text).expanduser())

    @abstractmethod
    def prepare(self) -> None:
        """Make room for a new ledger (its folder)."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether a ledger's event store is there."""

    @abstractmethod
    def event_store_env(self, *, readonly: bool = False, create: bool = False) -> dict[str, str]:
        """The eventsourcing library's settings for this store."""

    @abstractmethod
    def views_connection(self) -> Any:
        """A connection to the read models."""

    @abstractmethod
    def chain_rows(self, start: int = 1) -> Iterator[tuple]:
        """(position, originator id, version, topic, state, chain link) from ``start`` on."""

    @abstractmethod
    def writer_lock(self, timeout_s: float) -> AbstractContextManager[None]:
        """Held for the whole of one write; StorageError after ``timeout_s``."""

    @abstractmethod
    def chain_link(self, position: int, conn: Any = None) -> str | None:
        """The stored chain link at ``position``; read through ``conn`` (a driver connection
        to the event store, left open) when given, else through a connection of its own."""

    @abstractmethod
    def orphan_links(self) -> int | None:
        """The first position whose chain link has no event, or None."""

    def stamps(self) -> dict[int, tuple[str | None, datetime | None]] | None:
        """What the database stamped on each event (who, when), or None where it keeps no stamps."""
        return None


@dataclass(frozen=True)
class SqliteLocation(Location):
    path: Path

    @property
    def stored_views_path(self) -> Path:
        """Where the read models live beside the ledger."""
        return self.path.with_name(self.path.stem + ".views.db")

    @property
    def views_path(self) -> Path:
        """The read models in use: beside the ledger, or — for an archived copy on a medium
        that cannot be written — a scratch file replayed from the events, since the kept
        ones may be missing or stale and could not be caught up in place."""
        if not self.read_only_medium():
            return self.stored_views_path
        return _scratch_views(self.path)

    def read_only_medium(self) -> bool:
        """True when neither the ledger's folder nor the ledger (or its read models) may be
        written: a read-only mount, a write-protected archive folder or a ``chmod 444`` file."""
        if not self.path.exists():
            return False
        views = self.stored_views_path
        return (not os.access(self.path.parent, os.W_OK) or not os.access(self.path, os.W_OK)
                or (views.exists() and not os.access(views, os.W_OK)))

    def _read_uri(self) -> str:
        # Without write access SQLite cannot make the WAL index (-shm) it needs to read a
        # WAL-mode file; immutable=1 reads the file as it stands, with no locks at all.
        if self.read_only_medium():
            return sqlite_uri(self.path, mode="ro", immutable="1")
        return sqlite_uri(self.path, mode="ro")

    def read_connection(self) -> sqlite3.Connection:
        """The event store opened for reading, with SQLite alone."""
        return sqlite3.connect(self._read_uri(), uri=True)

    def prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        return self.path.exists()

    def event_store_env(self, *, readonly: bool = False, create: bool = False) -> dict[str, str]:
        if not readonly and self.read_only_medium():
            raise StorageError("it is on a read-only medium: it can be read (show, verify, digest, sql), "
                               "not written")
        return {
            "PERSISTENCE_MODULE": "ledger.sqlitestore:Factory",
            "SQLITE_DBNAME": self._read_uri() if readonly else sqlite_uri(self.path),
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
            "CREATE_TABLE": "n" if readonly else "y",
        }

    def views_connection(self) -> Any:
        from projections.db import connect_sqlite

        return connect_sqlite(self.views_path)

    def chain_rows(self, start: int = 1) -> Iterator[tuple]:
        conn = self.read_connection()
        try:
            yield from conn.execute(
                "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, c.sha256 "
                f"FROM stored_events e LEFT JOIN {CHAIN_TABLE} c ON c.position = e.rowid "
                "WHERE e.rowid >= ? ORDER BY e.rowid", (start,)
            )
        finally:
            conn.close()

    @contextmanager
    def writer_lock(self, timeout_s: float) -> Iterator[None]:
        """An exclusive lock on ``<ledger>.lock`` for the whole of one write: the SQLite file's
        own lock cannot be held while the library's recorder takes it again to save."""
        import fcntl

        path = self.path.with_name(self.path.name + ".lock")
        with open(path, "a+b") as f:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StorageError(f"{self}: another writer held the ledger for {int(timeout_s)} s; "
                                           "nothing was recorded, try again") from None
                    time.sleep(0.002)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def chain_link(self, position: int, conn: Any = None) -> str | None:
        own = conn is None
        conn = self.read_connection() if own else conn
        try:
            row = conn.execute(f"SELECT sha256 FROM {CHAIN_TABLE} WHERE position = ?", (position,)).fetchone()
            return row[0] if row else None
        finally:
            if own:
                conn.close()

    def orphan_links(self) -> int | None:
        conn = self.read_connection()
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


_SCRATCH: dict[Path, Path] = {}


def _scratch_views(ledger: Path) -> Path:
    """One scratch read-model file per read-only ledger and process, removed at exit."""
    import atexit
    import shutil
    import tempfile

    key = ledger.resolve()
    if key not in _SCRATCH:
        folder = Path(tempfile.mkdtemp(prefix="begroting-views-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SCRATCH[key] = folder / (ledger.stem + ".views.db")
    return _SCRATCH[key]


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

    def chain_rows(self, start: int = 1) -> Iterator[tuple]:
        with self.connect() as conn, conn.transaction():
            cursor = conn.cursor(name="chain")  # server-side: the ledger may be large
            cursor.execute(
                f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, c.sha256 "
                f"FROM {self.EVENTS_TABLE} e LEFT JOIN {CHAIN_TABLE} c ON c.position = e.notification_id "
                "WHERE e.notification_id >= %s ORDER BY e.notification_id", (start,)
            )
            for row in cursor:
                yield row[0], row[1], row[2], row[3], bytes(row[4]), row[5]

    @contextmanager
    def writer_lock(self, timeout_s: float) -> Iterator[None]:
        """A session-level advisory lock, held on a connection of its own for the whole of
        one write (the recorder's transaction-level lock has another key)."""
        from psycopg.errors import QueryCanceled

        with self.connect() as conn:
            conn.execute(f"SET statement_timeout = '{int(timeout_s)}s'")
            try:
                conn.execute("SELECT pg_advisory_lock(hashtext('begroting_writer'))")
            except QueryCanceled:
                raise StorageError(f"{self}: another writer held the ledger for {int(timeout_s)} s; "
                                   "nothing was recorded, try again") from None
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext('begroting_writer'))")

    def chain_link(self, position: int, conn: Any = None) -> str | None:
        if conn is not None:
            row = conn.execute(f"SELECT sha256 FROM {CHAIN_TABLE} WHERE position = %s", (position,)).fetchone()
            return row[0] if row else None
        with self.connect() as own:
            return self.chain_link(position, own)

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
            yield from cursor

    def orphan_links(self) -> int | None:
        with self.connect() as conn:
            return conn.execute(
                f"SELECT MIN(position) FROM {CHAIN_TABLE} c WHERE NOT EXISTS "
                f"(SELECT 1 FROM {self.EVENTS_TABLE} e WHERE e.notification_id = c.position)"
            ).fetchone()[0]

    def stamps(self) -> dict[int, tuple[str | None, datetime | None]]:
        """What the database itself stamped on each event: who inserted it and when."""
        return {position: (who, when) for position, who, when in self.event_stamps()}

    def __str__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"postgresql://{who}{self.host}:{self.port}/{self.dbname}"


def __getattr__(name: str) -> Any:
    """``HeadMoved`` and ``check_head`` live in ``ledger.heads`` (they need the eventsourcing library,
    which opening a ledger to read does not load); still importable from here."""
    if name in ("HeadMoved", "check_head"):
        from ledger import heads

        return getattr(heads, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
