"""Opening a ledger to ask its read models a question, without loading the event store's library.

A question (show, explain, history, document, diff …) is answered from the read models in a
few milliseconds; opening the ledger in full (``ledger.application.Ledger``) loads the
eventsourcing library and the events' pydantic models, which costs a whole process several
times that. When the read models need nothing done, that is not needed: ``open_caught_up``
reads the event store with the database driver alone and answers only when

- the event store is there and holds events, and the read models' tables (and indexes) are made;
- the read models are caught up: their tracked position is the store's head;
- they were built with today's schema (``projections.schema.SCHEMA_VERSION``);
- they are bound to this ledger's chain (``ledger.binding.mismatch``, the very check the full
  path runs: the stored chain links at position 1 and at their head).

Anything else — read models behind, of another ledger, of an earlier schema, forged, missing,
a store that cannot be read — gives None, and the caller opens the ledger in full, which does
what needs doing (catch up, rebuild) or says what is wrong, word for word as ever.
"""

from __future__ import annotations

from typing import Any

from ledger import binding
from ledger.errors import StorageError
from ledger.storage import Location, PostgresLocation, SqliteLocation
from projections import db
from projections.queries import Views
from projections.schema import SCHEMA_VERSION


def scrub(message: str, location: Location) -> str:
    """Never print a password, whatever the driver put in its message."""
    password = getattr(location, "password", "")
    return message.replace(password, "***") if password else message


def exists(location: Location) -> bool:
    """Whether the ledger's event store is there; StorageError when its server cannot be reached."""
    try:
        return location.exists()
    except Exception as e:  # server down, wrong password, missing database, …
        first = scrub(str(e), location).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StorageError(f"cannot connect to {location}: {first}") from None


class ReadModels:
    """A ledger's read models, caught up with its events and bound to them: what a question
    needs of an open ledger (``views`` and ``location``), as ``Ledger`` has them."""

    notices: tuple[str, ...] = ()  # nothing was done on opening, so there is nothing to tell
    views_stale = False

    def __init__(self, location: Location, conn: Any):
        self.location = location
        self.conn = conn
        self.views = Views(conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReadModels:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _store(location: Location) -> tuple[Any, str] | None:
    """A driver connection to the event store and the query of its head, as the library's
    recorder asks it."""
    if isinstance(location, SqliteLocation):
        return location.read_connection(), "SELECT MAX(rowid) FROM stored_events"
    if isinstance(location, PostgresLocation):
        return location.connect(), f"SELECT MAX(notification_id) FROM public.{location.EVENTS_TABLE}"
    return None


def open_caught_up(text: str) -> ReadModels | None:
    """The read models of the ledger at ``text`` when nothing needs doing before they answer
    (see the module's text), else None: then open the ledger in full. Raises only what opening
    it in full raises first (an address that cannot be read, a server that cannot be reached)."""
    location = Location.parse(text)
    if isinstance(location, SqliteLocation):
        # Missing, or (on a read-only medium) a scratch copy still to be replayed: the full path.
        if not location.exists() or not location.views_path.exists():
            return None
    elif not exists(location):
        return None
    store = conn = None
    try:
        found_store = _store(location)
        if found_store is None:
            return None
        store, head_sql = found_store
        store_head = store.execute(head_sql).fetchone()[0]
        conn = location.views_connection()
        if not store_head or not db.tables_made(conn):
            return None
        found = ReadModels(location, conn)
        views_head = found.views.head()
        if (views_head != store_head or found.views.schema_version() != SCHEMA_VERSION
                or binding.mismatch(location, conn, views_head, store_head,
                                    chain_link=lambda position: location.chain_link(position, store)) is not None):
            return None
        conn = None  # handed over to ``found``
        return found
    except Exception:  # a store or read models that cannot be read as expected
        return None  # the full path meets the same and says what it is, as ever
    finally:
        if conn is not None:
            conn.close()
        if store is not None:
            store.close()
