"""The event models: frozen pydantic events and the values they carry (see ``events``), with
what reads their semantics from them. Loaded on first use of any of these names from ``events``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Iterable, Iterator, Literal, Protocol
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from events import CostKind, DocumentKind, LineType, MutationKind, OrganisationKind, kind_carries, year_effects

NAMESPACE = UUID("6f0d6b1e-2a51-4c1e-9a57-0b9a4d1c2e01")
LEDGER_ID = uuid5(NAMESPACE, "ledger")
RULES_ID = uuid5(NAMESPACE, "rules")


def document_aggregate_id(document_id: str) -> UUID:
    return uuid5(NAMESPACE, "document:" + document_id)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- values


class ChartLine(Frozen):
    id: str
    name: str
    type: LineType
    cost: CostKind | None = None
    # Only for reserve lines: the balance the reserve holds when it enters the ledger.
    opening_balance_cents: int = 0


class ChartUnit(Frozen):
    id: str
    name: str
    lines: tuple[ChartLine, ...]


class ParticipantAmounts(Frozen):
    """What one participant pays of a split mutation: cents for the years it names (carried
    like the mutation's own amounts)."""

    name: str
    amounts_cents: dict[int, int]


class Split(Frozen):
    """How a mutation's (or one leg's) amounts fall to the participants, instead of by the
    key in force for its line: by the key ``key``, or in the explicit ``participants``
    amounts, which sum to the amounts in every year. ``category`` labels a column of a
    per-participant table (e.g. ``Wolf``)."""

    key: str | None = None
    category: str = ""
    participants: tuple[ParticipantAmounts, ...] = ()


class _MaySplit(Frozen):
    """A value with an optional ``split`` that is left out of its JSON when absent, so the
    events (and content hashes) of documents without splits read as they always have."""

    split: Split | None = None

    @model_serializer(mode="wrap")
    def _leave_out_no_split(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.split is None and isinstance(data, dict):
            data.pop("split", None)
        return data


class Leg(_MaySplit):
    """One line's share of a mutation: the amounts (cents) for the years it names."""

    unit: str
    line: str
    amounts_cents: dict[int, int]

    @property
    def address(self) -> str:
        return f"{self.unit}/{self.line}"


class MutationRef(Frozen):
    document: str
    seq: int  # 1-based, as written in a document's `corrects: doc/N`

    def __str__(self) -> str:
        return f"{self.document}/{self.seq}"


class IndexedLine(Frozen):
    """How an indexation arrived at one line's amount: rate (percent) of base, rounded."""

    unit: str
    line: str
    cost: CostKind
    base_cents: int
    rate_percent: str  # decimal text, e.g. "5.2"
    outcome_cents: int


class Mutation(_MaySplit):
    seq: int
    kind: MutationKind
    reason: str = ""
    reference: str = ""
    structural: bool = False
    corrects: MutationRef | None = None
    legs: tuple[Leg, ...]
    indexation: tuple[IndexedLine, ...] = ()


class DocumentHeader(Frozen):
    id: str
    kind: DocumentKind
    title: str
    date: date
    decision: str = ""


# ---------------------------------------------------------------- events


class Event(Frozen):
    TOPIC: ClassVar[str] = ""
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: str


class LedgerOpened(Event):
    TOPIC: ClassVar[str] = "begroting:LedgerOpened"
    class_version: ClassVar[int] = 2

    organisation: str
    first_year: int
    last_year: int
    currency: Literal["EUR"]  # v2: ledgers opened before v2 were all in euros
    kind: OrganisationKind = "organisation"  # ledgers opened before it was added: "organisation"

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "currency": "EUR"}


class ChartExtended(Event):
    """Units and lines that a document introduced, saved atomically with it."""

    TOPIC: ClassVar[str] = "begroting:ChartExtended"

    document: str
    units: tuple[ChartUnit, ...]


class HorizonExtended(Event):
    TOPIC: ClassVar[str] = "begroting:HorizonExtended"

    last_year: int


class Participant(Frozen):
    name: str
    percentage: str  # decimal text, at most 4 decimals; a key's percentages sum to exactly 100


class KeySet(Event):
    """A distribution key (verdeelsleutel) in force from a year on, until a later key."""

    TOPIC: ClassVar[str] = "begroting:KeySet"

    key: str
    from_year: int
    participants: tuple[Participant, ...]
    source: str = ""
    # Unit ids or unit/line addresses the key covers; empty: the whole te dekken (the
    # general key). For a line, the most specific key in force wins.
    scope: tuple[str, ...] = ()


class RulesInForce(Event):
    """From this event on, the ledger's events keep rules version ``rules``.

    Its own aggregate (``RULES_ID``), so that no other aggregate's versions move. ``init``
    saves it with ``LedgerOpened``; on a ledger recorded by an earlier version of the program
    the first write saves it before its own events. ``acknowledged`` lists, word for word,
    what the events before it do that today's rules refuse and an earlier version allowed:
    the owner's sign-off (``begroting acknowledge``) that an earlier version recorded them
    (see ``ledger.writemodel``)."""

    TOPIC: ClassVar[str] = "begroting:RulesInForce"

    rules: int
    acknowledged: tuple[str, ...] = ()


class DocumentRecorded(Event):
    TOPIC: ClassVar[str] = "begroting:DocumentRecorded"

    header: DocumentHeader
    mutations: tuple[Mutation, ...]
    content_sha256: str
    source: str = ""


class DocumentAdopted(Event):
    TOPIC: ClassVar[str] = "begroting:DocumentAdopted"

    document: str
    date: date
    decision: str


class DocumentWithdrawn(Event):
    TOPIC: ClassVar[str] = "begroting:DocumentWithdrawn"

    document: str
    date: date
    reason: str


# ---------------------------------------------------------------- semantics


def mutation_effects(mutation: Mutation, years: range | list[int]) -> Iterator[tuple[Leg, int, int]]:
    """(leg, year, amount in cents) for every leg of the mutation and every year it counts in."""
    for leg in mutation.legs:
        for year, (amount, _) in year_effects(leg.amounts_cents, carries=carries(mutation), years=years).items():
            yield leg, year, amount


def carried_tails(mutations: Iterable[Mutation]) -> Iterator[tuple[str, int]]:
    """(line address, amount) a structural leg carries past the horizon: its latest named
    year's amount, which every year added to the horizon later takes."""
    for m in mutations:
        if carries(m):
            for leg in m.legs:
                yield leg.address, (leg.amounts_cents[max(leg.amounts_cents)] if leg.amounts_cents else 0)


def is_split(mutation: Mutation) -> bool:
    """Whether the mutation, or one of its legs, falls to the participants by a split of its own."""
    return mutation.split is not None or any(leg.split is not None for leg in mutation.legs)


def leg_split(mutation: Mutation, leg: Leg) -> Split | None:
    """The split a leg falls to the participants by: its own, else the mutation's (a key split
    on a mutation holds for each of its legs; an explicit one is only on a one-leg mutation)."""
    return leg.split if leg.split is not None else mutation.split


class _Carrying(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def structural(self) -> bool: ...


def carries(mutation: _Carrying) -> bool:
    """Whether a mutation (as the events hold it, or as ``ledger.stored`` decodes it) carries."""
    return kind_carries(mutation.kind, structural=mutation.structural)


def canonical(obj: Any) -> Any:
    """A JSON-ready, key-sorted form of pydantic values (for content hashes)."""
    if isinstance(obj, BaseModel):
        return canonical(obj.model_dump(mode="json"))
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj
