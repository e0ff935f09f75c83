"""Figures as of any point come from ``figure_history`` (one row per figure and event that
changed it) instead of summing every effect before the point. Proven here equal to that sum
at every position of random histories — recordings, adoptions, withdrawals and a horizon
extension — for proposals included and adopted only, on both backends (issue 19)."""

from __future__ import annotations

import itertools
import random
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.parsing import document_from_mapping
from ledger.synthetic import HistoryGenerator
from projections.common import counts_at
from projections.queries import Figure


def summed(ledger: Ledger, at: int, adopted_only: bool) -> dict[tuple[str, str, int], tuple[int, int]]:
    """Every figure at ``at`` summed from the effects, as the read models did before (and as
    docs/read-models.md shows), with the number of effects behind it."""
    years = ledger.views.horizon(at)
    out = {(r["unit"], r["line"], y): (0, 0) for r in ledger.views.lines(at) for y in years}
    for unit, line, year, cents, count in ledger.conn.execute(
        "SELECT e.unit, e.line, e.year, SUM(e.amount_cents), COUNT(*) FROM effects e "
        f"JOIN documents d ON d.position = e.position WHERE {counts_at(':p', adopted_only=adopted_only)} "
        "GROUP BY e.unit, e.line, e.year", {"p": at},
    ):
        if (unit, line, year) in out:
            out[(unit, line, year)] = (cents, count)
    return out


def random_history(ledger: Ledger, seed: int, documents: int) -> None:
    """Documents of a few mutations; some adopted, some withdrawn, and the horizon extended
    half-way (so structural amounts carry into the new year)."""
    rng = random.Random(seed)
    gen = HistoryGenerator(seed, range(2024, 2027), units=2, lines=3)
    ledger.record_input(document_from_mapping(gen.opening(), "opening"))
    ids = []
    for n, doc in enumerate(gen.documents(documents * 4, sizes=(1, 6))):
        ledger.record_input(document_from_mapping(doc, "doc"))
        ids.append(doc["document"]["id"])
        if n == documents // 2:
            ledger.extend(2027)
        choice = rng.random()
        target = rng.choice(ids)
        try:
            if choice < 0.4:
                ledger.adopt(target, date(2024, 6, 1), "Besluit")
            elif choice < 0.55:
                ledger.withdraw(target, date(2024, 7, 1), "Vervangen")
                gen.withdrawn(target)
        except LedgerError:
            pass  # adopted already, withdrawn already, corrected by a later document, …


def assert_every_point_agrees(ledger: Ledger) -> int:
    head = ledger.views.head()
    for at in range(1, head + 1):
        for adopted_only in (False, True):
            assert ledger.views.cells(at, adopted_only=adopted_only) == summed(ledger, at, adopted_only), (at, adopted_only)
    assert ledger.views.cells(None) == summed(ledger, head, False)
    return head


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), documents=st.integers(1, 8))
def test_figures_at_every_point_equal_the_sum_of_their_effects(seed, documents):
    with tempfile.TemporaryDirectory() as folder, Ledger.init(str(Path(folder) / "l.db"), "T", 2024, 2026) as ledger:
        random_history(ledger, seed, documents)
        assert assert_every_point_agrees(ledger) > 3
        before = {at: ledger.views.cells(at) for at in range(1, ledger.views.head() + 1)}
        ledger.rebuild()
        assert {at: ledger.views.cells(at) for at in before} == before


@pytest.mark.parametrize("seed", [7, 2024])
def test_figures_at_every_point_equal_the_sum_of_their_effects_on_each_backend(ledger_address, seed):
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        random_history(ledger, seed, 6)
        assert assert_every_point_agrees(ledger) > 10


