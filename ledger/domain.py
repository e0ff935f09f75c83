"""The two kinds of aggregate: the Ledger (organisation, horizon, chart) and each
Document (its mutations and lifecycle). State is rebuilt only by pure ``mutate``
functions from events, in the style of the eventsourcing library's aggregate7 example.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import singledispatch
from typing import Iterable

from events import (
    ChartExtended,
    ChartLine,
    DocumentAdopted,
    DocumentHeader,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    Mutation,
)


@dataclass(frozen=True)
class LedgerState:
    id: object
    version: int
    modified_on: datetime
    organisation: str
    first_year: int
    last_year: int
    unit_names: dict[str, str] = field(default_factory=dict)
    lines: dict[str, ChartLine] = field(default_factory=dict)  # "unit/line" -> line
    keys: dict[str, KeySet] = field(default_factory=dict)

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


@dataclass(frozen=True)
class DocumentState:
    id: object
    version: int
    modified_on: datetime
    header: DocumentHeader
    mutations: tuple[Mutation, ...]
    content_sha256: str
    status: str  # proposed | adopted | withdrawn
    decision: str = ""


@singledispatch
def mutate_ledger(event: Event, state: LedgerState | None) -> LedgerState | None:
    raise TypeError(f"{type(event).__name__} does not apply to the ledger")


@mutate_ledger.register
def _(event: LedgerOpened, _: None) -> LedgerState:
    return LedgerState(
        id=event.originator_id,
        version=event.originator_version,
        modified_on=event.timestamp,
        organisation=event.organisation,
        first_year=event.first_year,
        last_year=event.last_year,
    )


@mutate_ledger.register
def _(event: ChartExtended, state: LedgerState) -> LedgerState:
    unit_names = dict(state.unit_names)
    lines = dict(state.lines)
    for unit in event.units:
        unit_names.setdefault(unit.id, unit.name)
        for line in unit.lines:
            lines.setdefault(f"{unit.id}/{line.id}", line)
    return replace(
        state,
        version=event.originator_version,
        modified_on=event.timestamp,
        unit_names=unit_names,
        lines=lines,
    )


@mutate_ledger.register
def _(event: HorizonExtended, state: LedgerState) -> LedgerState:
    return replace(
        state, version=event.originator_version, modified_on=event.timestamp, last_year=event.last_year
    )


@mutate_ledger.register
def _(event: KeySet, state: LedgerState) -> LedgerState:
    return replace(
        state, version=event.originator_version, modified_on=event.timestamp, keys={**state.keys, event.key: event}
    )


@singledispatch
def mutate_document(event: Event, state: DocumentState | None) -> DocumentState | None:
    raise TypeError(f"{type(event).__name__} does not apply to a document")


@mutate_document.register
def _(event: DocumentRecorded, _: None) -> DocumentState:
    return DocumentState(
        id=event.originator_id,
        version=event.originator_version,
        modified_on=event.timestamp,
        header=event.header,
        mutations=event.mutations,
        content_sha256=event.content_sha256,
        status="proposed",
    )


@mutate_document.register
def _(event: DocumentAdopted, state: DocumentState) -> DocumentState:
    return replace(
        state,
        version=event.originator_version,
        modified_on=event.timestamp,
        status="adopted",
        decision=event.decision,
    )


@mutate_document.register
def _(event: DocumentWithdrawn, state: DocumentState) -> DocumentState:
    return replace(state, version=event.originator_version, modified_on=event.timestamp, status="withdrawn")


def project_ledger(state: LedgerState | None, events: Iterable[Event]) -> LedgerState | None:
    for event in events:
        state = mutate_ledger(event, state)
    return state


def project_document(state: DocumentState | None, events: Iterable[Event]) -> DocumentState | None:
    for event in events:
        state = mutate_document(event, state)
    return state
