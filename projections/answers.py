"""The answers the read models give, as frozen records (dataclasses, and named tuples where
many are made). Amounts are integer cents, in fields
whose names end in ``_cents``; ``ledger.answers.plain`` turns any of them into JSON-ready data
(the CLI's ``--json`` and, later, a web front end), and ``cli.render`` draws them for people.
Field order is the order of the keys in JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Field metadata read by the JSON serializer (ledger.answers.plain).
HIDDEN = {"hidden": True}  # not part of the JSON answer
OMIT_NONE = {"omit_none": True}  # key left out when the value is None
AS_TEXT = {"as_text": True}  # a number (or each number of a list) written as text


def omitted() -> Any:
    return field(default=None, metadata=OMIT_NONE)


# ------------------------------------------------------------------ addresses and trails


@dataclass(frozen=True)
class Figure:
    """What an address resolved to: a line, a unit, or the grand total."""

    kind: str  # line | unit | total
    unit: str = ""
    line: str = ""
    name: str = ""

    @property
    def address(self) -> str:
        return {"line": f"{self.unit}/{self.line}", "unit": self.unit, "total": "total"}[self.kind]


@dataclass(frozen=True)
class Leg:
    """One leg of a mutation: a line and its amounts per year (years as stored, as text)."""

    line: str
    amounts_cents: dict[str, int]


@dataclass(frozen=True)
class Indexed:
    """How an indexation arrived at one line's amount: rate (percent) of base, rounded."""

    base_cents: int
    rate_percent: str
    outcome_cents: int


@dataclass(frozen=True)
class Step:
    """One mutation in the audit trail of a figure, with the running total after it."""

    position: int
    seq: int = field(metadata=HIDDEN)
    mutation: str
    document: str
    title: str
    document_kind: str
    status: str
    kind: str
    reason: str
    reference: str
    recorded_at: str
    date: str
    unit: str
    line: str
    structural: bool
    amount_cents: int
    running_total_cents: int
    corrects: str | None = omitted()
    carried_from: int | None = omitted()
    other_legs: tuple[Leg, ...] | None = omitted()  # a shift's other legs
    indexation: Indexed | None = omitted()


@dataclass(frozen=True)
class BroughtForward:
    """The steps before the latest ones listed, summed."""

    mutations: int
    amount_cents: int


@dataclass(frozen=True)
class ReserveBalance:
    """A reserve line's balance in the year explained: opening + toevoegingen + onttrekkingen
    = closing (the figure explained is the year's mutation; this is where it leaves the reserve)."""

    opening_cents: int
    toevoegingen_cents: int
    onttrekkingen_cents: int
    closing_cents: int


@dataclass(frozen=True)
class Explanation:
    """A figure in a year with every step that made it; a unit or the total also with its
    lasten, baten and saldo, and with its parts as children."""

    figure: str
    name: str
    kind: str
    year: int
    position: int
    adopted_only: bool
    brought_forward: BroughtForward | None = field(metadata=OMIT_NONE)
    amount_cents: int
    lasten_cents: int | None = omitted()
    baten_cents: int | None = omitted()
    saldo_cents: int | None = omitted()
    steps: tuple[Step, ...] = ()
    children: tuple[Explanation, ...] | None = omitted()
    reserve: ReserveBalance | None = omitted()  # a reserve line: its balance that year

    def mutation_count(self) -> int:
        if self.children is not None:
            return sum(c.mutation_count() for c in self.children)
        return len(self.steps) + (self.brought_forward.mutations if self.brought_forward else 0)


# ------------------------------------------------------------------ the begroting and its changes


@dataclass(frozen=True)
class ShowLine:
    unit: str
    unit_name: str
    line: str
    line_name: str
    type: str
    cost: str | None
    years_cents: dict[int, int]  # the amount per year
    pending_cents: dict[int, int]  # per year, the part not yet adopted (years without any left out)


@dataclass(frozen=True)
class UnitTotals:
    unit: str
    unit_name: str
    lasten_cents: dict[int, int]
    baten_cents: dict[int, int]
    reserves_cents: dict[int, int]


@dataclass(frozen=True)
class Totals:
    lasten_cents: dict[int, int]
    baten_cents: dict[int, int]
    reserves_cents: dict[int, int]
    saldo_cents: dict[int, int]
    te_dekken_cents: dict[int, int]


@dataclass(frozen=True)
class ShowTable:
    """The begroting at a point: every line, each unit's totals and the grand totals per year."""

    organisation: str
    position: int
    adopted_only: bool
    years: tuple[int, ...] = field(metadata=AS_TEXT)
    lines: tuple[ShowLine, ...]
    units: tuple[UnitTotals, ...]
    totals: Totals

    def lines_by_unit(self) -> dict[str, list[ShowLine]]:
        """Each unit's lines, in chart order."""
        out: dict[str, list[ShowLine]] = {}
        for line in self.lines:
            out.setdefault(line.unit, []).append(line)
        return out


