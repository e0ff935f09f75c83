"""Read-only SQL over the read models, for auditors: the file is opened read-only and an
authorizer refuses anything that could write, attach another file or change settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.errors import LedgerError

MAX_ROWS = 100_000

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


def run_query(path: Path, query: str) -> tuple[list[str], list[tuple]]:
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        conn.set_authorizer(_authorize)
        try:
            cursor = conn.execute(query)
            rows = cursor.fetchmany(MAX_ROWS)
        except sqlite3.DatabaseError as e:
            message = str(e)
            if "not authorized" in message or "readonly" in message:
                raise QueryRefused("sql: refused — only reading queries (SELECT) are allowed on the read models") from None
            raise QueryRefused(f"sql: {message}") from None
        except sqlite3.Warning as e:  # e.g. more than one statement
            raise QueryRefused(f"sql: {e}") from None
        columns = [d[0] for d in cursor.description or []]
        return columns, [tuple(r) for r in rows]
    finally:
        conn.close()
