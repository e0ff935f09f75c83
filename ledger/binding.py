"""Which events the read models reflect, and whether they are what those events give.

Read models are derived data that anyone who can write their file (or schema) can change.
They are bound to the chain links at position 1 and at their head when they are built or
caught up, so that read models of another ledger, or ones built from events this store no
longer holds, are told apart from a prefix of this very event store. ``verify`` goes further:
it replays the events into fresh read models and compares every table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from ledger.storage import Location
from projections import schema
from projections.db import connect_sqlite, table_rows

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


def replay_differences(conn: Any, recorder: Any, mapper: Any, until: int,
                       progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Replay the events up to ``until`` into fresh read models and name every table in which
    the kept read models (``conn``) differ."""
    from projections.projector import Projector  # the event models: only a replay needs them

    fresh = connect_sqlite(Path(":memory:"))
    try:
        replay = Projector(fresh, recorder, mapper)
        try:
            replay.replay(progress, until=until)
        except Exception as e:  # an event that no longer projects
            return [f"position {replay.position() + 1}: cannot be replayed ({type(e).__name__}: {e})"]
        return [f"read model {table} differs from a replay of the events ({kept} kept rows vs {replayed} replayed)"
                for table, kept, replayed in _differences(conn, fresh)]
    finally:
        fresh.close()


def _differences(kept: Any, fresh: Any) -> Iterator[tuple[str, int, int]]:
    for table in schema.TABLES:
        if table == "binding":  # not a read model: which events the kept ones reflect
            continue
        try:
            a = table_rows(kept, table)
        except Exception:  # a table gone missing from the kept read models
            yield table, 0, -1
            continue
        b = table_rows(fresh, table)
        if a != b:
            yield table, len(a), len(b)
