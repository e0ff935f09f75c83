"""Every index the read models keep is read by some question: an index nothing reads only
costs room on disk and time in every rebuild (issue 19). The questions are asked of the
demo with a recorded voorjaarsnota (a correction, a shift, an incidental change) and every
statement they send is planned with EXPLAIN QUERY PLAN."""

from __future__ import annotations

import re
import sqlite3

from ledger.application import Ledger
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from projections.contributions import ContributionQueries
from projections.queries import Figure
from projections.reserves import ReserveQueries
from projections.schema import INDEXES, SCHEMA_VERSION, index_name
from tests.conftest import Cli

VOORJAARSNOTA = """
document: {id: vjn-2024, kind: voorjaarsnota, title: Voorjaarsnota 2024, date: 2024-05-15}
mutations:
  - {kind: correctie, corrects: begroting-2024/10, line: ninb/personeel, amounts: {2024: -575}, reason: Herziening}
  - kind: verschuiving
    reason: Naar GBO
    reference: "§6.1"
    legs:
      - {line: ninb/personeel, amounts: {2025: -1000}}
      - {line: gbo/uitvoering, amounts: {2025: 1000}}
  - {kind: wijziging, line: faunazaken/open-eind, amounts: {2024: 2500}, reason: Extra schade}
"""


def used_indexes(statements: list[str], conn: sqlite3.Connection) -> set[str]:
    used = set()
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            used.update(re.findall(r"USING (?:COVERING )?INDEX (\w+)", row[-1]))
    return used


def test_every_index_is_read_by_some_question(tmp_path):
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    bg.record("vjn.yaml", VOORJAARSNOTA)
    with Ledger.open(str(tmp_path / "demo.db")) as ledger:
        statements: list[str] = []
        ledger.conn.set_trace_callback(statements.append)
        views = ledger.views
        kaderbrief, head = views.resolve_point("kaderbrief-2024"), views.head()
        views.show(kaderbrief)
        views.diff(kaderbrief, head, limit=2)
        for fig in (views.total_figure(), Figure("unit", "ninb"), Figure("line", "ninb", "personeel")):
            views.explain(fig, 2024, kaderbrief, limit=2)
            views.explain(fig, 2024, limit=2)
        for filters in ({"kind": "verschuiving"}, {"document_kind": "voorjaarsnota"}, {"date_from": "2024-01-01"},
                        {"document": "vjn-2024"}, {"corrections": True, "corrects_document": "begroting-2024"}):
            views.history(limit=5, **filters)
        views.document("begroting-2024")
        views.resolve_point("2099-12-31")  # a date: the recording time
        ContributionQueries(views).contributions(2024, None)
        ReserveQueries(views.conn).reserves()
        ledger.conn.set_trace_callback(None)
        used = used_indexes(statements, ledger.conn)
    unused = sorted(index_name(table, columns) for table, columns in INDEXES)
    unused = [name for name in unused if name not in used]
    assert unused == [], f"indexes no question reads: {unused}"


def index_names(ledger: Ledger) -> set[str]:
    conn = ledger.conn
    if isinstance(conn, sqlite3.Connection):
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    return {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'begroting_views' "
                                       "AND indexname NOT LIKE '%pkey'")}


def test_read_models_of_schema_3_are_rebuilt_without_the_index_on_effects_by_year(ledger_address):
    """Schema 3 kept an index on effects (year, position, seq, leg); schema 4 merges a unit's or
    the total's latest steps from its lines' instead. Older read models are rebuilt on opening,
    so the index and the room it took go, and the answers stay the same."""
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        ledger.record_input(document_from_mapping(HistoryGenerator(3, range(2024, 2027)).opening(), "opening"))
        total = ledger.views.total_figure()
        before = ledger.views.explain(total, 2025, limit=2)
        ledger.conn.execute("CREATE INDEX idx_effects_year_position_seq_leg ON effects (year, position, seq, leg)")
        ledger.conn.execute("UPDATE ledger SET value = '3' WHERE key = 'schema_version'")
        if isinstance(ledger.conn, sqlite3.Connection):
            ledger.conn.commit()
    with Ledger.open(str(ledger_address)) as ledger:
        ledger.catch_up()
        assert any("earlier version" in n for n in ledger.notices)
        assert ledger.views.schema_version() == SCHEMA_VERSION >= 4
        assert index_names(ledger) == {index_name(table, columns) for table, columns in INDEXES}
        assert ledger.views.explain(total, 2025, limit=2) == before
