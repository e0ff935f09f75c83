"""Reconciling the ledger with a published table (CSV: unit, line, year, amount[, measure]),
or the participants' contributions with a published one (participant, year, amount[,
measure]): every row is checked whole first, then compared, to the cent, within a tolerance.

A figure published in thousands or millions is as precise as the digits it was published
with: "53.9 millions" agrees with € 53.916.908, which rounds (half away from zero) to it. Such
a row is ``rounded`` rather than ``ok``, its difference is still shown, and the rows are
counted apart: a figure published as "0" millions agrees with anything under half a million.
``strict`` refuses agreement by rounding; the tolerance is then the only allowance."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable

from ledger.errors import InvalidInput, LedgerError, Problem, UnknownFigure
from ledger.money import decimal_text, to_decimal
from projections.common import fold
from projections.contributions import ContributionQueries
from projections.errors import NoKeyInForce
from projections.queries import Views

MEASURES = {"": 1, "euro": 1, "euros": 1, "eur": 1, "thousands": 1_000, "duizenden": 1_000, "x1000": 1_000,
            "millions": 1_000_000, "miljoenen": 1_000_000, "mln": 1_000_000}
PUBLISHED_AMOUNT = re.compile(r"^[+-]?[0-9]{1,15}(\.[0-9]{1,6})?$")  # ASCII digits; no NaN, no exponent
PUBLISHED_YEAR = re.compile(r"^[0-9]{4}$")


def published_amount(text: str) -> Decimal | None:
    """A published figure (or a tolerance) as a plain decimal; None when it is not one."""
    text = (text or "").strip().replace(" ", "")
    return Decimal(text) if PUBLISHED_AMOUNT.match(text) else None


def _rounds_to(cents: int, published: Decimal, factor: int) -> bool:
    """Whether the ledger's figure, in the published measure (thousands, millions) and rounded
    half away from zero to the published decimals, is the published figure."""
    if factor == 1:
        return False
    places = max(0, -int(published.as_tuple().exponent))
    ours = (to_decimal(cents) / factor).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return ours == published


def tolerance(text: str) -> Decimal:
    """``--tolerance``: a plain non-negative number."""
    limit = published_amount(text)
    if limit is None or limit < 0:
        raise LedgerError(f"--tolerance {text[:30]!r}: give a plain non-negative number, e.g. 0.05")
    return limit


@dataclass(frozen=True)
class ReconciledRow:
    row: int
    figure: str
    name: str
    year: int
    published: str
    measure: str
    ledger: str  # euros, as decimal text
    difference: str
    status: str  # ok | rounded (agrees to the precision published) | warning | mismatch


@dataclass(frozen=True)
class Reconciliation:
    file: str
    tolerance: str
    rows: tuple[ReconciledRow, ...]
    mismatches: int
    warnings: int
    rounded: int  # rows that agree only at the precision published (none with strict)


def reconcile(views: Views, path: str, limit: Decimal, at: int | None = None,
              adopted_only: bool = False, strict: bool = False) -> Reconciliation:
    """Compare the ledger with a published table (unit, line, year, amount[, measure])."""
    show = views.show(at, adopted_only=adopted_only)
    figures = {(x.unit, x.line): x.years_cents for x in show.lines}
    units = {u.unit: u.lasten_cents for u in show.units}

    def ours(r: dict[str, str], year: int) -> tuple[str, str, int | None]:
        address = f"{r['unit'].strip()}/{r['line'].strip()}" if (r["line"] or "").strip() else r["unit"].strip()
        fig = views.resolve_figure(address)
        amounts = figures.get((fig.unit, fig.line), {}) if fig.kind == "line" else units.get(fig.unit, {})
        return fig.address, fig.name, amounts.get(year)

    return _compare(path, ("unit", "line", "year", "amount"), limit, ours, strict)


def reconcile_contributions(views: Views, path: str, limit: Decimal, at: int | None = None,
                            adopted_only: bool = False, strict: bool = False) -> Reconciliation:
    """Compare each participant's contribution with a published table (participant, year,
    amount[, measure])."""
    asked = ContributionQueries(views)
    horizon = views.horizon(at)
    found: dict[int, dict[str, tuple[str, int]]] = {}

    def ours(r: dict[str, str], year: int) -> tuple[str, str, int | None]:
        if year not in horizon:
            return r["participant"].strip(), "", None
        if year not in found:
            result = asked.contributions(year, at, adopted_only=adopted_only)
            found[year] = {fold(p.name): (p.name, p.amount_cents) for p in result.participants}
        name, amount = found[year].get(fold(r["participant"]), ("", None))
        if not name:
            known = ", ".join(n for n, _ in found[year].values()) or "none"
            raise UnknownFigure(f"{r['participant'].strip()[:60]!r} is not a participant in {year} ({known})")
        return name, name, amount

    return _compare(path, ("participant", "year", "amount"), limit, ours, strict)


def _compare(path: str, columns: tuple[str, ...], limit: Decimal,
             ours: Callable[[dict[str, str], int], tuple[str, str, int | None]], strict: bool = False) -> Reconciliation:
    """Every row of the CSV file at ``path`` checked whole first, then compared with what
    ``ours(row, year)`` says the ledger holds: (what the row names, its name, cents or None)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InvalidInput([Problem(path, "", f"cannot read file: {err.strerror}")]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput([Problem(path, f"column {c}", "is missing") for c in missing])
    problems, rows = [], []
    for n, r in enumerate(reader, start=2):
        if None in r or None in r.values():
            problems.append(Problem(path, f"row {n}", "has another number of cells than the header"))
            continue
        measure = (r.get("measure") or "").strip().lower()
        published = published_amount(r["amount"])
        year_text = (r["year"] or "").strip()
        if measure not in MEASURES:
            problems.append(Problem(path, f"row {n}, column measure",
                                    f"{measure[:20]!r} is not one of euro, thousands, millions"))
            continue
        if published is None:
            problems.append(Problem(path, f"row {n}, column amount",
                                    f"{(r['amount'] or '')[:30]!r} is not a plain number (e.g. 1234.56)"))
            continue
        if not PUBLISHED_YEAR.match(year_text):
            problems.append(Problem(path, f"row {n}, column year", f"{year_text[:20]!r} is not a year"))
            continue
        factor, year = MEASURES[measure], int(year_text)
        try:
            figure, name, cents = ours(r, year)
        except (UnknownFigure, NoKeyInForce) as err:
            problems.append(Problem(path, f"row {n}", str(err)))
            continue
        if cents is None:
            problems.append(Problem(path, f"row {n}", f"the ledger has no {year} for {figure}"))
            continue
        difference = to_decimal(cents) - published * factor
        status = ("ok" if difference == 0 else "rounded" if not strict and _rounds_to(cents, published, factor)
                  else "warning" if abs(difference) <= limit * factor else "mismatch")
        rows.append(ReconciledRow(row=n, figure=figure, name=name, year=year, published=str(published),
                                  measure=measure or "euro", ledger=decimal_text(cents), difference=str(difference),
                                  status=status))
    if problems:
        raise InvalidInput(problems)
    return Reconciliation(file=path, tolerance=str(limit), rows=tuple(rows),
                          mismatches=sum(r.status == "mismatch" for r in rows),
                          warnings=sum(r.status == "warning" for r in rows),
                          rounded=sum(r.status == "rounded" for r in rows))
