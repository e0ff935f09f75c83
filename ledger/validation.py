"""Checks a parsed document against the ledger and turns it into the mutations to store.

Every rule of DOMAIN.md that needs the ledger is here: lines exist, years lie in the
horizon, shifts net to zero per year, a kasschuif nets to zero over the years,
corrections name an existing mutation, reserves never go below zero, and indexation
is computed once, here, so that replay never recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from events import (
    ChartLine,
    ChartUnit,
    IndexedLine,
    Leg,
    Mutation,
    carries,
    mutation_effects,
    year_effects,
)
from ledger.domain import LedgerState
from ledger.errors import InvalidInput, Problem
from ledger.money import euro as _euros, round_half_away
from ledger.parsing import DocumentInput, MutationInput

# (address "unit/line", year) -> cents, as the read models have it now
FigureLookup = Callable[[str, int], int]
# (document, seq) -> (the document's status or None if unknown, the mutation's lines or None if it has no such mutation)
MutationLookup = Callable[[str, int], "tuple[str | None, set[str] | None]"]


@dataclass
class Checked:
    """A document ready to store: the chart it adds and its mutations."""

    new_units: list[ChartUnit]
    mutations: list[Mutation]
    excluded_from_indexation: list[str] = field(default_factory=list)


def check_document(
    doc: DocumentInput,
    ledger: LedgerState,
    find_mutation: MutationLookup,
    figure: FigureLookup,
) -> Checked:
    problems: list[Problem] = list(doc.problems)

    def problem(field_: str, message: str) -> None:
        problems.append(Problem(doc.source, field_, message))

    # The chart: new units and lines, or exact repeats of ones the ledger has.
    lines: dict[str, ChartLine] = dict(ledger.lines)
    new_units: list[ChartUnit] = []
    for i, unit in enumerate(doc.chart, start=1):
        known_name = ledger.unit_names.get(unit.id)
        if known_name is not None and known_name != unit.name:
            problem(f"chart.{i}.name", f"unit {unit.id!r} already exists as {known_name!r}")
        fresh = []
        for j, line in enumerate(unit.lines, start=1):
            address = f"{unit.id}/{line.id}"
            known = ledger.lines.get(address)
            if known is None:
                fresh.append(line)
                lines[address] = line
            elif known != line:
                problem(f"chart.{i}.lines.{j}", f"line {address!r} already exists with another definition ({known.name!r}, {known.type})")
        if fresh:
            new_units.append(ChartUnit(id=unit.id, name=unit.name, lines=tuple(fresh)))

    years = ledger.years
    mutations: list[Mutation] = []
    excluded: list[str] = []
    # Effects of this document's earlier mutations, so an indexation sees them too.
    pending: dict[tuple[str, int], int] = {}

    for m in doc.mutations:
        before = len(problems)
        legs: list[Leg] = []
        for address, amounts, lf in m.legs:
            line = lines.get(address)
            if line is None:
                problem(f"{lf}.line", f"unknown line {address!r}: not in the ledger or this document's chart")
            elif (line.type == "reserve") != (m.kind == "reserve"):
                if m.kind == "reserve":
                    problem(f"{lf}.line", f"{address!r} is a {line.type} line; a reserve mutation needs a reserve line")
                else:
                    problem(f"{lf}.line", f"{address!r} is a reserve line; change it with a reserve mutation")
            for year in amounts:
                if year not in years:
                    problem(f"{lf}.amounts.{year}", f"year {year} is outside the horizon {years.start}-{years.stop - 1}")
            unit, _, line_id = address.partition("/")
            legs.append(Leg(unit=unit, line=line_id, amounts_cents=dict(sorted(amounts.items()))))

        if m.broken:
            continue
        indexation: tuple[IndexedLine, ...] = ()
        if m.kind == "indexatie":
            legs, indexation, skipped = _indexation(m, lines, years, figure, pending, problem)
            excluded += skipped

        if m.kind == "correctie" and m.corrects is not None:
            _check_correction(m, doc, mutations, find_mutation, problem)

        if len(problems) == before:
            mutation = Mutation(
                seq=m.seq, kind=m.kind, reason=m.reason, reference=m.reference, structural=m.structural,
                corrects=m.corrects, legs=tuple(legs), indexation=indexation,
            )
            _check_balance(mutation, m.field, years, problem)
            if m.kind == "reserve":
                _check_reserves(mutation, m.field, lines, years, figure, pending, problem)
            mutations.append(mutation)
            for leg, year, amount in mutation_effects(mutation, years):
                key = (leg.address, year)
                pending[key] = pending.get(key, 0) + amount

    if problems:
        raise InvalidInput(sorted(problems, key=_field_order))
    return Checked(new_units=new_units, mutations=mutations, excluded_from_indexation=excluded)


def _field_order(p: Problem) -> list:
    """Natural order of fields (mutations.2 before mutations.10), so problems read top-down."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in p.field.split(".")]


