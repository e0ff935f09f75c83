"""Which events the read models reflect, and whether they are what those events give.

Read models are derived data that anyone who can write their file (or schema) can change.
They are bound to the chain links at position 1 and at their head when they are built or
caught up, so that read models of another ledger, or ones built from events this store no
longer holds, are told apart from a prefix of this very event store. ``verify`` goes further:
it replays the events into fresh read models and compares every table.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from ledger import shape
from ledger.errors import StorageError
from ledger.storage import Location
from projections import schema
from projections.db import connect_scratch, connect_sqlite, rollback, table_rows

ANOTHER_LEDGER = "another ledger"


def mismatch(location: Location, conn: Any, views_head: int, store_head: int,
             chain_link: Callable[[int], str | None] | None = None) -> str | None:
    """Why read models at ``views_head`` do not reflect a prefix of the event store at
    ``location`` (ending at ``store_head``), or None when they do; ``ANOTHER_LEDGER`` when
    they were never bound to this ledger. ``chain_link`` reads a stored chain link (default:
    ``location.chain_link``, a connection of its own each time)."""
    link = chain_link or location.chain_link
    if views_head == 0:
        return None
    rows = conn.execute("SELECT name, position, sha256 FROM binding")
    bound = {name: (position, sha) for name, position, sha in rows}
    first, head = bound.get("first"), bound.get("head")
    if first is None or head is None or head[0] > views_head or link(1) != first[1]:
        return ANOTHER_LEDGER
    if views_head > store_head:
        return f"they hold events up to position {views_head}, the event store ends at {store_head}"
    if link(head[0]) != head[1]:
        return f"the event at position {head[0]} is not the one they were built from"
    return None


def bind(location: Location, conn: Any, views_head: int) -> None:
    """Record the chain links the read models at ``views_head`` were built from."""
    if views_head == 0:
        return
    conn.execute("BEGIN")
    for name, position in (("first", 1), ("head", views_head)):
        conn.execute("INSERT OR REPLACE INTO binding (name, position, sha256) VALUES (?, ?, ?)",
                     (name, position, location.chain_link(position)))
    conn.execute("COMMIT")


def replay_differences(conn: Any, head: Callable[[], int], recorder: Any, mapper: Any,
                       progress: Callable[[int, int], None] | None = None) -> tuple[int, list[str]]:
    """Replay the events up to the position the kept read models (``conn``) reflect into fresh
    read models and name every table in which the kept ones differ; returns that position
    (read with ``head``) and the problems.

    The kept read models are read in one read transaction, begun before their position is
    read and ended after the last table is compared: SQLite in WAL mode and PostgreSQL under
    REPEATABLE READ keep a reader's snapshot while other processes write, so a catch-up that
    commits meanwhile is not seen at all (were the file taken out of WAL mode, the read lock
    would hold that writer off instead). Verify thus never compares rows of a later position
    with the replay (a false alarm), and every row it compares was in the read models at the
    very position it replayed to: a forged row there cannot be hidden by a later write."""
    if isinstance(conn, sqlite3.Connection) and scratch_folder() is not None:
        return _compared_in_sqlite(conn, head, recorder, mapper, progress)
    with _snapshot(conn):
        until = head()
        fresh = connect_sqlite(Path(":memory:"))
        try:
            problem = _replayed(fresh, recorder, mapper, until, progress)
            return until, [problem] if problem else _compared(conn, lambda tables: _differences(conn, fresh, tables))
        finally:
            fresh.close()


def _compared_in_sqlite(conn: sqlite3.Connection, head: Callable[[], int], recorder: Any, mapper: Any,
                        progress: Callable[[int, int], None] | None) -> tuple[int, list[str]]:
    with _replay_attached(conn, head) as (path, until):
        fresh = connect_scratch(path)
        try:
            problem = _replayed(fresh, recorder, mapper, until, progress)
        except sqlite3.OperationalError as e:  # the temporary folder full, say
            raise StorageError(f"cannot replay the events into {path.parent.parent} to compare the read models "
                               f"with: {e}") from None
        finally:
            fresh.close()
        return until, [problem] if problem else _compared(conn, lambda tables: _sql_differences(conn, tables))


@contextmanager
def _replay_attached(conn: sqlite3.Connection, head: Callable[[], int]) -> Iterator[tuple[Path, int]]:
    """A scratch file for the replay, attached to the kept read models as ``replayed``, and
    the position they reflect, read in the snapshot the comparison reads. The file is attached
    still empty, before the snapshot is taken: a database cannot be detached inside a
    transaction, and the attached one is first read, with its new tables, once the replay is
    written."""
    with _scratch_file() as path:
        conn.execute("ATTACH DATABASE ? AS replayed", (str(path),))
        try:
            with _snapshot(conn):
                yield path, head()
        finally:
            conn.execute("DETACH DATABASE replayed")




@contextmanager
def _snapshot(conn: Any) -> Iterator[None]:
    """One read transaction on the kept read models (its snapshot starts at the first read)."""
    conn.execute("BEGIN" if isinstance(conn, sqlite3.Connection) else "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    try:
        yield
    finally:
        rollback(conn)


def scratch_folder() -> Path | None:
    """The temporary folder a replay can be written to, or None when there is none (a
    read-only system): then the replay is held in memory and compared in Python."""
    try:
        return Path(tempfile.gettempdir())
    except OSError:
        return None


@contextmanager
def _scratch_file() -> Iterator[Path]:
    """A file in a folder of its own in the temporary folder (the ledger's may be a read-only
    medium), removed whatever happens. The folder is this user's alone: in a temporary folder
    shared with others, anyone could put a hot journal beside the file, which SQLite would
    roll back into it and so make the replay whatever they wish."""
    folder = tempfile.mkdtemp(prefix="begroting-replay-")
    try:
        yield Path(folder) / "replay.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _replayed(fresh: Any, recorder: Any, mapper: Any, until: int,
              progress: Callable[[int, int], None] | None) -> str | None:
    """Replay the events up to ``until`` into ``fresh``; why that failed, or None."""
    from projections.projector import Projector  # the event models: only a replay needs them

    replay = Projector(fresh, recorder, mapper)
    try:
        replay.replay(progress, until=until, indexes=False)
    except sqlite3.OperationalError:  # the replay's own database failed: nothing about the events
        raise
    except Exception as e:  # an event that no longer projects
        return f"position {replay.position() + 1}: cannot be replayed ({type(e).__name__}: {e})"
    return None


def _compared(conn: Any, differences: Callable[[list[str]], Iterator[tuple[str, int, int]]]) -> list[str]:
    """What is wrong with the shape of the kept read models (``ledger.shape``), then every
    other table whose rows ``differences`` finds differ from the replay."""
    problems, misshapen = shape.problems(conn)
    tables = [t for t in schema.TABLES if t != "binding" and t not in misshapen]  # binding: no read model
    return problems + [f"read model {table} differs from a replay of the events ({kept} kept rows vs {replayed} "
                       "replayed)" for table, kept, replayed in differences(tables)]


def _sql_differences(conn: sqlite3.Connection, tables: list[str]) -> Iterator[tuple[str, int, int]]:
    """The ``tables`` in which the kept read models (``main``) differ from the replay attached
    as ``replayed``, compared as multisets of rows, as the rows Python reads compare.

    Every replayed row is distinct (each table has a primary key, never NULL there), so
    equal row counts and no replayed row missing from the kept table mean the same rows, each
    once: were a kept row not among the replayed ones, or one there twice (a kept table made
    again without its key), some replayed row would have no kept row left. The kept-minus-
    replayed EXCEPT would find nothing more, at the cost of sorting every table once again.
    EXCEPT compares values by storage class (text '5' is not the integer 5, a blob is no
    text; an integer and a real of the same value are equal, as in Python, but a column
    declared otherwise is a shape problem) without the columns' affinities, and text under
    the collation of its left side: the replay's BINARY, whatever a forged kept table says."""
    for table in tables:
        replayed = _count(conn, "replayed", table)
        try:
            kept = _count(conn, "main", table)
        except sqlite3.Error:  # a table gone from the kept read models
            yield table, 0, replayed
            continue
        if kept != replayed or _missing_rows(conn, table):
            yield table, kept, replayed


