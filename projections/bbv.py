"""BBV and Iv3 answered from the read models: the begroting per programma, the overzicht van
baten en lasten with the incidentele baten en lasten and the structureel begrotingssaldo, the
Iv3 cells (taakveld × categorie) of a year and the trail of one cell.

A line's classification in a year is the row of ``classifications`` with the latest from-year
at or before it (within it the latest position) recorded by the point asked. Amounts come from
the same effects and figures as ``show`` and ``balance``: a reserve line's net amount in a year
is a toevoeging when positive and an onttrekking when negative."""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from projections.bbv_answers import (
    NO_PROGRAMMA,
    BbvOverview,
    Iv3Cell,
    Iv3Cells,
    Iv3Step,
    Iv3Trail,
    PartRow,
    ProgrammaDiff,
    ProgrammaRow,
    ProgrammaTable,
    ProgrammaYears,
    YearBalance,
)
from projections.common import counts_at
from projections.errors import UnknownName
from projections.queries import Views
from projections.rules import Rules

# BBV art. 17: what the overzicht van baten en lasten shows apart from the programma's, by
# taakveld (a provincie budgets onvoorzien within 0.5, algemene dekkingsmiddelen overig).
OVERVIEW_TAAKVELDEN: dict[str, dict[str, tuple[str, ...]]] = {
    "provincie": {"algemene_dekkingsmiddelen": ("0.1", "0.2", "0.3", "0.4", "0.5"), "overhead": ("0.6",),
                  "vpb": ("0.7",), "onvoorzien": ()},
    "gemeente": {"algemene_dekkingsmiddelen": ("0.5", "0.61", "0.62", "0.63", "0.64", "0.7"), "overhead": ("0.4",),
                 "vpb": ("0.9",), "onvoorzien": ("0.8",)},
}
OVERVIEW_TAAKVELDEN["gr"] = OVERVIEW_TAAKVELDEN["gemeente"]
Address = tuple[str, str]
Class = tuple[str, str, str]  # programma, taakveld, categorie
NO_NAME = "(geen programma)"