def test_explain_brings_forward_what_the_figures_at_that_point_say(ledger_address):
    """The trail's earlier steps (beyond --limit) are counted from the kept figures, not the
    effects: the same count and amount either way, now and as of earlier points."""
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        random_history(ledger, 11, 8)
        total = ledger.views.total_figure()
        for at in (None, ledger.views.head() // 2, ledger.views.head() - 1):
            for fig, n in itertools.product((total, Figure("unit", "u1"), Figure("line", "u1", "l1")), (1, 2, 5)):
                everything = ledger.views.explain(fig, 2025, at, limit=None)
                limited = ledger.views.explain(fig, 2025, at, limit=n)
                assert limited.amount_cents == everything.amount_cents
                # The latest n steps, merged from the lines' own for a unit or the total.
                assert limited.steps == everything.steps[-n:]
                if len(everything.steps) > n:
                    assert limited.brought_forward is not None
                    assert limited.brought_forward.mutations == len(everything.steps) - n
                    assert limited.brought_forward.amount_cents == sum(s.amount_cents for s in everything.steps[:-n])


@pytest.mark.parametrize("adopted_only", [False, True])
def test_the_totals_parts_bring_forward_exactly_their_own_steps(ledger_address, adopted_only):
    """The total lists its own steps; its units and their lines come without steps, each with
    the number and sum of the steps that its own ``explain --all`` lists, at every point."""
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        random_history(ledger, 5, 8)
        views = ledger.views
        for at in range(1, views.head() + 1, 3):
            for year in views.horizon(at):
                total = views.explain(views.total_figure(), year, at, adopted_only=adopted_only, limit=3)
                assert total.amount_cents == sum(c.amount_cents for c in total.children or ())
                for part in [*(total.children or ()), *(g for c in total.children or () for g in c.children or ())]:
                    fig = Figure(part.kind, *part.figure.split("/")) if part.kind == "line" else Figure("unit", part.figure)
                    alone = views.explain(fig, year, at, adopted_only=adopted_only, limit=None)
                    assert part.steps == () and part.amount_cents == alone.amount_cents
                    count, cents = (part.brought_forward.mutations, part.brought_forward.amount_cents) \
                        if part.brought_forward else (0, 0)
                    assert (count, cents) == (len(alone.steps), sum(s.amount_cents for s in alone.steps)), (at, part.figure)


def test_read_models_of_an_earlier_schema_are_rebuilt_on_opening(tmp_path):
    """Read models made before figure_history existed would answer as-of questions with
    zeros: opening the ledger rebuilds them, and says so."""
    path = str(tmp_path / "l.db")
    with Ledger.init(path, "T", 2024, 2026) as ledger:
        random_history(ledger, 3, 4)
        expected = {at: ledger.views.cells(at) for at in range(1, ledger.views.head() + 1)}
        ledger.conn.execute("DELETE FROM figure_history")
        ledger.conn.execute("UPDATE ledger SET value = '1' WHERE key = 'schema_version'")
        ledger.conn.commit()
    with Ledger.open(path) as ledger:
        assert ledger.views.schema_version() == 1
        ledger.catch_up()
        assert any("earlier version" in n for n in ledger.notices)
        assert {at: ledger.views.cells(at) for at in expected} == expected


def all_causes(ledger: Ledger, a: int, b: int, adopted_only: bool) -> dict[tuple[str, str, int], list[tuple[str, int]]]:
    """Every effect that counts at one point and not the other, by a scan of all effects."""
    out: dict[tuple[str, str, int], list[tuple[str, int]]] = {}
    at_a, at_b = counts_at(":a", adopted_only=adopted_only), counts_at(":b", adopted_only=adopted_only)
    for r in ledger.conn.execute(
        f"SELECT e.unit, e.line, e.year, e.amount_cents, {at_b} AS at_b, d.document, e.seq "
        f"FROM effects e JOIN documents d ON d.position = e.position WHERE {at_a} != {at_b} "
        "ORDER BY e.position, e.seq, e.leg", {"a": a, "b": b},
    ):
        out.setdefault((r["unit"], r["line"], r["year"]), []).append(
            (f"{r['document']}/{r['seq']}", r["amount_cents"] if r["at_b"] else -r["amount_cents"]))
    return out


def test_diff_lists_exactly_the_effects_that_count_at_one_point_only(ledger_address):
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        random_history(ledger, 5, 10)
        head = ledger.views.head()
        rng = random.Random(5)
        pairs = [(1, head), (head, 1)] + [(rng.randint(1, head), rng.randint(1, head)) for _ in range(12)]
        for (a, b), adopted_only in [(pair, flag) for pair in pairs for flag in (False, True)]:
            expected = all_causes(ledger, a, b, adopted_only)
            full = ledger.views.diff(a, b, show_all=True, adopted_only=adopted_only)
            for row in full.changes:
                key = (row.unit, row.line, row.year)
                assert [(c.mutation, c.amount_cents) for c in row.causes] == expected.get(key, []), (a, b, key)
                assert sum(c.amount_cents for c in row.causes) == row.change_cents
                assert row.earlier_causes_cents is None
            limited = {(r.unit, r.line, r.year): r
                       for r in ledger.views.diff(a, b, show_all=True, adopted_only=adopted_only, limit=2).changes}
            for row in full.changes:
                short = limited[(row.unit, row.line, row.year)]
                assert short.causes == row.causes[-2:]
                if len(row.causes) > 2:
                    assert short.earlier_causes_cents == sum(c.amount_cents for c in row.causes[:-2])
                else:
                    assert short.earlier_causes_cents is None