def _check_balance(m: Mutation, field_: str, years: range, problem: Callable[[str, str], None]) -> None:
    if m.kind == "verschuiving":
        per_year: dict[int, int] = {}
        for _, year, amount in mutation_effects(m, years):
            per_year[year] = per_year.get(year, 0) + amount
        for year, total in sorted(per_year.items()):
            if total:
                problem(f"{field_}.legs", f"the shift does not net to zero in {year}: off by {_euros(total)}")
    elif m.kind == "kasschuif":
        for leg in m.legs:
            if len(leg.amounts_cents) < 2:
                problem(f"{field_}.amounts", "a kasschuif moves money between at least two years")
            total = sum(leg.amounts_cents.values())
            if total:
                problem(f"{field_}.amounts", f"the kasschuif on {leg.address} does not net to zero over the years: off by {_euros(total)}")


def _check_correction(
    m: MutationInput,
    doc: DocumentInput,
    earlier: list[Mutation],
    find_mutation: MutationLookup,
    problem: Callable[[str, str], None],
) -> None:
    ref = m.corrects
    assert ref is not None
    if ref.document == doc.id:
        if ref.seq >= m.seq:
            problem(f"{m.field}.corrects", f"{ref} is not an earlier mutation of this document")
            return
        target = next((x for x in earlier if x.seq == ref.seq), None)
        target_lines = {leg.address for leg in target.legs} if target else None
    else:
        status, target_lines = find_mutation(ref.document, ref.seq)
        if status is None:
            problem(f"{m.field}.corrects", f"{ref}: document {ref.document!r} is not in the ledger")
            return
        if status == "withdrawn":
            problem(f"{m.field}.corrects", f"{ref}: document {ref.document!r} was withdrawn")
            return
    if target_lines is None:
        problem(f"{m.field}.corrects", f"{ref}: document {ref.document!r} has no mutation {ref.seq}")
        return
    for address, _, lf in m.legs:
        if address not in target_lines:
            problem(f"{lf}.line", f"{address!r} is not a line of the corrected mutation {ref} ({', '.join(sorted(target_lines))})")


def _check_reserves(
    m: Mutation, field_: str, lines: dict[str, ChartLine], years: range,
    figure: FigureLookup, pending: dict[tuple[str, int], int], problem: Callable[[str, str], None],
) -> None:
    for leg in m.legs:
        effects = year_effects(leg.amounts_cents, carries=carries(m), years=years)
        balance = lines[leg.address].opening_balance_cents
        for year in years:
            balance += figure(leg.address, year) + pending.get((leg.address, year), 0)
            balance += effects.get(year, (0, year))[0]
            if balance < 0:
                problem(f"{field_}.amounts", f"reserve {leg.address} would go below zero in {year} (balance {_euros(balance)})")
                return


def _indexation(
    m: MutationInput, lines: dict[str, ChartLine], years: range, figure: FigureLookup,
    pending: dict[tuple[str, int], int], problem: Callable[[str, str], None],
) -> tuple[list[Leg], tuple[IndexedLine, ...], list[str]]:
    if m.year is None:
        return [], (), []
    if m.year not in years:
        problem(f"{m.field}.year", f"year {m.year} is outside the horizon {years.start}-{years.stop - 1}")
        return [], (), []
    if m.lines is None:
        chosen = [a for a, line in lines.items() if line.type == "lasten"]
    else:
        chosen = []
        for i, address in enumerate(m.lines, start=1):
            line = lines.get(address)
            if line is None:
                problem(f"{m.field}.lines.{i}", f"unknown line {address!r}")
            elif line.type != "lasten":
                problem(f"{m.field}.lines.{i}", f"{address!r} is a {line.type} line; only lasten lines are indexed")
            else:
                chosen.append(address)
    legs, detail, skipped = [], [], []
    for address in chosen:
        line = lines[address]
        rate_text = m.rates.get(line.cost or "")
        base = figure(address, m.year) + pending.get((address, m.year), 0)
        if rate_text is None:
            skipped.append(f"{address} (no rate for cost kind {line.cost})")
            continue
        num, den = Decimal(rate_text).as_integer_ratio()
        outcome = round_half_away(base * num, den * 100)
        if outcome == 0:
            skipped.append(f"{address} (base {_euros(base)} gives nothing to index)")
            continue
        unit, _, line_id = address.partition("/")
        legs.append(Leg(unit=unit, line=line_id, amounts_cents={m.year: outcome}))
        detail.append(IndexedLine(unit=unit, line=line_id, cost=line.cost, base_cents=base,
                                  rate_percent=rate_text, outcome_cents=outcome))
    if chosen and not legs:
        problem(m.field, "the indexation changes no line (no base amounts or no matching rates)")
    elif not chosen and m.lines is None:
        problem(m.field, "the ledger has no lasten lines to index")
    return legs, tuple(detail), skipped
