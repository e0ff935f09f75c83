"""Read-only SQL over the read models, for auditors. It cannot write, by construction:

- SQLite: the file is opened read-only and an authorizer refuses anything that could write,
  attach another file or change settings; a progress handler stops it at the time limit.
- PostgreSQL: exactly one statement (the extended query protocol refuses two), inside a
  READ ONLY transaction that is always rolled back, under the role ``begroting_reader``
  (SELECT on the read models, nothing else), with the server enforcing the time limit."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from projections.errors import QueryRefused

# A query to start from, shown in `begroting sql --help`.
EXAMPLE_QUERY = "select unit, year, sum(amount_cents)/100.0 from figures group by 1, 2"
MAX_ROWS = 100_000
TIMEOUT_S = 60
REFUSED = "sql: refused — only reading queries (SELECT) are allowed on the read models"

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# PRAGMAs that only read.
_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list", "table_list"}
# The first word of a statement that only reads (PostgreSQL); transaction control, SET, COPY,
# DO … are refused before they reach the server.
_READING = {"select", "with", "values", "table", "explain", "show"}
_LEADING = re.compile(r"(\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.S)


def timeout_s() -> int:
    """The time limit of one query: BEGROTING_SQL_TIMEOUT_S, default 60 s."""
    text = os.environ.get("BEGROTING_SQL_TIMEOUT_S", "")
    return int(text) if text.isdigit() and int(text) > 0 else TIMEOUT_S


def _stopped(limit_s: int) -> QueryRefused:
    return QueryRefused(f"sql: stopped after {limit_s} s")


def run_query(location: Any, query: str) -> tuple[list[str], list[tuple]]:
    if location.kind == "postgresql":
        columns, rows = _run_postgres(location.conninfo, query)
    else:
        columns, rows = _run_sqlite(location.views_path, query)
    return columns, [tuple(v.hex() if isinstance(v, (bytes, bytearray, memoryview)) else v for v in r) for r in rows]


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    # `pragma table_info(figures)` arrives with the table as arg2; a pragma that sets a value
    # (`pragma x = 1`) is not in the list of reading ones.
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    # Table-valued pragmas (`select * from pragma_table_info('figures')`) make their virtual
    # table by "updating" sqlite_master in memory; the file itself is open read-only.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _first_word(query: str) -> str:
    leading = _LEADING.match(query)  # always matches, if only the empty text
    rest = query[leading.end():] if leading else query
    word = re.match(r"\w*", rest)
    return word.group(0).lower() if word else ""


def _run_postgres(conninfo: str, query: str) -> tuple[list[str], list[tuple]]:
    import psycopg
    from psycopg import sql

    from projections.db import READER_ROLE, VIEWS_SCHEMA, _plain

    first = _first_word(query)
    if first == "pragma":
        raise QueryRefused("sql: PRAGMA is SQLite's; on PostgreSQL ask information_schema.columns "
                           "(select column_name from information_schema.columns where table_name = 'figures')")
    if first not in _READING:
        raise QueryRefused(REFUSED)
    limit_s = timeout_s()
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        try:
            with conn.transaction(force_rollback=True):
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(sql.SQL("SET LOCAL ROLE {0}").format(sql.Identifier(READER_ROLE)))
                conn.execute(sql.SQL("SET LOCAL search_path TO {0}").format(sql.Identifier(VIEWS_SCHEMA)))
                conn.execute(sql.SQL("SET LOCAL statement_timeout = {0}").format(sql.Literal(f"{limit_s}s")))
                # Prepared (extended protocol): the server refuses more than one statement.
                cursor = conn.cursor()
                cursor.execute(query.replace("%", "%%"), (), prepare=True)
                columns = [d.name for d in cursor.description or []]
                rows = [tuple(_plain(v) for v in r) for r in cursor.fetchmany(MAX_ROWS)] if cursor.description else []
        except psycopg.errors.QueryCanceled:
            raise _stopped(limit_s) from None
        except psycopg.errors.UndefinedObject as e:
            if READER_ROLE in str(e):
                raise QueryRefused(f"sql: the role {READER_ROLE} is missing; the owner creates it with "
                                   "`begroting roles setup`") from None
            raise QueryRefused(f"sql: {str(e).strip().splitlines()[0]}") from None
        except psycopg.Error as e:
            message = str(e).strip().splitlines()[0]
            if any(s in message for s in ("read-only transaction", "permission denied", "multiple commands")):
                raise QueryRefused(REFUSED) from None
            raise QueryRefused(f"sql: {message}") from None
    return columns, rows


def _run_sqlite(path: Path, query: str) -> tuple[list[str], list[tuple]]:
    limit_s = timeout_s()
    deadline = time.monotonic() + limit_s
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()), safe='/')}?mode=ro", uri=True)
    try:
        conn.set_authorizer(_authorize)
        # Called every 10,000 virtual-machine steps; a non-zero answer interrupts the query.
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            cursor = conn.execute(query)
            rows = cursor.fetchmany(MAX_ROWS)
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e):
                raise _stopped(limit_s) from None
            raise QueryRefused(REFUSED if "not authorized" in str(e) else f"sql: {e}") from None
        except sqlite3.DatabaseError as e:
            message = str(e)
            if "not authorized" in message or "readonly" in message:
                raise QueryRefused(REFUSED) from None
            raise QueryRefused(f"sql: {message}") from None
        except (sqlite3.Warning, sqlite3.ProgrammingError) as e:  # e.g. more than one statement
            raise QueryRefused(f"sql: {e}") from None
        columns = [d[0] for d in cursor.description or []]
        return columns, [tuple(r) for r in rows]
    finally:
        conn.close()
