"""The two kinds of aggregate: the Ledger (organisation, horizon, chart) and each
Document (its mutations and lifecycle). State is rebuilt only by pure ``mutate``
functions from events, in the style of the eventsourcing library's aggregate7 example.

The commands' decisions are pure functions too (``decide_*``): given the proven state
(a ``WriteModel``), the request, the time and the actor, they return the events to save,
None when there is nothing to do, or raise. The application service only queues, folds,
saves and retries around them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import singledispatch
from typing import TYPE_CHECKING, Iterable, cast

from events import (
    LEDGER_ID,
    ChartExtended,
    ChartLine,
    DocumentAdopted,
    DocumentHeader,
    DocumentKind,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    Mutation,
    canonical,
    document_aggregate_id,
    mutation_effects,
)
from events.bbv import LinesClassified, OrganisationDescribed
from ledger.classification import Bbv, chart_classification, chart_problems, programma_changes
from ledger.errors import (
    DocumentNotFound,
    InvalidInput,
    LedgerError,
    LedgerNotFound,
    LifecycleError,
    Problem,
)
from ledger.validation import check_document
from projections.figures import TOTALS, totals_of

if TYPE_CHECKING:
    from ledger.keys import KeyInput
    from ledger.parsing import DocumentInput
    from ledger.writemodel import DocumentFacts, WriteModel


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
    opened_by: str = ""  # the actor that opened the ledger: on PostgreSQL, its owner
    bbv: Bbv = field(default_factory=Bbv)  # overheidslaag, programma's, classification (ledger.classification)

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
        opened_by=event.actor,
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


@mutate_ledger.register(OrganisationDescribed)
@mutate_ledger.register(LinesClassified)
def _(event: OrganisationDescribed | LinesClassified, state: LedgerState) -> LedgerState:
    return replace(state, version=event.originator_version, modified_on=event.timestamp, bbv=state.bbv.after(event))


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


# ---------------------------------------------------------------- decisions


@dataclass
class RecordResult:
    document: str
    mutation_count: int
    already_recorded: bool = False
    dry_run: bool = False
    position: int | None = None
    # (unit, line, year, before_cents, after_cents) for every figure the document changes
    changes: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    excluded_from_indexation: list[str] = field(default_factory=list)
    new_lines: list[str] = field(default_factory=list)
    mutations: tuple[Mutation, ...] = ()  # what the document records (for the effect on the participants)
    line_types: dict[str, str] = field(default_factory=dict)  # "unit/line" -> type, new lines included
    participants: tuple | None = None  # projections.answers.ParticipantDiff: a dry run's effect on each
    # (total, year, before_cents, after_cents) for lasten, baten, saldo, reserves and te_dekken
    totals: list[tuple[str, int, int, int]] = field(default_factory=list)
    programmas: tuple = ()  # projections.bbv_answers.ProgrammaYears: the change per programma (BBV)


def content_sha256(doc: DocumentInput) -> str:
    """Identity of a document's content, whatever file or format it came from. Mutation
    numbers other than 1, 2, … and a correction that carries like what it corrects are part
    of it (they change what is recorded); documents without either hash as they always did."""
    body = {
        "id": doc.id, "kind": doc.kind, "title": doc.title, "date": doc.date.isoformat(),
        "status": doc.status, "decision": doc.decision, "chart": canonical(list(doc.chart)),
        "mutations": [
            {
                "kind": m.kind, "reason": m.reason, "reference": m.reference, "structural": m.structural,
                "corrects": str(m.corrects) if m.corrects else None,
                "legs": [[a, {str(y): c for y, c in sorted(amts.items())}] for a, amts, _ in m.legs],
                "year": m.year, "rates": m.rates, "lines": m.lines,
            }
            for m in doc.mutations
        ],
    }
    for i, (m, out) in enumerate(zip(doc.mutations, body["mutations"], strict=True), start=1):
        if m.seq != i:
            out["seq"] = m.seq
        if m.kind == "correctie" and not m.structural_given:
            out["structural"] = "as corrected"
        if m.split is not None:  # only then: documents without splits hash as they always did
            out["split"] = canonical(m.split)
        if m.leg_splits:
            out["leg_splits"] = {str(i): canonical(split) for i, split in sorted(m.leg_splits.items())}
    if doc.programmas or doc.classes:  # only then: unclassified documents hash as they always did
        body["classification"] = canonical({"programmas": [p for p, _ in doc.programmas],
                                            "lines": [c for c, _ in doc.classes]})
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def decide_record(model: WriteModel, doc: DocumentInput, digest: str, *, stamp: datetime, actor: str,
                  adopted_only: bool = False, dry_run: bool = False) -> tuple[list[Event] | None, RecordResult]:
    """A document's events (its chart additions, itself, its adoption when the file says
    so), checked against the proven state; None when this very content is recorded."""
    existing = model.documents.get(doc.id)
    if existing is not None:
        if existing.content_sha256 == digest:
            return None, RecordResult(doc.id, existing.size, already_recorded=True, dry_run=dry_run)
        raise InvalidInput([Problem(doc.source, "document.id", f"{doc.id!r} is already recorded with different "
                                                               "content; correct it with a later document")])
    ledger = opened(model)
    try:
        checked = check_document(doc, model, adopted_only=adopted_only)
    except InvalidInput as e:  # reported with what the chart's classification breaks, all at once
        raise InvalidInput(e.problems + chart_problems(model, doc)) from None
    events: list[Event] = []
    if checked.new_units:
        events.append(ChartExtended(
            originator_id=LEDGER_ID, originator_version=ledger.version + 1, timestamp=stamp, actor=actor,
            document=doc.id, units=tuple(checked.new_units),
        ))
    doc_id = document_aggregate_id(doc.id)
    recorded = DocumentRecorded(
        originator_id=doc_id, originator_version=1, timestamp=stamp, actor=actor,
        header=DocumentHeader(id=doc.id, kind=cast(DocumentKind, doc.kind), title=doc.title, date=doc.date,
                              decision=doc.decision),
        mutations=tuple(checked.mutations), content_sha256=digest, source=doc.source.rsplit("/", 1)[-1],
    )
    events.append(recorded)
    if doc.status == "adopted":
        events.append(DocumentAdopted(
            originator_id=doc_id, originator_version=2, timestamp=stamp, actor=actor,
            document=doc.id, date=doc.date, decision=doc.decision,
        ))
    classified = chart_classification(model, doc, ledger.version + 1 + bool(checked.new_units), stamp=stamp,
                                      actor=actor)
    if classified is not None:
        events.append(classified)
    result = RecordResult(
        doc.id, len(checked.mutations), dry_run=dry_run, changes=changes(recorded, model),
        excluded_from_indexation=checked.excluded_from_indexation,
        new_lines=[f"{u.id}/{line.id}" for u in checked.new_units for line in u.lines],
        mutations=recorded.mutations,
        line_types={**{a: line.type for a, line in ledger.lines.items()},
                    **{f"{u.id}/{line.id}": line.type for u in checked.new_units for line in u.lines}},
    )
    result.totals = total_changes(model, result.changes, result.line_types)
    result.programmas = programma_changes(model, doc, result.changes, result.line_types)
    return events, result


def decide_adopt(model: WriteModel, document: str, when: date, decision: str, *, stamp: datetime,
                 actor: str) -> list[Event] | None:
    facts = _document(model, document)
    if facts.status == "adopted":
        if facts.decision == decision:
            return None
        raise LifecycleError(f"{document} is already adopted ({facts.decision})")
    if facts.status == "withdrawn":
        raise LifecycleError(f"{document} was withdrawn and cannot be adopted")
    return [DocumentAdopted(
        originator_id=document_aggregate_id(document), originator_version=facts.version + 1,
        timestamp=stamp, actor=actor, document=document, date=when, decision=decision,
    )]


def decide_withdraw(model: WriteModel, document: str, when: date, reason: str, *, stamp: datetime,
                    actor: str) -> list[Event] | None:
    facts = _document(model, document)
    if facts.status == "withdrawn":
        return None
    if facts.status == "adopted":
        raise LifecycleError(f"{document} is adopted; correct it with a later document instead")
    return [DocumentWithdrawn(
        originator_id=document_aggregate_id(document), originator_version=facts.version + 1,
        timestamp=stamp, actor=actor, document=document, date=when, reason=reason,
    )]


def decide_key(model: WriteModel, key: KeyInput, *, stamp: datetime, actor: str) -> list[Event] | None:
    state = opened(model)
    unknown = [item for item in key.scope if item not in state.unit_names and item not in state.lines]
    if unknown:
        raise InvalidInput([Problem(key.source, "key.scope", f"{item!r} is not a unit or line of the ledger")
                            for item in unknown])
    known = state.keys.get(key.id)
    if known is not None:
        if (known.from_year == key.from_year and list(known.participants) == key.participants
                and known.scope == key.scope):
            return None
        raise InvalidInput([Problem(key.source, "key.id", f"{key.id!r} is already set with other contents; "
                                                          "give the new key another id")])
    return [KeySet(
        originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=stamp, actor=actor,
        key=key.id, from_year=key.from_year, participants=tuple(key.participants),
        source=key.source.rsplit("/", 1)[-1], scope=key.scope,
    )]


def decide_extend(model: WriteModel, last_year: int, *, stamp: datetime, actor: str) -> list[Event] | None:
    state = opened(model)
    if last_year < state.last_year:
        raise LedgerError(f"--to {last_year}: the horizon already runs to {state.last_year}; "
                          "years can only be added at the end")
    if last_year == state.last_year:
        return None
    if last_year - state.first_year > 30:
        raise LedgerError(f"--to {last_year}: a horizon holds at most 31 years")
    return [HorizonExtended(
        originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=stamp, actor=actor,
        last_year=last_year,
    )]


def opened(model: WriteModel) -> LedgerState:
    if model.ledger is None:
        raise LedgerNotFound("the ledger holds no LedgerOpened event: run `begroting init`")
    return model.ledger


def _document(model: WriteModel, document: str) -> DocumentFacts:
    facts = model.documents.get(document)
    if facts is None:
        raise DocumentNotFound(f"no document {document!r} in the ledger")
    return facts


def changes(recorded: DocumentRecorded, model: WriteModel) -> list[tuple[str, str, int, int, int]]:
    """(unit, line, year, before, after) for every figure the document changes."""
    deltas: dict[tuple[str, int], int] = {}
    for m in recorded.mutations:
        for leg, year, amount in mutation_effects(m, model.years):
            deltas[(leg.address, year)] = deltas.get((leg.address, year), 0) + amount
    out = []
    for (address, year), delta in sorted(deltas.items()):
        before = model.figure(address, year)
        unit, _, line = address.partition("/")
        out.append((unit, line, year, before, before + delta))
    return out


def total_changes(model: WriteModel, changes: list[tuple[str, str, int, int, int]],
                  line_types: dict[str, str]) -> list[tuple[str, int, int, int]]:
    """(total, year, before, after) for lasten, baten, saldo, reserves and te_dekken
    (``projections.figures.totals_of``), in every year the changes touch, proposals included."""
    years = sorted({year for _, _, year, _, _ in changes})
    before: dict[str, dict[int, int]] = {t: defaultdict(int) for t in ("lasten", "baten", "reserve")}
    for (address, year), cents in model.figures.items():
        if year in years:
            before[line_types[address]][year] += cents
    after = {t: defaultdict(int, per_year) for t, per_year in before.items()}
    for unit, line, year, old, new in changes:
        after[line_types[f"{unit}/{line}"]][year] += new - old
    was, will = (totals_of(s["lasten"], s["baten"], s["reserve"], years) for s in (before, after))
    return [(total, year, was[total][year], will[total][year]) for total in TOTALS for year in years]
