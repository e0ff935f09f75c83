"""The shape of the kept read models: only the tables and indexes begroting makes, each made
as it makes them.

``verify`` compares every table's rows with a replay of the events, and what it reads must
be what every question reads. Other objects can show one reader other rows than another: a
view in a table's place can test whether verify's replay is attached (SQLite) or which
isolation the transaction has (PostgreSQL), a row-level policy or rule can do the same, a
trigger can forge rows later, and a column of another type or collation changes what the
questions find. So before the rows, the objects themselves are compared with those of fresh
read models, and SQLite's own integrity check reads every index against its table (an
index's entries can differ from its table while its text stays what begroting makes).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from projections import schema
from projections.db import VIEWS_SCHEMA, create_tables

_QUOTES = re.compile(r'["`\[\]]')
_SPACE = re.compile(r"\s+")
_SPACE_AROUND = re.compile(r" ?([(),]) ?")


def problems(conn: Any) -> tuple[list[str], set[str]]:
    """What is not as begroting makes it in the read models of ``conn``, and which of the
    read-model tables that concerns (their rows need no comparing: they are named already)."""
    if isinstance(conn, sqlite3.Connection):
        return _sqlite_problems(conn)
    return _postgresql_problems(conn)


def _sqlite_problems(conn: sqlite3.Connection) -> tuple[list[str], set[str]]:
    fresh = sqlite3.connect(":memory:")
    try:
        create_tables(fresh)
        made = _sqlite_objects(fresh)
    finally:
        fresh.close()
    out, tables = [], set()
    checked = [r[0] for r in conn.execute("PRAGMA main.integrity_check(5)")]
    if checked != ["ok"]:  # an index whose entries are not its table's, say (its text rewritten)
        out.append(f"the read models fail SQLite's integrity check ({'; '.join(checked)})")
    for name, (kind, sql) in _sqlite_objects(conn).items():
        if name not in made:
            out.append(f"the read models hold {_a(kind)} {name} that begroting does not make")
        elif made[name] != (kind, sql):
            otherwise = "made otherwise" if kind == made[name][0] else _a(kind)
            out.append(f"read model {name} is not the {made[name][0]} begroting makes ({otherwise})")
            if name in schema.TABLES:
                tables.add(name)
    return out, tables


def _sqlite_objects(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """name → (type, its SQL in one form: without quotes or brackets, spaced alike) of every
    table, index, view and trigger in the main database but the indexes SQLite makes for
    primary keys (no SQL; ``sqlite_stat1`` is a table too: begroting never runs ANALYZE, and
    its figures would steer which index a question reads)."""
    return {name: (kind, _plain_sql(sql or "")) for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM main.sqlite_master WHERE NOT (type = 'index' AND sql IS NULL)")}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _plain_sql(sql: str) -> str:
    return _SPACE_AROUND.sub(r"\1", _SPACE.sub(" ", _QUOTES.sub("", sql))).strip().lower()


_PG_KINDS = {"v": "a view", "m": "a materialized view", "f": "a foreign table", "p": "a partitioned table"}
# The type PostgreSQL reports for each column type of ``schema.TABLES`` (``db.create_tables``).
_PG_TYPES = {str: "text", int: "bigint"}


def _postgresql_problems(conn: Any) -> tuple[list[str], set[str]]:
    out, tables = [], set()
    relations = conn.execute(
        "SELECT c.relname, c.relkind, c.relrowsecurity OR c.relforcerowsecurity, "
        "EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid), "
        "EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ? AND c.relkind NOT IN ('i', 'I', 'S')", (VIEWS_SCHEMA,)).fetchall()
    columns: dict[str, list[tuple]] = {}
    for table, column, kind, collation in conn.execute(
            "SELECT table_name, column_name, data_type, collation_name FROM information_schema.columns "
            "WHERE table_schema = ? ORDER BY table_name, ordinal_position", (VIEWS_SCHEMA,)):
        columns.setdefault(table, []).append((column, kind, collation))
    for name, kind, policed, ruled, triggered in relations:
        if name not in schema.TABLES:
            out.append(f"the read models hold a relation {name} that begroting does not make")
            continue
        made = [(column, _PG_TYPES[t], None) for column, t in schema.TABLES[name]["columns"].items()]
        why = (_PG_KINDS.get(kind, f"a relation of kind {kind}") if kind != "r" else "with row-level security" if policed
               else "with rules" if ruled else "with triggers" if triggered
               else "with other columns" if columns.get(name) != made else None)
        if why:
            out.append(f"read model {name} is not the table begroting makes ({why})")
            tables.add(name)
    return out, tables
