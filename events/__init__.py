"""The facts of a begroting ledger: frozen pydantic events and the values they carry.

A stored event's topic (``TOPIC``) is part of the data: never rename one. To change an
event, add a field with a default or raise ``class_version`` and add an ``upcast_vN_vN+1``
static method; ``ledger.mapper`` applies those when old events are read.
This package imports only pydantic and the standard library.

Here stand the vocabulary (document, mutation, line and cost kinds) and the rule by which
amounts count in the years, in the standard library alone; the models themselves live in
``events.models`` and load on first use of one of their names from here (``from events import
DocumentRecorded``), so that a question answered from the read models loads no pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from events.bbv import LinesClassified, OrganisationDescribed  # noqa: F401
    from events.models import (  # noqa: F401  (importable from here, loaded on first use)
        LEDGER_ID,
        NAMESPACE,
        RULES_ID,
        ChartExtended,
        ChartLine,
        ChartUnit,
        DocumentAdopted,
        DocumentHeader,
        DocumentRecorded,
        DocumentWithdrawn,
        Event,
        Frozen,
        HorizonExtended,
        IndexedLine,
        KeySet,
        LedgerOpened,
        Leg,
        Mutation,
        MutationRef,
        Participant,
        ParticipantAmounts,
        RulesInForce,
        Split,
        canonical,
        carried_tails,
        carries,
        document_aggregate_id,
        is_split,
        leg_split,
        mutation_effects,
    )
    from events.topics import EVENT_TYPES, current_state  # noqa: F401

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


# Where each name loaded on first use lives (any other: events.models).
_HOMES = {"LinesClassified": "events.bbv", "OrganisationDescribed": "events.bbv",
          "EVENT_TYPES": "events.topics", "current_state": "events.topics"}


def __getattr__(name: str) -> Any:
    """The event models (pydantic), loaded when one of them is first asked for."""
    if name.startswith("__") or name in ("bbv", "models", "topics"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    try:
        value = getattr(import_module(_HOMES.get(name, "events.models")), name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value
