"""`begroting sql` can only read, on both backends: one statement, no transaction control,
no writing role, a time limit the database enforces, and answers that always print."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.conftest import Cli

ATTACKS = [
    "commit; delete from public.event_chain where position=3",
    "commit; create table public.pwn(a int)",
    "select 1; create table public.pwn2(a int)",
    "commit; select pg_sleep(62)",
    "copy (select 1) to program 'touch {marker}'",
    "commit",
    "rollback",
    "reset role",
    "set role postgres",
    "pragma writable_schema = 1",
    "update sqlite_master set sql = 'x' where name = 'figures'",
    "with gone as (delete from figures returning 1) select count(*) from gone",
]


def _tables(bg: Cli) -> set[str]:
    if bg.backend == "postgresql":
        import psycopg

        with psycopg.connect(str(bg.ledger)) as conn:
            return {r[0] for r in conn.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema IN ('public', 'begroting_views')")}
    with sqlite3.connect(bg.ledger) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _chain_positions(bg: Cli) -> list[int]:
    if bg.backend == "postgresql":
        import psycopg

        with psycopg.connect(str(bg.ledger)) as conn:
            return [r[0] for r in conn.execute("SELECT position FROM event_chain ORDER BY 1")]
    with sqlite3.connect(bg.ledger) as conn:
        return [r[0] for r in conn.execute("SELECT position FROM event_chain ORDER BY 1")]


@pytest.mark.parametrize("attack", ATTACKS)
def test_sql_refuses_every_way_out_of_reading(kaderbrief: Cli, attack: str, tmp_path):
    bg = kaderbrief
    marker = tmp_path / "pwned"
    before = (bg.json("show"), _tables(bg), _chain_positions(bg))
    assert 3 in before[2]

    started = time.monotonic()
    result = bg("sql", attack.format(marker=marker), ok=False)

    # Refused in one line, at once, and nothing changed.
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: sql:") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert time.monotonic() - started < 30
    assert (bg.json("show"), _tables(bg), _chain_positions(bg)) == before
    assert not marker.exists()


def test_sql_stops_a_query_that_runs_too_long(kaderbrief: Cli, monkeypatch):
    monkeypatch.setenv("BEGROTING_SQL_TIMEOUT_S", "1")
    endless = ("select pg_sleep(20)" if kaderbrief.backend == "postgresql" else
               "with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r")
    started = time.monotonic()
    result = kaderbrief("sql", endless, ok=False)
    assert result.exit_code == 1 and result.stderr.strip() == "error: sql: stopped after 1 s"
    assert time.monotonic() - started < 15


def test_sql_answers_with_blobs_and_pragmas(kaderbrief: Cli):
    bg = kaderbrief
    if bg.backend == "sqlite":
        assert bg.json("sql", "select x'00ff' as b") == [{"b": "00ff"}]
        names = [r["name"] for r in bg.json("sql", "pragma table_info(figures)")]
        assert "amount_cents" in names
    else:
        assert bg.json("sql", "select '\\x00ff'::bytea as b") == [{"b": "00ff"}]
    names = [r["name"] for r in bg.json("sql", "select name from pragma_table_info('figures')")] \
        if bg.backend == "sqlite" else \
        [r["name"] for r in bg.json("sql", "select column_name as name from information_schema.columns "
                                           "where table_name = 'figures'")]
    assert "amount_cents" in names
    assert bg.json("sql", "select sum(amount_cents) as s from figures where year = 2025")[0]["s"] > 0
