"""Read-only SQL over the read models, for auditors: the file is opened read-only and an
authorizer refuses anything that could write, attach another file or change settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ledger.errors import LedgerError

MAX_ROWS = 100_000
REFUSED = "sql: refused — only reading queries (SELECT) are allowed on the read models"

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# PRAGMAs that only read.
_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list", "table_list"}


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS and arg2 is None:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class QueryRefused(LedgerError):
    """Raised when a query would write, attach or configure, or is not valid SQL."""


def run_query(location: Any, query: str) -> tuple[list[str], list[tuple]]:
    if location.kind == "postgresql":
        return _run_postgres(location.conninfo, query)
    return _run_sqlite(location.views_path, query)


def _run_postgres(conninfo: str, query: str) -> tuple[list[str], list[tuple]]:
    """A READ ONLY transaction that is rolled back, whatever the query: PostgreSQL itself refuses writes."""
    import psycopg

    from projections.db import VIEWS_SCHEMA, _plain

    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        try:
            with conn.transaction(force_rollback=True):
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(f"SET LOCAL search_path TO {VIEWS_SCHEMA}")
                conn.execute("SET LOCAL statement_timeout = '60s'")
                cursor = conn.execute(query)
                columns = [d.name for d in cursor.description or []]
                rows = [tuple(_plain(v) for v in r) for r in cursor.fetchmany(MAX_ROWS)] if cursor.description else []
        except psycopg.Error as e:
            message = str(e).strip().splitlines()[0]
            if "read-only transaction" in message or "permission denied" in message:
                raise QueryRefused(REFUSED) from None
            raise QueryRefused(f"sql: {message}") from None
    return columns, rows


def _run_sqlite(path: Path, query: str) -> tuple[list[str], list[tuple]]:
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()), safe='/')}?mode=ro", uri=True)
    try:
        conn.set_authorizer(_authorize)
        try:
            cursor = conn.execute(query)
            rows = cursor.fetchmany(MAX_ROWS)
        except sqlite3.DatabaseError as e:
            message = str(e)
            if "not authorized" in message or "readonly" in message:
                raise QueryRefused(REFUSED) from None
            raise QueryRefused(f"sql: {message}") from None
        except sqlite3.Warning as e:  # e.g. more than one statement
            raise QueryRefused(f"sql: {e}") from None
        columns = [d[0] for d in cursor.description or []]
        return columns, [tuple(r) for r in rows]
    finally:
        conn.close()
