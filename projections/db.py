"""The read models' connection: a SQLite file beside the ledger, or a schema of its own in the
ledger's PostgreSQL database. Queries are written once, in SQLite's dialect; ``PgConnection``
translates the few differences (placeholders, upserts, locking) for PostgreSQL and hands back
rows that behave like ``sqlite3.Row``."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from projections import schema
from projections.errors import NotPermitted

VIEWS_SCHEMA = "begroting_views"
REBUILD_LOCK_KEY = 0x6265_6772_6F74  # PostgreSQL advisory lock taken by `rebuild` ("begrot")
# The role `sql` runs as on PostgreSQL: SELECT on the read models and nothing else.
READER_ROLE = "begroting_reader"
_NAMED = re.compile(r"(?<!:):([a-z_]+)\b")
_CONFLICT = re.compile(r"^\s*INSERT OR (IGNORE|REPLACE) INTO (\w+)\s*(\(([^)]*)\))?", re.I)


def connect_sqlite(path: Path) -> sqlite3.Connection:
    # Read models are disposable: WAL without a sync per commit is enough.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    return conn


def connect_scratch(path: Path) -> sqlite3.Connection:
    """A throwaway file (a replay to compare the read models with): no WAL and no syncs; the
    journal is kept in memory rather than turned off, since the projector rolls back to stop
    just before an event it cannot read."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.execute("PRAGMA synchronous=OFF")
    conn.row_factory = sqlite3.Row
    return conn


class Row(tuple):
    """A result row addressable by position and by column name, like sqlite3.Row."""

    names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _plain(value: Any) -> Any:
    # PostgreSQL sums bigints into numeric; amounts are whole cents, so back to int.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def _row_factory(cursor: Any) -> Any:
    names = tuple(c.name for c in cursor.description or ())
    cls = type("Row", (Row,), {"names": names})

    def make(values: Sequence[Any]) -> Row:
        return cls(_plain(v) for v in values)

    return make


def translate(sql: str) -> str | None:
    """SQLite dialect → PostgreSQL; None for statements that have no meaning there."""
    stripped = sql.strip()
    upper = stripped.upper()
    if upper.startswith(("PRAGMA", "VACUUM")):
        return None
    if upper == "BEGIN IMMEDIATE":
        return f"BEGIN; LOCK TABLE {VIEWS_SCHEMA}.tracking IN SHARE ROW EXCLUSIVE MODE"
    sql = sql.replace("%", "%%")
    m = _CONFLICT.match(sql)
    if m:
        mode, table, _, columns = m.groups()
        sql = f"INSERT INTO {table} " + (f"({columns}) " if columns else "") + sql[m.end():].lstrip()
        if mode.upper() == "IGNORE":
            sql += " ON CONFLICT DO NOTHING"
        else:
            spec = schema.TABLES[table]
            pk = spec["pk"] if isinstance(spec["pk"], tuple) else (spec["pk"],)
            rest = [c for c in spec["columns"] if c not in pk]
            sql += f" ON CONFLICT ({', '.join(pk)}) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
    sql = sql.replace("?", "%s")
    return _NAMED.sub(r"%(\1)s", sql)


class _NoRows:
    rowcount = 0

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list:
        return []

    def __iter__(self):
        return iter(())


