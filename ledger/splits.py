"""The rules of a split: how a mutation (or one leg) falls to the participants by a split of
its own instead of by the key in force for its line.

One pure function serves both doors: ``record`` checks a document's mutations with it before
they are stored, and the write model (``verify``, every write's fold) checks every stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, Iterable, Iterator

from events import KeySet, Mutation, Split, carries, is_split, year_effects
from ledger.money import MAX_EUROS
from projections.notation import euro as _euros


def known_participants(keys: Mapping[str, KeySet]) -> dict[str, str]:
    """Every participant any key names: {casefolded name: the name as the key writes it}."""
    return {p.name.casefold(): p.name for key in keys.values() for p in key.participants}


def corrects_a_split(m: Mutation, own_document: str, earlier: Iterable[Mutation],
                     is_split_mutation: Callable[[str, int], bool]) -> bool:
    """Whether ``m`` corrects a mutation that falls to the participants by a split of its own
    (an earlier one of the same document, or one the ledger has: ``is_split_mutation``)."""
    ref = m.corrects
    if ref is None:
        return False
    if ref.document == own_document:
        return any(x.seq == ref.seq and is_split(x) for x in earlier)
    return is_split_mutation(ref.document, ref.seq)


def split_problems(m: Mutation, keys: Mapping[str, KeySet], years: range, *,
                   corrects_a_split: bool = False) -> Iterator[tuple[int | None, str]]:
    """What is wrong with the splits of ``m``: (index of the leg whose split it is, or None
    for the mutation's own, message). ``keys`` are the keys set before it; a correction of a
    split mutation (``corrects_a_split``) must say how it falls to the participants too."""
    has_leg_split = any(leg.split is not None for leg in m.legs)
    if m.split is not None and has_leg_split:
        yield None, "the mutation and one of its legs both have a split: give one or the other"
        return
    if corrects_a_split and m.split is None and not has_leg_split:
        yield None, (f"corrects {m.corrects}, which falls to the participants by a split of its own: "
                     "give the correction a split too")
    if m.split is not None:
        if m.split.participants and len(m.legs) != 1:
            yield None, ("a split with the participants' amounts needs a mutation of one line: "
                         "put a split on each leg")
            return
        amounts = _summed(leg.amounts_cents for leg in m.legs)
        yield from ((None, message) for message in _one_split(m.split, amounts, m, keys, years))
    for i, leg in enumerate(m.legs):
        if leg.split is not None:
            yield from ((i, message) for message in _one_split(leg.split, leg.amounts_cents, m, keys, years))


def _one_split(split: Split, amounts: dict[int, int], m: Mutation, keys: Mapping[str, KeySet],
               years: range) -> Iterator[str]:
    if (split.key is None) == (not split.participants):
        yield "a split names a key or the participants' amounts, not both or neither"
        return
    first = min(amounts, default=None)
    if split.key is not None:
        key = keys.get(split.key)
        if key is None:
            ids = ", ".join(sorted(keys)) or "none yet: set one with `begroting key set FILE`"
            yield f"key {split.key!r} is not set (keys: {ids})"
        elif first is not None and first < key.from_year:
            yield f"key {split.key!r} is in force from {key.from_year}; the amounts start in {first}"
        return
    known = known_participants(keys)
    names = [p.name for p in split.participants]
    if len({n.casefold() for n in names}) != len(names):
        yield "a participant appears twice"
        return
    for p in split.participants:
        written = known.get(p.name.casefold())
        if written is None:
            listed = ", ".join(sorted(known.values())) or "none: set a key first"
            yield f"{p.name!r} is not a participant of any key (participants: {listed})"
            return
        if written != p.name:
            yield f"{p.name!r}: write it as the keys do, {written!r}"
            return
        for year, cents in p.amounts_cents.items():
            if year not in years:
                yield f"{p.name}: year {year} is outside the horizon {years.start}-{years.stop - 1}"
                return
            if abs(cents) >= MAX_EUROS * 100:
                yield f"{p.name} {year}: amount beyond 10^15 euro"
                return
    # The participants' amounts carry as the mutation's own do: they must agree in every year
    # from the first one named to the last (after it, both carry what they hold there).
    named = [*amounts, *(year for p in split.participants for year in p.amounts_cents)]
    if not named:
        return
    span = range(min(named), max(named) + 1)
    carry = carries(m)
    own = _effects(amounts, carry, span)
    shared = _summed(_effects(p.amounts_cents, carry, span) for p in split.participants)
    for year in span:
        want, got = own.get(year, 0), shared.get(year, 0)
        if want != got:
            yield (f"the participants' amounts sum to {_euros(got)} in {year}, "
                   f"the mutation's amount is {_euros(want)}")
            return


def _summed(amounts: Iterable[dict[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for one in amounts:
        for year, cents in one.items():
            out[year] = out.get(year, 0) + cents
    return out


def _effects(amounts: dict[int, int], carry: bool, span: range) -> dict[int, int]:
    return {year: cents for year, (cents, _) in year_effects(amounts, carries=carry, years=span).items()}