class Bbv:
    def __init__(self, views: Views):
        self.views = views
        self.conn = views.conn
        # (year, position, adopted only) -> line -> (type, structural, incidental): one answer's sums
        self._amounts: dict[tuple[int, int, bool], dict[Address, tuple[str, int, int]]] = {}

    # ------------------------------------------------------------ classification

    def overheidslaag(self) -> str:
        row = self.conn.execute("SELECT value FROM ledger WHERE key = 'overheidslaag'").fetchone()
        return row[0] if row else ""

    def profile(self) -> dict[str, str]:
        """overheidslaag, overheidsnummer and the Iv3 contact, as described (empty when not)."""
        keys = ("overheidslaag", "overheidsnummer", "contact_name", "contact_email", "contact_phone")
        found = dict(self.conn.execute(f"SELECT key, value FROM ledger WHERE key IN ({', '.join('?' * len(keys))})",
                                       keys).fetchall())
        return {k: found.get(k) or "" for k in keys}

    def classes(self, year: int, at: int | None = None) -> dict[Address, Class]:
        """Each classified line's (programma, taakveld, categorie) in ``year``, as recorded by ``at``."""
        p = at if at is not None else self.views.head()
        out: dict[Address, Class] = {}
        for unit, line, programma, taakveld, categorie in self.conn.execute(
                "SELECT unit, line, programma, taakveld, categorie FROM classifications "
                "WHERE from_year <= ? AND position <= ? ORDER BY unit, line, from_year, position", (year, p)):
            out[(unit, line)] = (programma, taakveld, categorie)
        return out

    def programma_names(self, at: int | None = None) -> dict[str, str]:
        """The programma's declared by ``at``, in the order first declared, each with the name it had then."""
        p = at if at is not None else self.views.head()
        names: dict[str, str] = {}
        for programma, name in self.conn.execute(
                "SELECT programma, name FROM programmas WHERE position <= ? ORDER BY position, ordinal", (p,)):
            names[programma] = name  # a later row renames; the first keeps its place
        return names

    # ------------------------------------------------------------ per programma

    def by_programma(self, at: int | None = None, *, adopted_only: bool = False,
                     years: list[int] | None = None) -> ProgrammaTable:
        """The begroting per programma: each year's lasten, baten, saldo and reserve mutations."""
        shown = [y for y in self.views.horizon(at) if years is None or y in years]
        return ProgrammaTable(
            organisation=self.views.organisation(), position=at if at is not None else self.views.head(),
            adopted_only=adopted_only, years=tuple(shown),
            programmas=tuple(self._per_programma(at, adopted_only, shown)))

    def diff_by_programma(self, a: int | None, b: int | None, *, adopted_only: bool = False,
                          years: list[int] | None = None) -> ProgrammaDiff:
        """Each programma before and after, and the change, between two points (b: now if None):
        a reclassified line moves its amounts from one programma to another."""
        shown = [y for y in self.views.horizon(b) if years is None or y in years]
        before = self._per_programma(a, adopted_only, shown, keep_unprogrammed=True)
        after = self._per_programma(b, adopted_only, shown, keep_unprogrammed=True)
        was, now = {r.programma: r for r in before}, {r.programma: r for r in after}
        change = []
        for programma in [*now, *(p for p in was if p not in now)]:
            n, o = now.get(programma), was.get(programma)
            delta = [{y: (getattr(n, f)[y] if n else 0) - (getattr(o, f)[y] if o else 0) for y in shown}
                     for f in ("lasten_cents", "baten_cents", "saldo_cents", "toevoegingen_cents", "onttrekkingen_cents")]
            if any(any(d.values()) for d in delta):
                change.append(ProgrammaYears(programma, (n or o).name, *delta))  # type: ignore[union-attr]
        before = [r for r in before if r.programma != NO_PROGRAMMA or _any(r)]
        after = [r for r in after if r.programma != NO_PROGRAMMA or _any(r)]
        return ProgrammaDiff(from_position=a or 0, to_position=b if b is not None else self.views.head(),
                             years=tuple(shown), before=tuple(before), after=tuple(after), change=tuple(change))

    def _per_programma(self, at: int | None, adopted_only: bool, years: list[int], *,
                       keep_unprogrammed: bool = False) -> list[ProgrammaYears]:
        """Each programma's lasten, baten, saldo, toevoegingen and onttrekkingen per year, from
        the same line amounts as the overview (a reserve's structural and incidental parts apart)."""
        p = at if at is not None else self.views.head()
        names = self.programma_names(p)
        sums: dict[str, dict[str, dict[int, int]]] = {name: _buckets(years) for name in names}
        for year in years:
            classes = self.classes(year, p)
            for address, (kind, structural, incidental) in self._line_amounts(year, p, adopted_only).items():
                bucket = sums.setdefault(classes.get(address, (NO_PROGRAMMA,))[0] or NO_PROGRAMMA, _buckets(years))
                for part in (structural, incidental):
                    _add(bucket, kind, year, part)
        if NO_PROGRAMMA in sums:
            sums[NO_PROGRAMMA] = sums.pop(NO_PROGRAMMA)
        rows = []
        for programma, b in sums.items():
            if programma == NO_PROGRAMMA and not keep_unprogrammed and not any(any(v.values()) for v in b.values()):
                continue
            rows.append(ProgrammaYears(programma, names.get(programma, NO_NAME), b["lasten"], b["baten"],
                                       {y: b["baten"][y] - b["lasten"][y] for y in years},
                                       b["toevoegingen"], b["onttrekkingen"]))
        return rows

    def document_programmas(self, document: str, at: int | None = None) -> tuple[ProgrammaYears, ...]:
        """What a document changed per programma, as it was recorded (BBV art. 17: a
        begrotingswijziging is stated per programma); empty when the ledger has no programma's."""
        row = self.conn.execute("SELECT position FROM documents WHERE document = ?", (document,)).fetchone()
        names = self.programma_names(row[0]) if row is not None else {}
        if not names or row is None:
            return ()
        p = row[0]
        touched = self.conn.execute("SELECT DISTINCT unit, line, year FROM effects WHERE position = ?", (p,)).fetchall()
        before, after = self.views.cells(p - 1), self.views.cells(p)
        types = {(r["unit"], r["line"]): r["type"] for r in self.views.lines(p)}
        classes = {y: self.classes(y, p) for y in self.views.horizon(p)}  # as it was recorded
        changes = [(u, line, y, before.get((u, line, y), (0, 0))[0], after.get((u, line, y), (0, 0))[0])
                   for u, line, y in touched if y in classes]
        return programma_change(changes, types, lambda a, y: classes[y].get(a, (NO_PROGRAMMA,))[0], names,
                                list(self.views.horizon(p)))

    # ------------------------------------------------------------ the BBV overviews

    def overview(self, year: int, at: int | None = None, *, adopted_only: bool = False) -> BbvOverview:
        self.views.check_years([year], at)
        p = at if at is not None else self.views.head()
        laag = self.overheidslaag()
        amounts = self._line_amounts(year, p, adopted_only)
        classes = self.classes(year, p)
        names = self.programma_names(p)
        whole = _rows(names, classes, {a: (t, (s, i)) for a, (t, s, i) in amounts.items()})
        incidental = _rows(names, classes, {a: (t, (i,)) for a, (t, _, i) in amounts.items()}, keep_empty=False)
        parts, note = self._contributions(year, p, adopted_only)
        contributions = sum(parts) if parts else None
        saldo = sum(r.saldo_cents for r in whole) + (contributions or 0)
        toevoegingen, onttrekkingen = (sum(r.toevoegingen_cents for r in whole), sum(r.onttrekkingen_cents for r in whole))
        resultaat = saldo - toevoegingen + onttrekkingen
        incidental_saldo = sum(r.saldo_cents - r.toevoegingen_cents + r.onttrekkingen_cents for r in incidental)
        incidental_saldo += parts[1] if parts else 0
        structural = resultaat - incidental_saldo
        return BbvOverview(
            organisation=self.views.organisation(), overheidslaag=laag, year=year, position=p,
            adopted_only=adopted_only, programmas=tuple(whole), apart=self._apart(laag, classes, amounts),
            saldo_van_baten_en_lasten_cents=saldo, toevoegingen_cents=toevoegingen, onttrekkingen_cents=onttrekkingen,
            geraamd_resultaat_cents=resultaat, incidenteel=tuple(incidental), incidenteel_saldo_cents=incidental_saldo,
            structureel_saldo_cents=structural, structureel_evenwicht=structural >= 0,
            per_year=tuple(YearBalance(y, s, s >= 0) for y, s in (
                (y, structural if y == year else self.overview_structural(y, p, adopted_only))
                for y in self.views.horizon(p))),
            contributions_cents=contributions, note=note)

    def _contributions(self, year: int, p: int, adopted_only: bool) -> tuple[tuple[int, int] | None, str | None]:
        """A joint body's participants' contributions in the year, (structural, incidental), as
        `balance` counts them as its baten, with `balance`'s note; None when it has none (not a
        joint body, or no key in force)."""
        if self.views.organisation_kind() != "gr":
            return None, None
        b = Rules(self.views).balance(year, p, adopted_only=adopted_only, limit=0)
        if b.structural_contributions_cents is None or (b.note or "").startswith("a joint body (gr), but"):
            return None, b.note
        return (b.structural_contributions_cents, b.incidental_contributions_cents or 0), b.note

    def overview_structural(self, year: int, p: int, adopted_only: bool) -> int:
        """The structureel begrotingssaldo of a year: structural baten − lasten − net reserve mutations."""
        amounts = self._line_amounts(year, p, adopted_only)
        parts, _ = self._contributions(year, p, adopted_only)
        return sum(_signed(kind, s) for kind, s, _ in amounts.values()) + (parts[0] if parts else 0)

    def _apart(self, laag: str, classes: dict[Address, Class],
               amounts: dict[Address, tuple[str, int, int]]) -> tuple[PartRow, ...]:
        rows = []
        for part, taakvelden in OVERVIEW_TAAKVELDEN.get(laag, {}).items():
            lasten = baten = 0
            for address, (kind, s, i) in amounts.items():
                if classes.get(address, ("", "", ""))[1] in taakvelden:
                    lasten += s + i if kind == "lasten" else 0
                    baten += s + i if kind == "baten" else 0
            rows.append(PartRow(part, taakvelden, lasten, baten, baten - lasten))
        return tuple(rows)

    def _line_amounts(self, year: int, p: int, adopted_only: bool) -> dict[Address, tuple[str, int, int]]:
        """Each line's (type, structural cents, incidental cents) in the year at position p,
        from the figures kept per point (``year_cells``), kept for the next question."""
        key = (year, p, adopted_only)
        if key not in self._amounts:
            types = {(r["unit"], r["line"]): r["type"] for r in self.views.lines(p)}
            self._amounts[key] = {address: (types[address], structural, cents - structural) for address, (
                cents, structural, _) in self.views.year_cells(year, p, adopted_only=adopted_only).items()}
        return self._amounts[key]

    # ------------------------------------------------------------ Iv3

    def iv3_cells(self, year: int, at: int | None = None, *, adopted_only: bool = False) -> Iv3Cells:
        """Lasten and baten per taakveld × categorie in the year, from every line's figure."""
        self.views.check_years([year], at)
        p = at if at is not None else self.views.head()
        classes = self.classes(year, p)
        amounts = self._line_amounts(year, p, adopted_only)
        sides: dict[str, dict[tuple[str, str], list]] = {"lasten": {}, "baten": {}}
        unclassified = []
        for r in self.views.lines(p):
            address = (r["unit"], r["line"])
            _, taakveld, categorie = classes.get(address, ("", "", ""))
            kind, *parts = amounts.get(address, (r["type"], 0, 0))
            if not any(parts):
                continue  # nothing to deliver: it need not be classified
            if not taakveld:
                unclassified.append(f"{r['unit']}/{r['line']}")
                continue
            for side, amount in _iv3_sides(kind, parts):
                cell = sides[side].setdefault((taakveld, categorie), [0, []])
                cell[0] += amount
                if cell[1][-1:] != [f"{r['unit']}/{r['line']}"]:
                    cell[1].append(f"{r['unit']}/{r['line']}")
        return Iv3Cells(year=year, position=p, adopted_only=adopted_only,
                        lasten=_cells(sides["lasten"]), baten=_cells(sides["baten"]), unclassified=tuple(unclassified))

    def iv3_trail(self, taakveld: str, categorie: str, year: int, at: int | None = None, *,
                  adopted_only: bool = False, limit: int | None = 50) -> Iv3Trail:
        """The lines on one Iv3 cell in the year and the mutations that made their amounts."""
        self.views.check_years([year], at)
        p = at if at is not None else self.views.head()
        on_cell = {a: c for a, c in self.classes(year, p).items() if c[1:] == (taakveld, categorie)}
        if not on_cell:
            known = sorted({f"{c[1]} {c[2]}" for c in self.classes(year, p).values() if c[1]})
            raise UnknownName(f"--iv3 {taakveld} {categorie}: no line is classified on that cell in {year}"
                              + (f"; the cells in use: {', '.join(known[:8])}" if known else ""))
        types = {(r["unit"], r["line"]): r["type"] for r in self.views.lines(p)}
        amounts = self._line_amounts(year, p, adopted_only)
        lines, sides = [], {"lasten": 0, "baten": 0}
        for address in sorted(on_cell):
            kind, *parts = amounts.get(address, (types[address], 0, 0))
            for side, amount in _iv3_sides(kind, parts):
                sides[side] += amount
            lines.append(Iv3Cell(taakveld, categorie, sum(parts), (f"{address[0]}/{address[1]}",)))
        steps = []
        for address in sorted(on_cell):
            steps += [Iv3Step(r[0], r[1], r[2], r[3], f"{address[0]}/{address[1]}", r[4], r[5]) for r in self.conn.execute(
                "SELECT e.position, d.document, e.seq, m.kind, m.reason, e.amount_cents "
                "FROM effects e JOIN mutations m USING (position, seq) JOIN documents d ON d.position = e.position "
                "WHERE e.unit = :unit AND e.line = :line AND e.year = :year "
                f"AND {counts_at(':p', adopted_only=adopted_only)} ORDER BY e.position, e.seq, e.leg",
                {"unit": address[0], "line": address[1], "year": year, "p": p})]
        steps.sort(key=lambda s: (s.position, s.seq, s.line))
        cut = len(steps) - limit if limit is not None and len(steps) > limit else 0
        return Iv3Trail(taakveld=taakveld, categorie=categorie, year=year, position=p,
                        lasten_cents=sides["lasten"], baten_cents=sides["baten"], lines=tuple(lines),
                        brought_forward_cents=sum(s.amount_cents for s in steps[:cut]), brought_forward_steps=cut,
                        steps=tuple(steps[cut:]))