class PgConnection:
    """Enough of sqlite3.Connection's interface for the projector and the queries."""

    dialect = "postgresql"

    def __init__(self, conninfo: str):
        import psycopg
        from psycopg.sql import SQL, Identifier

        self.raw = psycopg.connect(conninfo, autocommit=True, row_factory=_row_factory, connect_timeout=10)
        exists = self.raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (VIEWS_SCHEMA,)).fetchone()
        if not exists:  # only the owner gets here: other roles find the schema made by `init`
            self.raw.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(VIEWS_SCHEMA)))
        self.raw.execute(SQL("SET search_path TO {0}").format(Identifier(VIEWS_SCHEMA)))

    def execute(self, sql: str, params: Any = ()) -> Any:
        statement = translate(sql)
        if statement is None:
            return _NoRows()
        if statement.strip().upper() == "ROLLBACK" and self.raw.info.transaction_status == 0:
            return _NoRows()
        return self.raw.execute(statement, params or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        rows = list(rows)
        cursor = self.raw.cursor()
        statement = translate(sql)
        if rows and statement is not None:
            cursor.executemany(statement, rows)
        return cursor

    def close(self) -> None:
        self.raw.close()


def insert_rows(conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows into a table; on SQLite as statements of many rows each, about twice as
    fast as ``executemany`` (the rebuild writes several rows per mutation)."""
    if not rows:
        return
    one = "(" + ", ".join("?" * len(rows[0])) + ")"
    chunk = max(1, 999 // len(rows[0]))  # 999: the most variables a statement may hold before SQLite 3.32
    whole = len(rows) - len(rows) % chunk if isinstance(conn, sqlite3.Connection) else 0
    if whole:
        sql = f"INSERT INTO {table} VALUES " + ", ".join([one] * chunk)
        for start in range(0, whole, chunk):
            conn.execute(sql, [value for row in rows[start:start + chunk] for value in row])
    if whole < len(rows):
        conn.executemany(f"INSERT INTO {table} VALUES {one}", rows[whole:])


def rollback(conn: Any) -> None:
    """Roll back the open transaction, if there is one."""
    if isinstance(conn, sqlite3.Connection):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    else:
        conn.execute("ROLLBACK")


def _made(conn: Any, *, indexes: bool) -> bool:
    """Whether ``create_tables`` would find nothing to make."""
    if isinstance(conn, sqlite3.Connection):
        found = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
        wanted = set(schema.TABLES) | ({schema.index_name(*i) for i in schema.INDEXES} if indexes else set())
        return found >= wanted
    found = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (VIEWS_SCHEMA,))}
    return found >= set(schema.TABLES) and indexes  # made by the owner; other roles may not create, and need not


def tables_made(conn: Any) -> bool:
    """Whether every read-model table (and, on SQLite, index) is there: opening makes nothing."""
    return _made(conn, indexes=True)


def create_tables(conn: Any, *, indexes: bool = True) -> None:
    if _made(conn, indexes=indexes):
        return  # every command opens the read models: don't load sqlite-utils for nothing
    if isinstance(conn, sqlite3.Connection):
        import sqlite_utils

        schema.create(sqlite_utils.Database(conn), indexes=indexes)
        return
    types = {str: "TEXT", int: "BIGINT"}
    for name, spec in schema.TABLES.items():
        pk = spec["pk"] if isinstance(spec["pk"], tuple) else (spec["pk"],)
        columns = ", ".join(f"{c} {types[t]}" for c, t in spec["columns"].items())
        conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY ({', '.join(pk)}))")
    if indexes:
        create_indexes(conn)
    conn.execute("INSERT OR IGNORE INTO ledger (key, value) VALUES ('schema_version', ?)", [str(schema.SCHEMA_VERSION)])
    grant_reader(conn.raw)


def grant_reader(raw: Any) -> None:
    """Make the role ``begroting_reader`` (if need be) and let it read (and only read) the read
    models; run by the owner whenever it creates them (``init``, ``rebuild``), so `sql` works
    on a fresh ledger and after a rebuild. Creating the role needs CREATEROLE: an owner
    without it gets the role from ``roles setup`` run by someone who has it."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    role, views = Identifier(READER_ROLE), Identifier(VIEWS_SCHEMA)
    statements = [SQL("GRANT {0} TO CURRENT_USER").format(role),
                  SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(views, role),
                  SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {0} TO {1}").format(views, role)]
    if raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone() is None:
        statements.insert(0, SQL("CREATE ROLE {0} NOLOGIN").format(role))
    for statement in statements:
        try:
            raw.execute(statement)
        except psycopg.Error:  # no CREATEROLE, or another ledger on this server made the role just now
            pass


def create_indexes(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        import sqlite_utils

        schema.create_indexes(sqlite_utils.Database(conn))
        return
    for table, columns in schema.INDEXES:
        conn.execute(schema.index_sql(table, columns))


def drop_indexes(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")]
    else:
        names = [schema.index_name(table, columns) for table, columns in schema.INDEXES]
    for name in names:
        conn.execute(f'DROP INDEX IF EXISTS "{name}"')


def drop_tables(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                 if not r[0].startswith("sqlite_")]
    else:
        names = list(schema.TABLES)
    conn.execute("BEGIN")
    try:
        for name in names:
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    except Exception as e:
        rollback(conn)
        if "must be owner" in str(e) or "permission denied" in str(e):
            raise NotPermitted("not permitted: only the owner may rebuild the shared read models") from None
        raise
    conn.execute("COMMIT")
    if isinstance(conn, sqlite3.Connection):
        conn.execute("VACUUM")


def table_rows(conn: Any, table: str) -> list[tuple]:
    """Every row of a table in a canonical order (for comparing two copies)."""
    n = len(schema.TABLES[table]["columns"])
    return [tuple(r) for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY {", ".join(str(i) for i in range(1, n + 1))}')]


@contextmanager
def rebuild_lock(location: Any, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Only one rebuild of a ledger's read models at a time: a second one waits for the
    first (calling ``waiting`` once) and then rebuilds on its own. Taken before the ledger
    is opened, since opening creates missing read-model tables. SQLite: an exclusive flock
    on a file beside the read models (released by the kernel if the process dies);
    PostgreSQL: a session advisory lock on a connection of its own."""
    if location.kind == "postgresql":
        import psycopg

        with psycopg.connect(location.conninfo, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (REBUILD_LOCK_KEY,)).fetchone()
            if not (row and row[0]):
                if waiting:
                    waiting()
                conn.execute("SELECT pg_advisory_lock(%s)", (REBUILD_LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (REBUILD_LOCK_KEY,))
        return
    import fcntl

    with open(str(location.views_path) + ".rebuild-lock", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