def _count(conn: sqlite3.Connection, database: str, table: str) -> int:
    return conn.execute(f'SELECT COUNT(*) FROM {database}."{table}"').fetchone()[0]


def _missing_rows(conn: sqlite3.Connection, table: str) -> bool:
    """Whether some replayed row of ``table`` is not among the kept ones."""
    try:
        return bool(conn.execute(f'SELECT EXISTS (SELECT * FROM replayed."{table}" '
                                 f'EXCEPT SELECT * FROM main."{table}")').fetchone()[0])
    except sqlite3.OperationalError:  # the kept table was made again with other columns
        return True


def _differences(kept: Any, fresh: Any, tables: list[str]) -> Iterator[tuple[str, int, int]]:
    """The same, in Python: the kept read models on PostgreSQL (or with no temporary folder to
    replay into), the replay in memory."""
    for table in tables:
        a, b = _kept_rows(kept, table), table_rows(fresh, table)
        if a != b:
            yield table, 0 if a is None else len(a), len(b)


def _kept_rows(kept: Any, table: str) -> list[tuple] | None:
    """The kept rows of ``table``, or None when they cannot be read (a table gone, or made
    again with fewer columns); the savepoint keeps the snapshot's transaction usable after."""
    kept.execute("SAVEPOINT kept_rows")
    try:
        rows = table_rows(kept, table)
    except Exception:
        kept.execute("ROLLBACK TO SAVEPOINT kept_rows")
        return None
    kept.execute("RELEASE SAVEPOINT kept_rows")
    return rows
