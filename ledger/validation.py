"""Checks a parsed document against the ledger and turns it into the mutations to store.

Every budget rule that needs the ledger is here: lines exist, years lie in the
horizon, shifts net to zero per year, a kasschuif nets to zero over the years,
corrections name an existing mutation, reserves never go below zero, and indexation
is computed once, at record time (ledger/indexation.py), so replay never recomputes it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, cast

from events import (
    ChartLine,
    ChartUnit,
    IndexedLine,
    Leg,
    Mutation,
    MutationKind,
    mutation_effects,
)
from ledger.errors import InvalidInput, Problem
from ledger.indexation import FigureLookup, check_indexed, index_lines
from ledger.money import MAX_EUROS
from ledger.parsing import DocumentInput, MutationInput
from ledger.splits import corrects_a_split, split_problems
from ledger.stored import as_mutations
from projections.notation import euro as _euros

MAX_SEQ = 999_999  # a mutation's number, as a CSV file gives it (six digits)
RESERVE_BELOW_ZERO = "would go below zero"  # the words of a mutation that takes a reserve below zero

if TYPE_CHECKING:
    from events import DocumentRecorded
    from ledger.stored import StoredDocument
    from ledger.writemodel import WriteModel

@dataclass
class Checked:
    """A document ready to store: the chart it adds and its mutations."""

    new_units: list[ChartUnit]
    mutations: list[Mutation]
    excluded_from_indexation: list[str] = field(default_factory=list)


def check_document(doc: DocumentInput, model: WriteModel, *, adopted_only: bool = False) -> Checked:
    """Check a parsed document against the ledger's proven state; every problem is
    reported at once, naming the file and the field. Indexation bases are the figures
    with proposals (or, ``adopted_only``, adopted documents only)."""
    assert model.ledger is not None
    ledger = model.ledger
    problems: list[Problem] = list(doc.problems)

    def figure(address: str, year: int) -> int:
        return model.figure(address, year, adopted_only=adopted_only)

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
        for j, new in enumerate(unit.lines, start=1):
            address = f"{unit.id}/{new.id}"
            known = ledger.lines.get(address)
            if known is None:
                fresh.append(new)
                lines[address] = new
            elif known != new:
                problem(f"chart.{i}.lines.{j}",
                        f"line {address!r} already exists with another definition ({known.name!r}, {known.type})")
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
        for index, (address, amounts, lf) in enumerate(m.legs):
            line = lines.get(address)
            if line is None:
                problem(f"{lf}.line", f"unknown line {address!r}: not in the ledger or this document's chart"
                        + _closest(address, lines))
            elif (line.type == "reserve") != (m.kind == "reserve"):
                if m.kind == "reserve":
                    problem(f"{lf}.line", f"{address!r} is a {line.type} line; a reserve mutation needs a reserve line")
                else:
                    problem(f"{lf}.line", f"{address!r} is a reserve line; change it with a reserve mutation")
            for year in amounts:
                if year not in years:
                    problem(f"{lf}.amounts.{year}",
                            f"year {year} is outside the horizon {years.start}-{years.stop - 1}")
            unit_id, _, line_id = address.partition("/")
            legs.append(Leg(unit=unit_id, line=line_id, amounts_cents=dict(sorted(amounts.items())),
                            split=m.leg_splits.get(index)))

        if m.broken:
            continue
        indexation: tuple[IndexedLine, ...] = ()
        if m.kind == "indexatie":
            legs, indexation, skipped = index_lines(m, lines, years, figure, pending, problem)
            excluded += skipped

        structural = m.structural
        if m.kind == "correctie" and m.corrects is not None:
            target_structural = _check_correction(m, doc, mutations, model.mutation_target, problem)
            if not m.structural_given:  # a correction carries like what it corrects, unless the file says
                structural = target_structural

        if len(problems) == before:
            mutation = Mutation(
                seq=m.seq, kind=cast(MutationKind, m.kind), reason=m.reason, reference=m.reference,
                structural=structural, corrects=m.corrects, legs=tuple(legs), indexation=indexation,
                split=m.split,
            )
            _check_balance(mutation, m.where, lines, years, problem)
            for leg_index, message in split_problems(mutation, ledger.keys, years, corrects_a_split=corrects_a_split(
                    mutation, doc.id, mutations, model.mutation_is_split)):
                problem(f"{m.where}.split" if leg_index is None else f"{m.legs[leg_index][2]}.split", message)
            if m.kind == "reserve":
                _check_reserves(mutation, m.where, lines, years, model.figure, pending, problem)
            mutations.append(mutation)
            for leg, year, amount in mutation_effects(mutation, years):
                key = (leg.address, year)
                pending[key] = pending.get(key, 0) + amount

    if problems:
        raise InvalidInput(sorted(problems, key=_field_order))
    return Checked(new_units=new_units, mutations=mutations, excluded_from_indexation=excluded)


def _field_order(p: Problem) -> list:
    """Natural order of fields (mutations.2 before mutations.10), so problems read top-down."""
    return [(0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part) for part in p.field.split(".")]


def _closest(address: str, lines: dict[str, ChartLine]) -> str:
    near = difflib.get_close_matches(address, list(lines), n=3, cutoff=0.6)
    return f" (closest: {', '.join(near)})" if near else ""


def _check_balance(m: Mutation, field_: str, lines: dict[str, ChartLine], years: range,
                   problem: Callable[[str, str], None], *, saldo: bool = True) -> None:
    if m.kind == "verschuiving":
        # Budget-neutral means the saldo (baten - lasten) stays the same: a leg on a baten
        # line counts against the lasten legs, so +100 lasten is met by -100 lasten or +100 baten.
        # (Rules 1 wanted the plain sum of the legs to be zero: ``saldo=False``.)
        per_year: dict[int, int] = {}
        for leg, year, amount in mutation_effects(m, years):
            sign = -1 if saldo and lines[leg.address].type == "baten" else 1
            per_year[year] = per_year.get(year, 0) + sign * amount
        for year, total in sorted(per_year.items()):
            if total:
                problem(f"{field_}.legs", f"the shift does not net to zero in {year}: off by {_euros(total)}"
                        + (" (a leg on a baten line counts against the lasten legs: the saldo must stay the same)"
                           if saldo and any(lines[leg.address].type == "baten" for leg in m.legs) else ""))
    elif m.kind == "kasschuif":
        for leg in m.legs:
            if len(leg.amounts_cents) < 2:
                problem(f"{field_}.amounts", "a kasschuif moves money between at least two years")
            total = sum(leg.amounts_cents.values())
            if total:
                problem(f"{field_}.amounts", f"the kasschuif on {leg.address} does not net to zero over the years: "
                                             f"off by {_euros(total)}")


def _check_correction(
    m: MutationInput,
    doc: DocumentInput,
    earlier: list[Mutation],
    find_mutation: Callable[[str, int], tuple[str | None, set[str] | None, bool]],
    problem: Callable[[str, str], None],
) -> bool:
    """Check what a correction points at; returns whether the corrected mutation is structural."""
    ref = m.corrects
    assert ref is not None
    problem_text = _correction_problem(ref.document, ref.seq, doc.id, m.seq, earlier, find_mutation,
                                       [address for address, _, _ in m.legs])
    if problem_text:
        leg, text = problem_text
        problem(f"{m.where}.corrects" if leg is None else f"{m.legs[leg][2]}.line", text)
        return False
    if ref.document == doc.id:
        return next(x for x in earlier if x.seq == ref.seq).structural
    return find_mutation(ref.document, ref.seq)[2]


def _correction_problem(
    document: str, seq: int, own_id: str, own_seq: int, earlier: list[Mutation],
    find_mutation: Callable[[str, int], tuple[str | None, set[str] | None, bool]], addresses: list[str],
) -> tuple[int | None, str] | None:
    """What is wrong with a correction of ``document/seq`` whose legs are on ``addresses``:
    (index of the offending leg or None, message), or None when it is right."""
    ref = f"{document}/{seq}"
    if document == own_id:
        if seq >= own_seq:
            return None, f"{ref} is not an earlier mutation of this document"
        target = next((x for x in earlier if x.seq == seq), None)
        target_lines = {leg.address for leg in target.legs} if target else None
    else:
        status, target_lines, _ = find_mutation(document, seq)
        if status is None:
            return None, f"{ref}: document {document!r} is not in the ledger"
        if status == "withdrawn":
            return None, f"{ref}: document {document!r} was withdrawn"
    if target_lines is None:
        return None, f"{ref}: document {document!r} has no mutation {seq}"
    for i, address in enumerate(addresses):
        if address not in target_lines:
            return i, f"{address!r} is not a line of the corrected mutation {ref} ({', '.join(sorted(target_lines))})"
    return None


def _check_reserves(
    m: Mutation, field_: str, lines: dict[str, ChartLine], years: range,
    figure: FigureLookup, pending: dict[tuple[str, int], int], problem: Callable[[str, str], None],
) -> None:
    """No reserve below zero (nor deeper below it than it already is) in any year, the
    legs of the mutation on one line taken together."""
    change: dict[tuple[str, int], int] = {}
    for leg, year, amount in mutation_effects(m, years):
        change[(leg.address, year)] = change.get((leg.address, year), 0) + amount
    for address in sorted({leg.address for leg in m.legs}):
        before = after = lines[address].opening_balance_cents
        for year in years:
            before += figure(address, year) + pending.get((address, year), 0)
            after += figure(address, year) + pending.get((address, year), 0) + change.get((address, year), 0)
            if after < min(before, 0):
                problem(f"{field_}.amounts", f"reserve {address} {RESERVE_BELOW_ZERO} in {year} "
                                             f"(balance {_euros(after)})")
                return


def check_recorded(event: DocumentRecorded | StoredDocument, model: WriteModel) -> tuple[list[str], list[str]]:
    """The rules ``check_document`` applies to a file, applied to a stored document: what
    ``verify`` runs on every DocumentRecorded, and ``record`` on every one it is about to
    save. Returns the problems, first first, and apart from them what breaks only a rule
    that rules 1 lacked (the model's ``rules`` say which apply)."""
    assert model.ledger is not None
    lines, years = model.ledger.lines, model.ledger.years
    problems: list[str] = []
    later: list[str] = []

    def problem(field_: str, message: str) -> None:
        problems.append(f"{field_}: {message}")

    def later_problem(field_: str, message: str) -> None:
        later.append(f"{field_}: {message}")

    earlier: list[Mutation] = []
    pending: dict[tuple[str, int], int] = {}
    # Only an indexation's base and a reserve's balance see the document's own earlier mutations.
    mutations = as_mutations(event.mutations)
    needs_pending = any(m.kind in ("indexatie", "reserve") for m in mutations)
    seqs = [m.seq for m in mutations]
    if not mutations:
        problem("mutations", "a document has at least one mutation")
    if any(not 1 <= s <= MAX_SEQ for s in seqs) or seqs != sorted(set(seqs)):
        problem("mutations", f"mutation numbers are not unique and increasing from 1 to at most {MAX_SEQ}")
    for m in mutations:
        f = f"mutations.{m.seq}"
        before = len(problems)
        if not m.legs:
            problem(f, "the mutation has no legs")
        for leg in m.legs:
            line = lines.get(leg.address)
            if line is None:
                problem(f"{f}.line", f"unknown line {leg.address!r}")
                continue
            if (line.type == "reserve") != (m.kind == "reserve"):
                problem(f"{f}.line", f"a {m.kind} on {line.type} line {leg.address!r}")
            for year, amount in leg.amounts_cents.items():
                if year not in years:
                    problem(f"{f}.amounts.{year}", f"year {year} is outside the horizon")
                if abs(amount) >= MAX_EUROS * 100:
                    problem(f"{f}.amounts.{year}", "amount beyond 10^15 euro")
        if (m.kind == "correctie") != (m.corrects is not None):
            problem(f"{f}.corrects", "only a correctie corrects, and a correctie names what it corrects")
        elif m.corrects is not None and not 1 <= m.corrects.seq <= MAX_SEQ:
            problem(f"{f}.corrects", f"mutation number {m.corrects.seq} is not one from 1 to {MAX_SEQ}")
        elif m.corrects is not None:
            wrong = _correction_problem(m.corrects.document, m.corrects.seq, event.header.id, m.seq, earlier,
                                        model.mutation_target, [leg.address for leg in m.legs])
            if wrong:
                problem(f"{f}.corrects", wrong[1])
        for index, message in split_problems(m, model.ledger.keys, years, corrects_a_split=corrects_a_split(
                m, event.header.id, earlier, model.mutation_is_split)):
            problem(f"{f}.split" if index is None else f"{f}.legs.{index + 1}.split", message)
        if (m.kind == "indexatie") != bool(m.indexation):
            problem(f"{f}.indexation", "only an indexatie carries indexation detail, and it always does")
        elif m.indexation:
            check_indexed(m, f, model, pending, problem)
        if len(problems) == before:
            if model.rules >= 2:
                _check_balance(m, f, lines, years, problem)
            else:
                _check_balance(m, f, lines, years, problem, saldo=False)
                _check_balance(m, f, lines, years, later_problem)
            if m.kind == "reserve":
                _check_reserves(m, f, lines, years, model.figure, pending, later_problem)
        earlier.append(m)
        if len(problems) == before and needs_pending:
            for leg, year, amount in mutation_effects(m, years):
                pending[(leg.address, year)] = pending.get((leg.address, year), 0) + amount
    return problems, later
