"""Indexation: computed once, when a document is recorded, and proven again by verify.

``index_lines`` turns an ``indexatie`` mutation of a file into its legs, each the line's
figure at this point times the rate for its cost kind, rounded half away from zero; the
base, rate and outcome are stored with the event so that replay never recomputes them.
``check_indexed`` is the same rule applied to a stored mutation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from events import ChartLine, IndexedLine, Leg, Mutation
from ledger.money import round_half_away
from ledger.parsing import RATE, MutationInput
from projections.notation import euro as _euros

if TYPE_CHECKING:
    from ledger.writemodel import WriteModel

# (address "unit/line", year) -> cents, as the events have it at this point
FigureLookup = Callable[[str, int], int]


def index_lines(
    m: MutationInput, lines: dict[str, ChartLine], years: range, figure: FigureLookup,
    pending: dict[tuple[str, int], int], problem: Callable[[str, str], None],
) -> tuple[list[Leg], tuple[IndexedLine, ...], list[str]]:
    if m.year is None:
        return [], (), []
    if m.year not in years:
        problem(f"{m.where}.year", f"year {m.year} is outside the horizon {years.start}-{years.stop - 1}")
        return [], (), []
    if m.lines is None:
        chosen = [a for a, line in lines.items() if line.type == "lasten"]
    else:
        chosen = []
        for i, address in enumerate(m.lines, start=1):
            line = lines.get(address)
            if line is None:
                problem(f"{m.where}.lines.{i}", f"unknown line {address!r}")
            elif line.type != "lasten":
                problem(f"{m.where}.lines.{i}", f"{address!r} is a {line.type} line; only lasten lines are indexed")
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
        assert line.cost is not None  # rates are looked up by cost kind: a line without one has none
        detail.append(IndexedLine(unit=unit, line=line_id, cost=line.cost, base_cents=base,
                                  rate_percent=rate_text, outcome_cents=outcome))
    if chosen and not legs:
        problem(m.where, "the indexation changes no line (no base amounts or no matching rates)")
    elif not chosen and m.lines is None:
        problem(m.where, "the ledger has no lasten lines to index")
    return legs, tuple(detail), skipped


def check_indexed(m: Mutation, f: str, model: WriteModel, pending: dict[tuple[str, int], int],
                   problem: Callable[[str, str], None]) -> None:
    """Every indexed line: the base was the figure at this point (with proposals, or adopted
    only), the outcome is base × rate / 100 rounded half away from zero, and it is the leg."""
    assert model.ledger is not None
    legs = {leg.address: leg.amounts_cents for leg in m.legs}
    indexed = {f"{i.unit}/{i.line}" for i in m.indexation}
    if len(legs) != len(m.legs) or len(indexed) != len(m.indexation) or set(legs) != indexed:
        problem(f"{f}.legs", "the legs are not the indexed lines, each once")
        return
    for i in m.indexation:
        address = f"{i.unit}/{i.line}"
        line = model.ledger.lines.get(address)
        amounts = legs.get(address, {})
        if line is None or line.type != "lasten" or line.cost != i.cost:
            problem(f"{f}.indexation", f"{address} is not a lasten line of cost kind {i.cost}")
            return
        if len(amounts) != 1:
            problem(f"{f}.indexation", f"{address}: an indexation leg names one year")
            return
        (year, amount), = amounts.items()
        bases = {model.figure(address, year, adopted_only=a) + pending.get((address, year), 0) for a in (False, True)}
        if i.base_cents not in bases:
            problem(f"{f}.indexation", f"{address}: base {_euros(i.base_cents)} is not the figure of {year} "
                                       "at this point")
            return
        if len(i.rate_percent) > 12 or not RATE.match(i.rate_percent):
            problem(f"{f}.indexation",
                    f"{address}: rate {i.rate_percent[:40]!r} is not a percentage as a file gives it")
            return
        num, den = Decimal(i.rate_percent).as_integer_ratio()
        if round_half_away(i.base_cents * num, den * 100) != i.outcome_cents or amount != i.outcome_cents:
            problem(f"{f}.indexation", f"{address}: {i.rate_percent} % of {_euros(i.base_cents)} "
                                       f"is not {_euros(amount)}")
            return
