"""The audit trail of a figure: every mutation that made a line, a unit's lasten or the total
in a year, in ledger order with running totals, and ``explain``, which puts a figure, its
trail and (for a unit or the total) its parts together."""

from __future__ import annotations

import heapq
import json
import sqlite3
from dataclasses import replace

from projections.answers import BroughtForward, Explanation, Figure, Indexed, Leg, ReserveBalance, Step
from projections.common import counts_at
from projections.figures import Cells, FigureQueries


class TrailQueries(FigureQueries):
    def steps(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
              limit: int | None = None) -> list[Step]:
        """Every mutation that contributes to the figure in that year, in ledger order.

        With ``limit``, only the latest ``limit`` steps; the running totals then start from
        what the earlier ones brought forward (see ``brought_forward``)."""
        return self.trail(fig, year, at, adopted_only=adopted_only, limit=limit)[0]

    def trail(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
              limit: int | None = None, cells: Cells | None = None) -> tuple[list[Step], int, int]:
        """(latest steps, number of earlier steps, amount they brought forward). ``cells``:
        ``self.cells(at, adopted_only=adopted_only)`` when the caller has it already."""
        p = at if at is not None else self.head()
        # "e.position <= :p" is implied by counting at p, but said, so the index is read from p down.
        where = ["e.year = :year", "e.position <= :p", counts_at(":p", adopted_only=adopted_only)]
        if fig.kind in ("line", "unit"):
            where.append("e.unit = :unit")
        if fig.kind == "line":
            where.append("e.line = :line")
        else:
            where.append("l.type = 'lasten'")
        params = {"year": year, "p": p, "unit": fig.unit, "line": fig.line}
        select = (
            "SELECT e.position, e.seq, e.leg, e.unit, e.line, e.amount_cents, e.source_year, "
            "m.kind, m.reason, m.reference, m.structural, m.corrects_document, m.corrects_seq, m.indexation, "
            "d.document, d.title, d.kind AS document_kind, d.date, d.recorded_at, d.adopted_position "
            "FROM {effects} JOIN documents d ON d.position = e.position "
            "JOIN lines l ON l.unit = e.unit AND l.line = e.line "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq ")
        order = " ORDER BY e.position DESC, e.seq DESC, e.leg DESC"
        if fig.kind == "line" or limit is None:
            rows = self.conn.execute(select.format(effects="effects e") + f"WHERE {' AND '.join(where)}{order}"
                                     + (" LIMIT :limit" if limit is not None else ""),
                                     {**params, "limit": limit}).fetchall()[::-1]
        else:
            # A unit's or the total's latest steps are the latest of its lasten lines' latest
            # steps: each line's read from its index newest first, however far back they lie,
            # and no further back than the oldest of the latest found so far; only those
            # ``limit`` are then read in full.
            top: list[tuple[int, int, int]] = []  # a heap: its first is the oldest kept
            for r in self.lines(at) if limit > 0 else ():
                if r["type"] != "lasten" or (fig.kind == "unit" and r["unit"] != fig.unit):
                    continue
                for k in self.conn.execute(
                    "SELECT e.position, e.seq, e.leg FROM effects e JOIN documents d ON d.position = e.position "
                    "WHERE e.unit = :unit AND e.line = :line AND e.year = :year AND e.position <= :p "
                    f"AND e.position >= :floor AND {counts_at(':p', adopted_only=adopted_only)}{order} LIMIT :limit",
                    {**params, "unit": r["unit"], "line": r["line"], "limit": limit,
                     "floor": top[0][0] if len(top) == limit else 0}):
                    key = (k[0], k[1], k[2])
                    if len(top) < limit:
                        heapq.heappush(top, key)
                    elif key > top[0]:
                        heapq.heapreplace(top, key)
                    else:
                        break  # this line's remaining steps are older still
            keys = sorted(top)
            rows = []
            for start in range(0, len(keys), 1000):
                chunk = ", ".join(f"({int(k[0])}, {int(k[1])}, {int(k[2])})" for k in keys[start:start + 1000])
                rows += self.conn.execute(f"WITH k (position, seq, leg) AS (VALUES {chunk}) " + select.format(
                    effects="k JOIN effects e ON e.position = k.position AND e.seq = k.seq AND e.leg = k.leg "
                            "AND e.year = :year"), params).fetchall()
            rows.sort(key=lambda r: (r["position"], r["seq"], r["leg"]))
        earlier_count, earlier_cents = 0, 0
        if limit is not None and len(rows) == limit:
            # The figure and its number of steps at that point, from the figures kept per
            # point (``cells``): the lines of the unit or the total are summed, not the effects.
            lasten = set() if fig.kind == "line" else {
                (r["unit"], r["line"]) for r in self.lines(at) if r["type"] == "lasten"}
            total = count = 0
            if cells is None:
                cells = self.cells(at, adopted_only=adopted_only)
            for (unit, line, y), (cents, steps) in cells.items():
                if y == year and (fig.kind == "total" or unit == fig.unit) and (
                        line == fig.line if fig.kind == "line" else (unit, line) in lasten):
                    total, count = total + cents, count + steps
            earlier_count, earlier_cents = count - len(rows), total - sum(r["amount_cents"] for r in rows)
        shifts = {(r["position"], r["seq"]) for r in rows if r["kind"] == "verschuiving"}
        legs: dict[tuple[int, int], list] = {}
        if shifts:
            positions, seqs = sorted({p for p, _ in shifts}), sorted({s for _, s in shifts})
            for g in self.conn.execute(  # both IN lists walk the primary key; pairs are filtered here
                f"SELECT position, seq, leg, unit, line, amounts FROM legs WHERE position IN ({','.join('?' * len(positions))}) "
                f"AND seq IN ({','.join('?' * len(seqs))}) ORDER BY position, seq, leg", [*positions, *seqs],
            ):
                if (g["position"], g["seq"]) in shifts:
                    legs.setdefault((g["position"], g["seq"]), []).append(g)
        out, running = [], earlier_cents
        for r in rows:
            running += r["amount_cents"]
            other_legs = None
            if r["kind"] == "verschuiving":
                other_legs = tuple(Leg(f"{o['unit']}/{o['line']}", json.loads(o["amounts"]))
                                   for o in legs.get((r["position"], r["seq"]), []) if o["leg"] != r["leg"]) or None
            indexed = None
            if r["indexation"]:
                i = next((i for i in json.loads(r["indexation"]) if i["unit"] == r["unit"] and i["line"] == r["line"]),
                         None)
                indexed = Indexed(i["base_cents"], i["rate_percent"], i["outcome_cents"]) if i else None
            out.append(Step(
                position=r["position"], seq=r["seq"], mutation=f"{r['document']}/{r['seq']}", document=r["document"],
                title=r["title"], document_kind=r["document_kind"],
                status="adopted" if r["adopted_position"] and r["adopted_position"] <= p else "proposed",
                kind=r["kind"], reason=r["reason"], reference=r["reference"], recorded_at=r["recorded_at"],
                date=r["date"], unit=r["unit"], line=r["line"], structural=bool(r["structural"]),
                amount_cents=r["amount_cents"], running_total_cents=running,
                corrects=f"{r['corrects_document']}/{r['corrects_seq']}" if r["corrects_document"] else None,
                carried_from=r["source_year"] if r["source_year"] != year else None,
                other_legs=other_legs, indexation=indexed,
            ))
        return out, earlier_count, earlier_cents

    def explain(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
                with_children: bool = True, limit: int | None = None) -> Explanation:
        """A figure with its steps (the latest ``limit``); a unit also with its lines, each with
        its steps; the total with its units and their lines as amounts and numbers of steps only
        (all brought forward, none listed): the total lists its own steps, and a part's are one
        ``explain`` of that part away. So the total costs one trail, not one per figure."""
        # The figures and the chart are read once for the whole tree: one indexed read of the
        # figures kept per point, whatever the length of the history.
        cells = self.cells(at, adopted_only=adopted_only)
        lines = self.lines(at)
        tree = _Tree(year, at if at is not None else self.head(), adopted_only, cells, lines)
        trail = self.trail(fig, year, at, adopted_only=adopted_only, limit=limit, cells=cells)
        result = tree.node(fig, trail)
        if fig.kind != "line" and with_children:
            parts = []
            for part in tree.parts(fig):
                if part.kind == "line":  # a unit's lines, with their steps
                    line_trail = self.trail(part, year, at, adopted_only=adopted_only, limit=limit, cells=cells)
                    parts.append(tree.node(part, line_trail))
                else:  # the total's units, and their lines, without steps
                    parts.append(replace(tree.node(part, None),
                                         children=tuple(tree.node(c, None) for c in tree.parts(part))))
            result = replace(result, children=tuple(parts))
        if fig.kind == "line" and tree.kinds.get((fig.unit, fig.line)) == "reserve":
            from projections.reserves import ReserveQueries

            (row,) = [r for r in ReserveQueries(self.conn).reserves(at, adopted_only=adopted_only, years=[year],
                                                                    unit=fig.unit) if r.line == fig.line]
            result = replace(result, reserve=ReserveBalance(row.opening_cents, row.toevoegingen_cents,
                                                            row.onttrekkingen_cents, row.closing_cents))
        return result


class _Tree:
    """The figures of one year at one point, and how an explanation's nodes are made of them."""

    def __init__(self, year: int, position: int, adopted_only: bool, cells: Cells, lines: list[sqlite3.Row]):
        self.year, self.position, self.adopted_only, self.lines = year, position, adopted_only, lines
        self.kinds = {(r["unit"], r["line"]): r["type"] for r in lines}
        # (unit, line) → (cents, steps) in that year
        self.cells = {(u, line): value for (u, line, y), value in cells.items() if y == year}

    def parts(self, fig: Figure) -> list[Figure]:
        if fig.kind == "total":
            return [Figure("unit", u, name=n) for u, n in {r["unit"]: r["unit_name"] for r in self.lines}.items()]
        return [Figure("line", r["unit"], r["line"], f"{r['unit_name']}/{r['line_name']}")
                for r in self.lines if r["unit"] == fig.unit]

    def sum(self, fig: Figure, types: tuple[str, ...]) -> tuple[int, int]:
        """(cents, steps) of the figure's lines of those types."""
        cents = steps = 0
        for (u, line), (c, n) in self.cells.items():
            if self.kinds.get((u, line)) in types and (fig.kind == "total" or u == fig.unit) \
                    and (fig.kind != "line" or line == fig.line):
                cents, steps = cents + c, steps + n
        return cents, steps

    def node(self, fig: Figure, trail: tuple[list[Step], int, int] | None) -> Explanation:
        """The figure with its trail (steps, earlier count, earlier amount); without one, every
        step is brought forward: its number and amount, from the kept figures."""
        lasten = baten = saldo = None
        if fig.kind == "line":
            total, count = self.sum(fig, ("lasten", "baten", "reserve"))
        else:
            (total, count), (baten, _) = self.sum(fig, ("lasten",)), self.sum(fig, ("baten",))
            lasten, saldo = total, baten - total
        steps, earlier_count, earlier_cents = trail if trail is not None else ([], count, total)
        return Explanation(
            figure=fig.address, name=fig.name, kind=fig.kind, year=self.year, position=self.position,
            adopted_only=self.adopted_only, amount_cents=total, lasten_cents=lasten, baten_cents=baten,
            saldo_cents=saldo, steps=tuple(steps),
            brought_forward=BroughtForward(earlier_count, earlier_cents) if earlier_count else None,
        )