# ---------------------------------------------------------------- helpers


def programma_change(changes: Iterable[tuple[str, str, int, int, int]], types: Mapping[Address, str],
                     programma_of: Callable[[Address, int], str], names: Mapping[str, str],
                     years: list[int]) -> tuple[ProgrammaYears, ...]:
    """Per programma, what figures changing from before to after (unit, line, year, before,
    after) change of its lasten, baten, saldo, toevoegingen and onttrekkingen: a reserve line's
    toevoeging and onttrekking are taken from its net amount before and after, not from the change."""
    sums: dict[str, tuple[dict, dict]] = {}
    for unit, line, year, before, after in changes:
        programma = programma_of((unit, line), year) or NO_PROGRAMMA
        was, now = sums.setdefault(programma, (_buckets(years), _buckets(years)))
        _add(was, types.get((unit, line), "lasten"), year, before)
        _add(now, types.get((unit, line), "lasten"), year, after)
    rows = []
    for programma, (was, now) in sums.items():
        delta = {k: {y: now[k][y] - was[k][y] for y in years} for k in now}
        if any(any(v.values()) for v in delta.values()):
            rows.append(ProgrammaYears(programma, names.get(programma, NO_NAME), delta["lasten"], delta["baten"],
                                       {y: delta["baten"][y] - delta["lasten"][y] for y in years},
                                       delta["toevoegingen"], delta["onttrekkingen"]))
    order = {p: n for n, p in enumerate(names)}
    return tuple(sorted(rows, key=lambda r: order.get(r.programma, len(order))))


