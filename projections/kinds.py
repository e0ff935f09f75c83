"""The words of the events' vocabulary: document, mutation, line and cost kinds, and the rule
by which a mutation's amounts count in the years of the horizon.

Standard library only: the questions (``projections.points``, ``projections.distribution``)
read these without loading pydantic and the event models. ``events`` defines its models with
these very types and keeps every name importable from there too."""

from __future__ import annotations

from typing import Literal, get_args

DocumentKind = Literal[
    "opening", "kaderbrief", "begroting", "voorjaarsnota", "najaarsnota", "begrotingswijziging", "jaarrekening"
]
MutationKind = Literal["wijziging", "correctie", "verschuiving", "kasschuif", "indexatie", "reserve"]
LineType = Literal["lasten", "baten", "reserve"]
CostKind = Literal["personeel", "materieel"]
# "gr": a joint body (gemeenschappelijke regeling) whose participants' contributions are its baten.
OrganisationKind = Literal["organisation", "gr"]
DOCUMENT_KINDS = get_args(DocumentKind)
MUTATION_KINDS = get_args(MutationKind)
LINE_TYPES = get_args(LineType)
COST_KINDS = get_args(CostKind)


def year_effects(
    amounts_cents: dict[int, int], *, carries: bool, years: range | list[int]
) -> dict[int, tuple[int, int]]:
    """The amount a leg contributes to each year of the horizon, with the named year it
    comes from: ``{year: (amount_cents, source_year)}``.

    Incidental: only the named years. Structural: every year from the first named year
    on takes the amount of the latest named year at or before it.
    """
    if not carries:
        return {y: (a, y) for y, a in amounts_cents.items() if y in years}
    named = sorted(amounts_cents)
    effects: dict[int, tuple[int, int]] = {}
    source = None
    for year in years:
        while named and named[0] <= year:
            source = named.pop(0)
        if source is not None:
            effects[year] = (amounts_cents[source], source)
    return effects


def kind_carries(kind: str, *, structural: bool) -> bool:
    """A structural mutation carries into later years; a kasschuif never does."""
    return structural and kind != "kasschuif"
