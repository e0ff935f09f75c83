"""The answers about participants: what each pays (contributions), the keys as set, the
trail of one participant's amount and what changed for each between two points. Frozen
records like those of ``projections.answers``: amounts in integer cents in ``*_cents``
fields, field order the order of the keys in JSON (``ledger.answers.plain``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from projections.answers import omitted


@dataclass(frozen=True)
class SharePart:
    """One part of a participant's contribution: its share of one key's pool, or its own
    amounts of explicit splits with one category (``key`` None)."""

    key: str | None
    scope: str  # "general", the units and lines a scoped key covers, or "split"
    category: str
    amount_cents: int


@dataclass(frozen=True)
class ShareRow:
    """A participant's amount for one document, unit, line or category (``--by``)."""

    document: str | None = omitted()
    unit: str | None = omitted()
    line: str | None = omitted()
    category: str | None = omitted()
    amount_cents: int = 0


@dataclass(frozen=True)
class Share:
    """A participant's contribution: the exact share, the cent it was rounded to, and what
    it is made of."""

    name: str
    percentage: str | None  # in the general key in force (None: the participant is not in it)
    exact: str  # euros, six decimals
    amount_cents: int
    rounding_cents: int  # the cents the largest-remainder step added (or took)
    weighted_percentage: str | None  # the amount as a percentage of te dekken, four decimals
    parts: tuple[SharePart, ...] = ()
    by: tuple[ShareRow, ...] | None = omitted()


@dataclass(frozen=True)
class KeyParticipant:
    name: str
    percentage: str


@dataclass(frozen=True)
class KeyEntry:
    """A distribution key as set (``key list``)."""

    id: str
    from_year: int = field(metadata={"json": "from"})
    scope: tuple[str, ...] = ()  # empty: the general key
    participants: tuple[KeyParticipant, ...] = ()
    position: int = 0
    recorded_at: str = ""
    source: str = ""


@dataclass(frozen=True)
class KeyPool:
    """A key in force and the part of te dekken that falls to it."""

    key: str
    from_year: int = field(metadata={"json": "from"})
    scope: tuple[str, ...]
    position: int
    total_cents: int


@dataclass(frozen=True)
class KeyTotals:
    year: int
    key: str | None  # the general key in force
    key_from: int | None
    key_position: int | None
    adopted_only: bool
    total_cents: int  # te dekken: what the participants cover
    lasten_cents: int
    baten_cents: int
    reserves_cents: int


@dataclass(frozen=True)
class Contributions(KeyTotals):
    participants: tuple[Share, ...] = ()
    keys: tuple[KeyPool, ...] = ()
    split_cents: int = 0  # what explicit splits put on the participants directly
    by: str | None = omitted()  # document | unit | line | category
    afronding_cents: int | None = omitted()  # --round euro: total less the rounded amounts


@dataclass(frozen=True)
class ContributionStep:
    """A mutation's part of te dekken and the share of it that fell to one participant."""

    mutation: str
    kind: str
    line: str
    reason: str
    te_dekken_cents: int
    share_cents: int
    basis: str  # which key (scope, percentage) or the participant's own split


@dataclass(frozen=True)
class Contribution(KeyTotals):
    participant: Share | None = None
    steps: tuple[ContributionStep, ...] = ()


@dataclass(frozen=True)
class ParticipantChange:
    document: str  # the document (or "key ID", "horizon") whose event caused the change
    year: int
    amount_cents: int


@dataclass(frozen=True)
class ParticipantDiff:
    name: str
    total_cents: dict[int, int]  # the change per year
    changes: tuple[ParticipantChange, ...]


@dataclass(frozen=True)
class ContributionsDiff:
    """What changed for each participant between two points, split by the documents (and
    keys) that caused it; each change is the difference the event made, so they sum exactly
    to the total change."""

    from_: str = field(metadata={"json": "from"})
    to: str = ""
    from_position: int = 0
    to_position: int = 0
    adopted_only: bool = False
    years: tuple[int, ...] = ()
    participants: tuple[ParticipantDiff, ...] = ()
    # --round euro: per document and year, the exact change less the whole euros shown.
    afronding: tuple[ParticipantChange, ...] | None = omitted()