def _buckets(years: Iterable[int]) -> dict[str, dict[int, int]]:
    return {k: {y: 0 for y in years} for k in ("lasten", "baten", "toevoegingen", "onttrekkingen")}


def _add(bucket: dict[str, dict[int, int]], kind: str, year: int, amount: int) -> None:
    """A line's amount into its programma's bucket: a reserve's net amount is a toevoeging
    (positive) or an onttrekking (negative, counted as a positive onttrekking)."""
    if kind == "reserve":
        bucket["toevoegingen" if amount > 0 else "onttrekkingen"][year] += abs(amount)
    else:
        bucket[kind][year] += amount


def _rows(names: dict[str, str], classes: dict[Address, Class], amounts: dict[Address, tuple[str, tuple[int, ...]]],
          *, keep_empty: bool = True) -> list[ProgrammaRow]:
    """One row per programma (declared ones first, in order; lines without one last). A
    reserve line's parts (structural, incidental) each net to a toevoeging or an onttrekking."""
    sums = {p: [0, 0, 0, 0] for p in names}
    for address, (kind, parts) in amounts.items():
        row = sums.setdefault(classes.get(address, (NO_PROGRAMMA,))[0] or NO_PROGRAMMA, [0, 0, 0, 0])
        for amount in parts:
            if kind == "reserve":
                row[2 if amount > 0 else 3] += abs(amount)
            else:
                row[0 if kind == "lasten" else 1] += amount
    if NO_PROGRAMMA in sums:
        sums[NO_PROGRAMMA] = sums.pop(NO_PROGRAMMA)
    return [ProgrammaRow(p, names.get(p, NO_NAME), lasten, baten, baten - lasten, toe, ont)
            for p, (lasten, baten, toe, ont) in sums.items()
            if (keep_empty and p != NO_PROGRAMMA) or any((lasten, baten, toe, ont))]


def _signed(kind: str, amount: int) -> int:
    """What a line's amount adds to the geraamd resultaat: baten add, lasten and toevoegingen take away."""
    return amount if kind == "baten" else -amount


def _iv3_sides(kind: str, parts: list[int]) -> list[tuple[str, int]]:
    """Where a line's amount goes in Iv3: a reserve's toevoegingen are lasten and its onttrekkingen
    baten (each part netted), any other line on its own side."""
    if kind != "reserve":
        return [(kind, sum(parts))]
    return [("lasten", a) if a > 0 else ("baten", -a) for a in parts if a]


def _any(row: ProgrammaYears) -> bool:
    return any(any(v.values()) for v in (row.lasten_cents, row.baten_cents, row.toevoegingen_cents,
                                          row.onttrekkingen_cents))


def _cells(found: dict[tuple[str, str], list]) -> tuple[Iv3Cell, ...]:
    return tuple(Iv3Cell(t, c, amount, tuple(lines)) for (t, c), (amount, lines) in sorted(found.items(), key=_code_order))


def _code_order(item: tuple[tuple[str, str], list]) -> tuple:
    (taakveld, categorie), _ = item
    return tuple(int(x) for x in taakveld.split(".")), tuple(int(x) for x in categorie.split("."))
