"""The begroting as figures: every line and year now or as of a point (proposals included
or adopted only), the begroting table with unit totals, and what changed between two points.

Past points are answered from the ``effects`` table (one row per mutation leg and year, with
the position from which it counts), never by rewinding state. All amounts are integer cents."""

from __future__ import annotations

from typing import Iterable

from projections.answers import Cause, Diff, DiffRow, ShowLine, ShowTable, Totals, UnitTotals
from projections.common import counts_at
from projections.points import ViewsBase

BUCKETS = ("lasten", "baten", "reserves")


# (unit, line, year) → (cents, number of effects behind them): every figure at one point
Cells = dict[tuple[str, str, int], tuple[int, int]]
TOTALS = ("lasten", "baten", "saldo", "reserves", "te_dekken")


def totals_of(lasten: dict[int, int], baten: dict[int, int], reserves: dict[int, int],
              years: Iterable[int]) -> dict[str, dict[int, int]]:
    """The totals of a begroting (or of a change to one) per year, from its lasten, baten and
    reserve mutations: saldo is baten − lasten, te dekken is lasten − baten + reserves."""
    years = list(years)
    return {
        "lasten": {y: lasten.get(y, 0) for y in years}, "baten": {y: baten.get(y, 0) for y in years},
        "saldo": {y: baten.get(y, 0) - lasten.get(y, 0) for y in years},
        "reserves": {y: reserves.get(y, 0) for y in years},
        "te_dekken": {y: lasten.get(y, 0) - baten.get(y, 0) + reserves.get(y, 0) for y in years},
    }


class FigureQueries(ViewsBase):
    def figures(self, at: int | None = None, *, adopted_only: bool = False,
                adopted_on: str | None = None) -> dict[tuple[str, str, int], int]:
        """(unit, line, year) → cents for every line and year of the horizon at that point;
        ``adopted_on`` (an ISO date): adopted by a decision dated on or before it."""
        if adopted_on is None:
            return {key: amount for key, (amount, _) in self.cells(at, adopted_only=adopted_only).items()}
        at = self.head() if at is None else at
        years = self.horizon(at)
        out = {(r["unit"], r["line"], y): 0 for r in self.lines(at) for y in years}
        counts = counts_at(':p', adopted_only=True, adopted_on=":on")
        sql = (
            "SELECT e.unit, e.line, e.year, SUM(e.amount_cents) FROM effects e JOIN documents d ON d.position = e.position "
            f"WHERE {counts} GROUP BY e.unit, e.line, e.year"
        )
        for unit, line, year, amount in self.conn.execute(sql, {"p": at, "on": adopted_on}):
            if year in years:
                out[(unit, line, year)] = amount
        return out

    def cells(self, at: int | None = None, *, adopted_only: bool = False) -> Cells:
        """(unit, line, year) → (cents, number of effects behind them) for every line and year
        of the horizon at that point (``_kept``)."""
        amount, steps = ("adopted_cents", "adopted_steps") if adopted_only else ("amount_cents", "steps")
        if at is None:
            return {(unit, line, year): (cents, count) for unit, line, year, cents, count in self._kept(None, amount, steps)}
        years = self.horizon(at)
        out = {(r["unit"], r["line"], y): (0, 0) for r in self.lines(at) for y in years}
        for unit, line, year, cents, count in self._kept(at, amount, steps):
            if (unit, line, year) in out:
                out[(unit, line, year)] = (cents, count)
        return out

    def year_cells(self, year: int, at: int | None = None, *,
                   adopted_only: bool = False) -> dict[tuple[str, str], tuple[int, int, int]]:
        """(unit, line) → (cents, the structural part of them, number of effects) of every line
        with effects in ``year`` at that point (``_kept``)."""
        columns = (("adopted_cents", "adopted_structural_cents", "adopted_steps") if adopted_only
                   else ("amount_cents", "structural_cents", "steps"))
        return {(unit, line): (cents, carried, count)
                for unit, line, _, cents, carried, count in self._kept(at, *columns, year=year) if count}

    def _kept(self, at: int | None, *columns: str, year: int | None = None) -> list[tuple]:
        """(unit, line, year, *columns) of the figures (of ``year`` only, when given) as kept:
        now, the figures table; earlier, each figure's latest row in figure_history at or
        before the point, one index lookup per figure whatever the length of the history (a
        figure with no row there is left out: zero)."""
        in_year = "" if year is None else " WHERE f.year = :year"
        if at is None:
            sql = f"SELECT f.unit, f.line, f.year, {', '.join(f'f.{c}' for c in columns)} FROM figures f{in_year}"
        else:
            sql = (f"SELECT f.unit, f.line, f.year, {', '.join(f'h.{c}' for c in columns)} FROM figures f "
                   "JOIN figure_history h ON h.unit = f.unit AND h.line = f.line AND h.year = f.year "
                   "AND h.position = (SELECT MAX(position) FROM figure_history WHERE unit = f.unit AND line = f.line "
                   f"AND year = f.year AND position <= :p){in_year}")
        return [tuple(r) for r in self.conn.execute(sql, {"p": at, "year": year})]

    def show(self, at: int | None = None, *, adopted_only: bool = False, years: list[int] | None = None,
             unit: str | None = None, adopted_on: str | None = None, line: str | None = None) -> ShowTable:
        """The begroting: lines, units and totals in cents (render turns cents into text).
        ``adopted_on`` (an ISO date): the adopted budget on that day, by decision date. With
        ``unit`` or ``line`` ("unit/line"), only those lines, and the totals of what is shown."""
        horizon = list(self.horizon(at))
        shown = [y for y in horizon if years is None or y in years]
        adopted_only = adopted_only or adopted_on is not None
        figures = self.figures(at, adopted_only=adopted_only, adopted_on=adopted_on)
        adopted = self.figures(at, adopted_only=True) if not adopted_only else figures
        lines: list[ShowLine] = []
        units: dict[str, UnitTotals] = {}
        totals = {k: {y: 0 for y in shown} for k in BUCKETS}
        for r in self.lines(at):
            if (unit is not None and r["unit"] != unit) or (line is not None and f"{r['unit']}/{r['line']}" != line):
                continue
            amounts = {y: figures.get((r["unit"], r["line"], y), 0) for y in shown}
            pending = {y: amounts[y] - adopted.get((r["unit"], r["line"], y), 0) for y in shown}
            lines.append(ShowLine(r["unit"], r["unit_name"], r["line"], r["line_name"], r["type"], r["cost"],
                                  amounts, {y: a for y, a in pending.items() if a}))
            u = units.get(r["unit"])
            if u is None:
                u = units[r["unit"]] = UnitTotals(r["unit"], r["unit_name"], *({y: 0 for y in shown} for _ in BUCKETS))
            bucket = "reserves" if r["type"] == "reserve" else r["type"]
            per_unit = getattr(u, f"{bucket}_cents")
            for y in shown:
                per_unit[y] += amounts[y]
                totals[bucket][y] += amounts[y]
        t = totals_of(totals["lasten"], totals["baten"], totals["reserves"], shown)
        return ShowTable(
            organisation=self.organisation(), position=at if at is not None else self.head(),
            adopted_only=adopted_only, years=tuple(shown), lines=tuple(lines), units=tuple(units.values()),
            totals=Totals(lasten_cents=t["lasten"], baten_cents=t["baten"], reserves_cents=t["reserves"],
                          saldo_cents=t["saldo"], te_dekken_cents=t["te_dekken"]),
        )

    def diff(self, a: int | None, b: int | None, *, adopted_only: bool = False, show_all: bool = False,
             years: list[int] | None = None, unit: str | None = None, line: str | None = None,
             limit: int | None = None) -> Diff:
        """Every figure that differs between the points ``a`` and ``b`` (None: now), with the
        mutations that count at one of them and not at the other; only those ``years``, that
        ``unit`` and that ``line`` ("unit/line") when given. With ``limit``, each figure lists
        its latest ``limit`` causes and brings the rest forward as one amount. The figures at
        both points are read from figure_history, the causes per figure with their mutations
        from its index, and their documents once for all figures, so the answer costs the
        figures and causes it shows, not the length of the history."""
        a = self.head() if a is None else a
        b = self.head() if b is None else b
        before = self.figures(a, adopted_only=adopted_only)
        after = self.figures(b, adopted_only=adopted_only)
        names = {(r["unit"], r["line"]): r for r in self.lines(max(a, b))}
        lo, hi = min(a, b), max(a, b)
        # Documents recorded before both points whose adoption or withdrawal lies between them,
        # and horizon extensions between them: their effects can count at one point only too.
        lifecycle = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT d.position FROM lifecycle l JOIN documents d ON d.document = l.document "
            "WHERE l.position > :lo AND l.position <= :hi AND d.position <= :lo", {"lo": lo, "hi": hi})]
        extended = self.conn.execute("SELECT COUNT(*) FROM horizon WHERE position > ? AND position <= ?",
                                     (lo, hi)).fetchone()[0] > 0
        changed = []
        order = {k: n for n, k in enumerate(names)}
        for key in sorted(set(before) | set(after), key=lambda k: (order.get(k[:2], 0), k[2])):
            x, y = before.get(key, 0), after.get(key, 0)
            if (x == y and not show_all) or (years and key[2] not in years) or (unit and key[0] != unit) \
                    or (line and f"{key[0]}/{key[1]}" != line):
                continue
            changed.append((key, x, y, self._figure_causes(key, a, b, adopted_only, limit, lifecycle, extended)))
        documents = self._documents_at({row[0] for *_, rows in changed for row in rows})
        out = []
        for (unit_, line_, year), x, y, rows in changed:
            r = names.get((unit_, line_))
            shown = limit is None or len(rows) <= limit
            causes = tuple(
                Cause(position, f"{documents[position][0]}/{seq}", *documents[position], kind, reason, reference, amount)
                for position, seq, _, amount, kind, reason, reference in (rows if shown else rows[len(rows) - (limit or 0):]))
            out.append(DiffRow(
                unit=unit_, line=line_, unit_name=r["unit_name"] if r else "", line_name=r["line_name"] if r else "",
                year=year, before_cents=x, after_cents=y, change_cents=y - x, causes=causes,
                earlier_causes_cents=None if shown else y - x - sum(c.amount_cents for c in causes),
            ))
        return Diff(start=a, end=b, adopted_only=adopted_only, changes=tuple(out))

    def _figure_causes(self, key: tuple[str, str, int], a: int, b: int, adopted_only: bool, limit: int | None,
                       lifecycle: list[int], extended: bool) -> list[tuple]:
        """The effects on one figure that count at one point and not the other, in ledger order,
        as ``_cause_rows`` rows; with ``limit``, the latest ``limit + 1`` (one more says that
        there are earlier ones). Effects of the documents in ``lifecycle`` (adopted or withdrawn
        between the points) and those carried by a horizon extension (``extended``) all lie
        before both points, so they are read only when those recorded between the points are
        too few to fill the limit."""
        params = {"unit": key[0], "line": key[1], "year": key[2], "a": a, "b": b, "lo": min(a, b), "hi": max(a, b),
                  "n": (limit or 0) + 1}
        figure = "e.unit = :unit AND e.line = :line AND e.year = :year"
        rows = self._cause_rows(f"{figure} AND e.position > :lo AND e.position <= :hi", params, adopted_only,
                                limit=limit is not None)
        if limit is not None and len(rows) > limit:
            return rows[::-1]
        if lifecycle:
            rows += self._cause_rows(f"{figure} AND e.position IN ({', '.join(str(int(p)) for p in lifecycle)})",
                                     params, adopted_only, limit=limit is not None)
        if extended:  # carried into the years a horizon extension between the points added
            rows += self._cause_rows(f"{figure} AND e.position <= :lo AND e.since_position > :lo "
                                     "AND e.since_position <= :hi", params, adopted_only, limit=limit is not None)
        rows = sorted({r[:3]: r for r in rows}.values(), key=lambda r: r[:3])  # one row per effect, in ledger order
        return rows if limit is None else rows[-(limit + 1):]

    def _cause_rows(self, where: str, params: dict, adopted_only: bool, *, limit: bool = False) -> list[tuple]:
        """The effects ``where`` selects that count at one of the points ``:a`` and ``:b`` and
        not at the other, newest first (the latest ``:n`` with ``limit``), as (position, seq,
        leg, cents: negative when the effect counts at ``:a`` only, and the mutation's kind,
        reason and reference)."""
        counted_a, counted_b = counts_at(":a", adopted_only=adopted_only), counts_at(":b", adopted_only=adopted_only)
        return self.tuples(
            f"SELECT e.position, e.seq, e.leg, CASE WHEN {counted_b} THEN e.amount_cents ELSE -e.amount_cents END, "
            "m.kind, m.reason, m.reference FROM effects e JOIN documents d ON d.position = e.position "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            f"WHERE {where} AND {counted_a} != {counted_b} ORDER BY e.position DESC, e.seq DESC, e.leg DESC"
            + (" LIMIT :n" if limit else ""), params)

    def _documents_at(self, positions: set[int]) -> dict[int, tuple[str, str, str]]:
        """position → (document, title, kind) of the documents recorded at those positions."""
        if not positions:
            return {}
        listed = ", ".join(str(int(p)) for p in positions)
        return {position: (document, title, kind) for position, document, title, kind in self.conn.execute(
            f"SELECT position, document, title, kind FROM documents WHERE position IN ({listed})")}
