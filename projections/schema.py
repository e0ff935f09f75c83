"""The read-model tables: a stable, documented schema (see docs/read-models.md) that
auditors may open with any SQLite tool. Everything here is rebuilt from events alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlite-utils (and numpy, which it loads) only when tables are made
    import sqlite_utils

SCHEMA_VERSION = 6  # 2: figure_history; 3: tables WITHOUT ROWID, documents.search_text; 4: no index on
# effects (year, …); 5: BBV classification (programmas, classifications); 6: structural parts of the
# figures, split_figures and split_figure_history, no index on split_effects (year)

TABLES: dict[str, dict] = {
    "tracking": dict(columns={"name": str, "position": int}, pk="name"),
    # The chain links the read models were built against (at position 1 and at their head):
    # proof that they reflect this ledger's events, checked whenever a ledger is opened.
    "binding": dict(columns={"name": str, "position": int, "sha256": str}, pk="name"),
    "ledger": dict(columns={"key": str, "value": str}, pk="key"),
    "horizon": dict(columns={"position": int, "first_year": int, "last_year": int}, pk="position"),
    "log": dict(
        columns={"position": int, "recorded_at": str, "event": str, "document": str, "actor": str},
        pk="position",
    ),
    "units": dict(columns={"unit": str, "name": str, "position": int, "ordinal": int}, pk="unit"),
    "lines": dict(
        columns={
            "unit": str, "line": str, "name": str, "type": str, "cost": str,
            "opening_balance_cents": int, "position": int, "ordinal": int,
        },
        pk=("unit", "line"),
    ),
    "documents": dict(
        columns={
            "document": str, "kind": str, "title": str, "date": str, "status": str, "decision": str,
            "position": int, "recorded_at": str, "actor": str, "source": str, "content_sha256": str,
            "mutation_count": int, "adopted_position": int, "adopted_date": str,
            "withdrawn_position": int, "withdrawn_date": str, "withdrawn_reason": str, "search_text": str,
        },
        pk="document",
    ),
    "lifecycle": dict(
        columns={
            "position": int, "document": str, "event": str, "date": str, "decision": str,
            "recorded_at": str, "actor": str,
        },
        pk="position",
    ),
    "mutations": dict(
        columns={
            "position": int, "seq": int, "document": str, "kind": str, "reason": str, "reference": str,
            "structural": int, "corrects_document": str, "corrects_seq": int, "lines": str,
            "years": str, "net_cents": int, "indexation": str, "document_kind": str, "date": str,
            "search_text": str,
        },
        pk=("position", "seq"),
    ),
    "legs": dict(
        columns={"position": int, "seq": int, "leg": int, "unit": str, "line": str, "amounts": str},
        pk=("position", "seq", "leg"),
    ),
    "effects": dict(
        columns={
            "position": int, "seq": int, "leg": int, "unit": str, "line": str, "year": int,
            "amount_cents": int, "source_year": int, "since_position": int,
        },
        pk=("position", "seq", "leg", "year"),
    ),
    "keys": dict(
        columns={"position": int, "key": str, "from_year": int, "source": str, "recorded_at": str},
        pk="position",
    ),
    "key_participants": dict(
        columns={"position": int, "seq": int, "key": str, "name": str, "percentage": str},
        pk=("position", "seq"),
    ),
    # What a key covers when it does not cover the whole te dekken: unit ids, unit/line addresses.
    "key_scopes": dict(columns={"position": int, "key": str, "scope": str}, pk=("position", "scope")),
    # How a leg falls to the participants when not by the key in force for its line: by the key
    # ``key``, or in the amounts of split_participants (expanded per year in split_effects).
    # A mutation's own split is written for each of its legs.
    "splits": dict(
        columns={"position": int, "seq": int, "leg": int, "key": str, "category": str},
        pk=("position", "seq", "leg"),
    ),
    "split_participants": dict(
        columns={"position": int, "seq": int, "leg": int, "name": str, "amounts": str},
        pk=("position", "seq", "leg", "name"),
    ),
    "split_effects": dict(
        columns={"position": int, "seq": int, "leg": int, "name": str, "year": int, "amount_cents": int,
                 "since_position": int},
        pk=("position", "seq", "leg", "name", "year"),
    ),
    # ``structural_cents``: the part of ``amount_cents`` that mutations carrying into later
    # years make (structural, not a kasschuif); the rest is incidental. Likewise adopted.
    "figures": dict(
        columns={"unit": str, "line": str, "year": int, "amount_cents": int, "adopted_cents": int,
                 "steps": int, "adopted_steps": int, "structural_cents": int, "adopted_structural_cents": int},
        pk=("unit", "line", "year"),
    ),
    # A figure's values after each event that changed it: as of position p a figure is its
    # latest row at or before p (no row: zero), so point-in-time questions read one row per
    # figure instead of summing every effect before p.
    "figure_history": dict(
        columns={"unit": str, "line": str, "year": int, "position": int, "amount_cents": int, "adopted_cents": int,
                 "steps": int, "adopted_steps": int, "structural_cents": int, "adopted_structural_cents": int},
        pk=("unit", "line", "year", "position"),
    ),
    # The parts of the figures that fall to the participants otherwise than by the key in force
    # for their line (a mutation's split), kept like the figures: ``key`` is the split's key
    # ('' for a split in the participants' own amounts), ``participant`` '' for the legs'
    # amounts and a name for that participant's own amounts of such a split. What a line
    # leaves to the key in force is its figure less its rows with participant ''.
    "split_figures": dict(
        columns={"unit": str, "line": str, "year": int, "key": str, "category": str, "participant": str,
                 "amount_cents": int, "adopted_cents": int, "steps": int, "adopted_steps": int},
        pk=("unit", "line", "year", "key", "category", "participant"),
    ),
    "split_figure_history": dict(
        columns={"unit": str, "line": str, "year": int, "key": str, "category": str, "participant": str,
                 "position": int, "amount_cents": int, "adopted_cents": int, "steps": int, "adopted_steps": int},
        pk=("unit", "line", "year", "key", "category", "participant", "position"),
    ),
    # BBV: the council's programma's, and each line's programma and Iv3 cell from a year on
    # (the latest from-year at or before a year; within it the latest position).
    "programmas": dict(columns={"programma": str, "name": str, "position": int, "ordinal": int},
                       pk=("programma", "position")),
    "classifications": dict(
        columns={"unit": str, "line": str, "from_year": int, "position": int, "programma": str, "taakveld": str,
                 "categorie": str},
        pk=("unit", "line", "from_year", "position"),
    ),
}

# Each is read by some question (tests/test_indexes.py plans them all). Small tables (log,
# keys) are scanned; history's date and correction filters walk the mutations newest first; a
# unit's or the total's latest steps are merged from its lines' (on effects (unit, line, year, …)).
INDEXES = [
    ("effects", ["unit", "line", "year", "position", "seq", "leg"]),
    ("mutations", ["kind", "position", "seq"]),  # a page of history of one kind, newest first
    ("mutations", ["document_kind", "position", "seq"]),
    ("lifecycle", ["document"]),
    ("documents", ["position"]),
]


def index_name(table: str, columns: list[str]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"  # as sqlite-utils names them


def create(db: sqlite_utils.Database, *, indexes: bool = True) -> None:
    """The tables (SQLite). A table keyed by one integer keeps it as its rowid; every other one
    is stored in its primary key's order (WITHOUT ROWID), so no second copy of the key is kept
    in an index beside it: the largest tables (effects, legs, mutations, figure_history) are
    about a third smaller on disk."""
    types = {str: "TEXT", int: "INTEGER"}
    for name, spec in TABLES.items():
        pk = spec["pk"] if isinstance(spec["pk"], tuple) else (spec["pk"],)
        columns = ", ".join(f"[{c}] {types[t]}" for c, t in spec["columns"].items())
        rowid = len(pk) == 1 and spec["columns"][pk[0]] is int
        db.execute(f"CREATE TABLE IF NOT EXISTS [{name}] ({columns}, PRIMARY KEY ({', '.join(pk)}))"
                   + ("" if rowid else " WITHOUT ROWID"))
    if indexes:
        create_indexes(db)
    db.execute("INSERT OR IGNORE INTO ledger (key, value) VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def create_indexes(db: sqlite_utils.Database) -> None:
    for table, columns in INDEXES:
        db.table(table).create_index(columns, if_not_exists=True)