class Cause(NamedTuple):
    """A mutation that counts at one point of a diff and not at the other. A named tuple, as
    frozen as the records but five times quicker to make: a diff makes one per cause it
    lists, 1,400 in the benchmark's."""

    position: int
    mutation: str
    document: str
    title: str
    document_kind: str
    kind: str
    reason: str
    reference: str
    amount_cents: int


@dataclass(frozen=True)
class DiffRow:
    unit: str
    line: str
    unit_name: str
    line_name: str
    year: int
    before_cents: int
    after_cents: int
    change_cents: int
    causes: tuple[Cause, ...]
    # With a limit on the causes: the part of the change that earlier causes make (omitted when all are listed).
    earlier_causes_cents: int | None = omitted()


@dataclass(frozen=True)
class Diff:
    start: int = field(metadata={"json": "from"})
    end: int = field(metadata={"json": "to"})
    adopted_only: bool
    changes: tuple[DiffRow, ...]


# ------------------------------------------------------------------ history and documents


@dataclass(frozen=True)
class Corrected:
    """The mutation a correction corrects, in brief."""

    mutation: str
    kind: str
    reason: str
    reference: str
    lines: tuple[str, ...]
    amount_cents: int


@dataclass(frozen=True)
class MutationRow:
    """A mutation in the history (a shift's legs together)."""

    position: int
    seq: int
    recorded_at: str
    actor: str
    document: str
    title: str
    document_kind: str
    status: str
    kind: str
    lines: tuple[str, ...]
    years: str
    date: str
    structural: bool
    amount_cents: int | None
    reason: str
    reference: str
    corrects: str | None
    corrected: Corrected | None = omitted()
    legs: tuple[Leg, ...] = ()


@dataclass(frozen=True)
class LifecycleRow:
    """An event in the history other than a mutation: adoption, withdrawal, a key, …"""

    position: int
    seq: int
    recorded_at: str
    actor: str
    document: str
    title: str
    document_kind: str
    status: str
    kind: str
    lines: tuple[str, ...]
    years: str
    structural: bool
    amount_cents: int | None
    reason: str
    reference: str
    corrects: str | None
    date: str | None


HistoryRow = MutationRow | LifecycleRow


@dataclass(frozen=True)
class DocumentEffect:
    """What a document changes in one unit's lines of one type (lasten, baten, reserve), per year."""

    unit: str
    type: str
    amounts_cents: dict[int, int]


@dataclass(frozen=True)
class LifecycleEvent:
    position: int
    event: str
    date: str
    decision: str
    recorded_at: str
    actor: str


@dataclass(frozen=True)
class DocumentView:
    """A document whole: header, lifecycle, mutations, later corrections, net effect."""

    document: str
    kind: str
    title: str
    date: str
    status: str
    decision: str
    position: int
    recorded_at: str
    actor: str
    source: str
    content_sha256: str
    lifecycle: tuple[LifecycleEvent, ...]
    mutations: tuple[MutationRow, ...]
    corrected_by: tuple[HistoryRow, ...]
    effect: tuple[DocumentEffect, ...]  # per unit and type: lasten, baten and reserves never summed
    # Per year: lasten, baten, saldo (baten - lasten), reserves, te_dekken (lasten - baten + reserves).
    totals_cents: dict[str, dict[int, int]]
    # What it changed per programma (projections.bbv.Bbv.document_programmas), when the ledger has programma's.
    programmas: tuple | None = omitted()


@dataclass(frozen=True)
class DocumentRecord:
    """A row of the documents read model, every column (docs/read-models.md)."""

    document: str
    kind: str
    title: str
    date: str
    status: str
    decision: str
    position: int
    recorded_at: str
    actor: str
    source: str
    content_sha256: str
    mutation_count: int
    adopted_position: int | None
    adopted_date: str | None
    withdrawn_position: int | None
    withdrawn_date: str | None
    withdrawn_reason: str | None


# ------------------------------------------------------------------ budget rules


@dataclass(frozen=True)
class Incidental:
    mutation: str
    kind: str
    line: str
    type: str
    reason: str
    amount_cents: int


@dataclass(frozen=True)
class EarlierIncidental:
    """The incidental items a limit leaves out, summed per line type."""

    lasten_cents: int
    baten_cents: int
    reserves_cents: int


@dataclass(frozen=True)
class Balance:
    """Structural baten against structural lasten in a year; incidental items apart."""

    year: int
    adopted_only: bool
    structural_lasten_cents: int
    structural_baten_cents: int
    structural_saldo_cents: int
    incidental_lasten_cents: int
    incidental_baten_cents: int
    reserves_cents: int
    in_balance: bool
    incidental: tuple[Incidental, ...]  # in ledger order; with a limit, the latest that many
    # With a limit: what the incidental items not listed add up to (omitted when all are listed).
    earlier_incidental: EarlierIncidental | None = omitted()
    # A joint body (init --kind gr): the structural part of its participants' contributions,
    # counted in structural_baten_cents; None for any other organisation.
    structural_contributions_cents: int | None = omitted()
    incidental_contributions_cents: int | None = omitted()  # likewise, in incidental_baten_cents
    note: str | None = omitted()
