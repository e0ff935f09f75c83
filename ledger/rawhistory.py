"""A ledger's stored events byte for byte, and back (the ``stored_events`` of format 2).

Each stored event travels with its hash-chain link (and, from PostgreSQL, who stored it and
when). Importing checks the whole file first — positions, identities, links, decoding, the
ledger's rules by a fold as ``verify`` makes, the stamps — then writes every event and link
verbatim at its own position in one transaction, so the chain and any digest an auditor
kept carry over."""

from __future__ import annotations

import base64
import binascii
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from uuid import UUID

from events import EVENT_TYPES, DocumentRecorded, LedgerOpened, Mutation, document_aggregate_id
from ledger.application import Ledger
from ledger.errors import InvalidInput, LedgerExists, Problem
from ledger.integrity import GENESIS, ChainBroken, RuleBroken, link_hash, stamp_problem
from ledger.mapper import event_from_stored
from ledger.storage import CHAIN_TABLE, Location, PostgresLocation, SqliteLocation
from ledger.stored import StoredDocument, as_mutations, decode
from ledger.writemodel import WriteModel

# Columns another writer may have added to PostgreSQL's event table; carried when present.
PG_EXTRA_COLUMNS = ("actor", "recorded_at")


@dataclass(frozen=True)
class RawEvent:
    """One stored event exactly as the event store holds it, with its chain link."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    sha256: str
    extra: dict[str, Any]  # PostgreSQL's actor / recorded_at columns, when the table has them


def raw_events(location: Location) -> list[dict[str, Any]]:
    extra = _pg_extra(location) if isinstance(location, PostgresLocation) else {}
    return [
        {"position": position, "originator_id": str(UUID(str(oid))), "originator_version": version, "topic": topic,
         "state": base64.b64encode(bytes(state)).decode("ascii"), "sha256": link, **extra.get(position, {})}
        for position, oid, version, topic, state, link in location.chain_rows()
    ]


def _pg_columns(conn: Any, table: str) -> list[str]:
    rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = %s", (table,)).fetchall()
    present = {r[0] for r in rows}
    return [c for c in PG_EXTRA_COLUMNS if c in present]


def _pg_extra(location: PostgresLocation) -> dict[int, dict[str, Any]]:
    with location.connect() as conn:
        columns = _pg_columns(conn, location.EVENTS_TABLE)
        if not columns:
            return {}
        rows = conn.execute(f"SELECT notification_id, {', '.join(columns)} FROM {location.EVENTS_TABLE}").fetchall()
    return {r[0]: {c: (v.isoformat() if hasattr(v, "isoformat") else v) for c, v in zip(columns, r[1:], strict=True)}
            for r in rows}


def check_raw_events(data: Any, source: str) -> list[RawEvent]:
    """Every stored event of a format-2 file, checked whole before anything is written:
    positions 1..N in order, each state a known event, each link recomputed from the events.
    The first problem is refused, naming the file and the position and field."""

    def bad(field: str, message: str) -> InvalidInput:
        return InvalidInput([Problem(source, field, message)])

    rows = data.get("stored_events")
    if not isinstance(rows, list) or not rows:
        raise bad("stored_events", "want a list of the ledger's stored events (format 2), none found")
    previous, out = GENESIS, []
    seen: dict[tuple[UUID, int], int] = {}
    for n, row in enumerate(rows, start=1):
        where = f"stored_events[{n}]"
        if not isinstance(row, dict):
            raise bad(where, "is not an event (want a mapping)")
        missing = [k for k in ("position", "originator_id", "originator_version", "topic", "state", "sha256")
                   if k not in row]
        if missing:
            raise bad(f"{where}.{missing[0]}", "missing")
        if type(row["position"]) is not int or row["position"] != n:
            raise bad(f"{where}.position", f"is {row['position']!r}; positions must run 1, 2, 3, … without "
                                           f"gaps or repeats (want {n})")
        if type(row["originator_version"]) is not int or row["originator_version"] < 1:
            raise bad(f"{where}.originator_version", f"{row['originator_version']!r} is not a version (1, 2, …)")
        try:
            oid = UUID(str(row["originator_id"]))
        except ValueError:
            raise bad(f"{where}.originator_id", f"{row['originator_id']!r} is not a UUID") from None
        if (oid, row["originator_version"]) in seen:
            raise bad(f"{where}.originator_version", f"repeats the event at position {seen[oid, row['originator_version']]} "
                                                     "(same originator and version)")
        seen[oid, row["originator_version"]] = n
        if not isinstance(row["topic"], str) or row["topic"] not in EVENT_TYPES:
            raise bad(f"{where}.topic", f"{row['topic']!r} is not a begroting event type")
        try:
            state = base64.b64decode(str(row["state"]), validate=True)
        except (binascii.Error, ValueError):
            raise bad(f"{where}.state", "is not base64") from None
        try:
            event = event_from_stored(row["topic"], state, oid, row["originator_version"])
        except Exception as e:  # anything the mapper or the event's validation refuses
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise bad(f"{where}.state", f"does not decode as {row['topic']} ({first})") from None
        link = link_hash(previous, n, oid, row["originator_version"], row["topic"], state)
        if row["sha256"] != link:
            raise bad(f"{where}.sha256", "does not match the event and the link before it "
                                         "(the file was altered after export)")
        # Who recorded it and when, as the source's database stamped it (held against the event
        # as verify holds them); an event from a store that keeps no stamps (SQLite, or written
        # before stamping) is stamped as it says.
        who, when = row.get("actor"), row.get("recorded_at")
        if who is not None and not isinstance(who, str):
            raise bad(f"{where}.actor", "is not a name")
        try:
            when = datetime.fromisoformat(str(when)) if when is not None else None
        except ValueError:
            raise bad(f"{where}.recorded_at", f"{str(when)[:40]!r} is not a time") from None
        odd = stamp_problem(event, (who, when))
        if odd:
            raise bad(where, odd)
        extra = {"actor": who or event.actor, "recorded_at": when or event.timestamp}
        out.append(RawEvent(n, oid, row["originator_version"], row["topic"], state, link, extra))
        previous = link
    if EVENT_TYPES[out[0].topic] is not LedgerOpened:
        raise bad("stored_events[1].topic", "the first event must open the ledger (LedgerOpened)")
    _check_rules(out, bad)
    return out


def _check_rules(events: list[RawEvent], bad: Callable[[str, str], InvalidInput]) -> None:
    """Fold the events as ``verify`` would, before anything is written: a file whose events
    break the ledger's rules (by the rules in force where each was recorded) is refused."""
    states = {e.originator_id: e.state for e in events
              if e.topic == DocumentRecorded.TOPIC and e.originator_version == 1}

    def load_document(document: str) -> tuple[Mutation, ...] | None:
        state = states.get(document_aggregate_id(document))
        if state is None:
            return None
        recorded = decode(DocumentRecorded.TOPIC, state, document_aggregate_id(document), 1)
        assert isinstance(recorded, (DocumentRecorded, StoredDocument))
        return as_mutations(recorded.mutations)

    model = WriteModel(load_document)
    try:
        model.fold((e.position, e.originator_id, e.originator_version, e.topic, e.state, e.sha256) for e in events)
    except (ChainBroken, RuleBroken) as e:
        position, _, message = str(e).partition(": ")
        n = position.removeprefix("position ")
        raise bad(f"stored_events[{n}]", f"breaks the ledger's rules: {message}") from None
    if model.expecting is not None:
        raise bad(f"stored_events[{len(events)}]",
                  f"a chart extension for document {model.expecting!r} is not followed by that document")
    if model.unacknowledged:
        position, _, message = model.unacknowledged[0].partition(": ")
        raise bad(f"stored_events[{position.removeprefix('position ')}]",
                  f"breaks today's rules and nobody acknowledged it ({message}); acknowledge it in the source "
                  "ledger first (`begroting acknowledge`)")


def import_raw(text: str, data: dict[str, Any], source: str,
               progress: Callable[[int, int], None] | None = None) -> Ledger:
    """Create the ledger at ``text`` holding exactly the stored events of a format-2 file."""
    events = check_raw_events(data, source)
    location = Location.parse(text)
    location.prepare()
    # Open once to create the event store's tables (and refuse a ledger that has events).
    Ledger(location, create=True).close()
    if isinstance(location, PostgresLocation):
        _write_postgres(location, events)
    else:
        assert isinstance(location, SqliteLocation)
        _write_sqlite(location, events)
    ledger = Ledger.open(text, write=True)
    try:
        ledger.catch_up(progress)
    except BaseException:
        ledger.close()
        remove_new_sqlite_ledger(location)
        raise
    return ledger


def _refuse_busy(count: int, location: Location) -> None:
    if count:
        raise LedgerExists(f"{location} already holds a ledger ({count} events); import needs an empty one")


def _write_sqlite(location: SqliteLocation, events: list[RawEvent]) -> None:
    """Every event and link in one transaction on the event store file, at their positions."""
    conn = sqlite3.connect(str(location.path), isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            _refuse_busy(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0], location)
            # In SQLite the library stores a UUID as its 32 hex digits.
            conn.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                             "VALUES (?, ?, ?, ?, ?)",
                             [(e.position, e.originator_id.hex, e.originator_version, e.topic, e.state) for e in events])
            _insert_links(conn, f"INSERT INTO {CHAIN_TABLE} (position, sha256) VALUES (?, ?)", events)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def _write_postgres(location: PostgresLocation, events: list[RawEvent]) -> None:
    """Every event and link in one transaction, inserted in order into the empty table."""
    table = location.EVENTS_TABLE
    with location.connect() as conn, conn.transaction():
        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        _refuse_busy(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0], location)
        extra = [c for c in _pg_columns(conn, table) if all(c in e.extra for e in events)]
        columns = ["notification_id", "originator_id", "originator_version", "topic", "state", *extra]
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                [(e.position, e.originator_id, e.originator_version, e.topic, e.state, *(e.extra[c] for c in extra))
                 for e in events])
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), %s)", (len(events),))
        _insert_links(conn, f"INSERT INTO {CHAIN_TABLE} (position, sha256) VALUES (%s, %s)", events)


def _insert_links(conn: Any, statement: str, events: list[RawEvent]) -> None:
    if isinstance(conn, sqlite3.Connection):
        conn.executemany(statement, [(e.position, e.sha256) for e in events])
        return
    with conn.cursor() as cursor:
        cursor.executemany(statement, [(e.position, e.sha256) for e in events])


# ------------------------------------------------------------------ format 1: record again


def remove_new_sqlite_ledger(location: Location) -> None:
    """A format-1 import that failed half way leaves no ledger behind (SQLite: the files it made)."""
    if isinstance(location, SqliteLocation):
        for suffix in ("", "-wal", "-shm", ".lock"):
            location.path.with_name(location.path.name + suffix).unlink(missing_ok=True)
        for views in (location.stored_views_path, location.stored_views_path.with_name(
                location.stored_views_path.name + "-wal")):
            views.unlink(missing_ok=True)
