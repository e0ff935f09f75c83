"""The state every check runs against, folded from the event store itself.

Read models are derived data that anyone who can write their file (or, on PostgreSQL, their
schema) can change; an immutable event must never be computed from them. So every write checks
against a ``WriteModel``: a fold of the stored events that re-derives the hash chain and runs
every domain rule on every event. ``verify`` runs the same fold and names the first event that
breaks the chain or a rule.

The rules have versions. A ``RulesInForce`` event says from where on the events keep a
version's rules; ``init`` saves one at once, and the first write to a ledger recorded by
an earlier program saves one before its own events. Events before it are judged by today's
rules as well, but some of them an earlier program allowed (``ledger_rules.RULES``): what an
event breaks of those is collected (``unacknowledged``) instead of refused, and the fold
applies the event as it was recorded. Until a ``RulesInForce`` acknowledges exactly that
list (the owner's ``begroting acknowledge``), ``verify`` fails on it and writes are refused;
once acknowledged they are *findings* that ``verify`` lists and passes. Money is integer cents:
``figures`` with proposals (not withdrawn documents), ``adopted`` of adopted documents only."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import singledispatchmethod
from typing import Any, Callable, Iterable

from events import (
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    Mutation,
    RulesInForce,
    carried_tails,
    document_aggregate_id,
    mutation_effects,
)
from events.bbv import LinesClassified, OrganisationDescribed
from ledger import ledger_rules
from ledger.classification import check_bbv
from ledger.domain import LedgerState, mutate_ledger
from ledger.integrity import Chain, ChainBroken, RuleBroken
from ledger.reserves import Figures, Shifted, shortfall
from ledger.stored import CorrectionTargets, StoredDocument, as_mutations, decode, document_effects
from ledger.text import one_line
from projections.notation import euro

# The read models hold sums of effects in 64-bit integers (SQLite INTEGER, PostgreSQL bigint);
# every query's sum is a sum of some of them. While the absolute values of every effect ever
# recorded (and every opening balance) add up to at most this, no sum can overflow.
STORAGE_LIMIT_CENTS = 2**63 - 1
_RACE_SKEW = timedelta(minutes=5)  # how far rules-1 writers' clocks could run out of order


@dataclass
class DocumentFacts:
    version: int
    status: str  # proposed | adopted | withdrawn
    content_sha256: str
    size: int  # its number of mutations
    # Kept while the document is proposed: adoption and withdrawal move its effects.
    mutations: tuple[Mutation, ...] | None
    corrects: set[str] = field(default_factory=set)  # other documents it corrects
    decision: str = ""  # the decision that adopted it


Target = tuple["str | None", "set[str] | None", bool]


class WriteModel:
    """The ledger's proven state at ``position``: what the rules need, nothing more."""

    def __init__(self, load_document: Callable[[str], tuple[Mutation, ...] | None], *, contiguous: bool = True):
        self.load_document = load_document  # a recorded document's mutations, for correction targets
        self.chain = Chain(contiguous=contiguous)
        self.ledger: LedgerState | None = None
        self.documents: dict[str, DocumentFacts] = {}
        self.figures: dict[tuple[str, int], int] = defaultdict(int)
        self.adopted: dict[tuple[str, int], int] = defaultdict(int)
        # What each line's structural amounts carry into a year added later, and their sizes.
        self.tail: dict[str, int] = defaultdict(int)
        self.adopted_tail: dict[str, int] = defaultdict(int)
        self.tail_abs: dict[str, int] = defaultdict(int)
        self.absolute = 0  # sum of |every effect row ever made| and |every opening balance|
        self.corrected_by: dict[str, set[str]] = defaultdict(set)  # live corrections pointing at a document
        self.last_timestamp: datetime | None = None
        self.expecting: str | None = None  # a ChartExtended is saved with its document, just before it
        self._targets = CorrectionTargets()  # every document's mutations as applied, for its corrections
        self._proposed: dict[str, tuple[range, dict, list]] = {}  # a proposed document's effects (_recorded_effects)
        self.count = 0  # events folded (positions may have gaps on an older PostgreSQL ledger)
        self._stamp: tuple[str, datetime] | None = None  # the actor and time of the event being applied
        self.rules = 1  # 1 until a RulesInForce puts today's rules in force
        self.rules_version = 0  # RulesInForce events folded
        self.unacknowledged: list[str] = []  # what events before RulesInForce break of today's rules
        self.findings: list[str] = []  # those that a RulesInForce acknowledged
        self._at = 0  # the position of the stored event being applied
        self.previous: Event | StoredDocument | None = None  # the event applied last

    def fork(self) -> WriteModel:
        """A copy to try events on: applying to it leaves this state as it is."""
        twin = copy.copy(self)
        twin.chain = copy.copy(self.chain)
        twin.documents = dict(self.documents)  # facts are replaced, never changed in place
        twin.figures, twin.adopted = defaultdict(int, self.figures), defaultdict(int, self.adopted)
        twin.tail, twin.adopted_tail = defaultdict(int, self.tail), defaultdict(int, self.adopted_tail)
        twin.tail_abs = defaultdict(int, self.tail_abs)
        twin.corrected_by = defaultdict(set, {k: set(v) for k, v in self.corrected_by.items()})
        twin._targets, twin._proposed = self._targets.copy(), dict(self._proposed)  # values never changed
        twin.findings, twin.unacknowledged = list(self.findings), list(self.unacknowledged)
        return twin

    @property
    def position(self) -> int:
        return self.chain.head

    @property
    def years(self) -> range:
        return self.ledger.years if self.ledger else range(0)

    # ------------------------------------------------------------ folding

    def fold(self, rows: Iterable[tuple], progress: Callable[[int, Any], None] | None = None) -> None:
        """Step over stored rows (position, originator id, version, topic, state, link):
        check the chain link, decode, check the rules and apply; ``progress(position, event)``
        after each. Raises ChainBroken or RuleBroken (message starting "position N:") at the
        first bad row."""
        try:
            self._fold(rows, progress)
        finally:
            close = getattr(rows, "close", None)  # a generator holding a connection open
            if close:
                close()

    def _fold(self, rows: Iterable[tuple], progress: Callable[[int, Any], None] | None) -> None:
        for position, oid, version, topic, state, stored in rows:
            link_before = (self.chain.previous, self.chain.head)
            self.chain.step(position, oid, version, topic, state, stored)
            self._at = position
            try:
                event = decode(topic, state, oid, version)
                self.apply(event)
            except RuleBroken as e:
                self.chain.previous, self.chain.head = link_before
                raise RuleBroken(f"position {position}: {e}") from None
            self.count += 1
            if progress:
                progress(position, event)

    def apply(self, event: Event | StoredDocument) -> None:
        """Check one event against the state and apply it; RuleBroken leaves the state as it was
        for every rule checked before anything is changed."""
        if not event.actor.strip():
            raise RuleBroken("event has no actor")
        if event.timestamp.tzinfo is None:
            raise RuleBroken("event timestamp has no time zone")
        if self.last_timestamp is not None and event.timestamp < self.last_timestamp:
            message = (f"recorded at {event.timestamp.isoformat()}, before the event it follows "
                       f"({self.last_timestamp.isoformat()})")
            # No earlier program wrote a RulesInForce: its own time is never acknowledgeable.
            if self.last_timestamp - event.timestamp > _RACE_SKEW or isinstance(event, RulesInForce):
                raise RuleBroken(message)
            self._later_rule(message)
        if self.expecting is not None and not (
                isinstance(event, (DocumentRecorded, StoredDocument)) and event.header.id == self.expecting):
            raise RuleBroken(f"chart extension for document {self.expecting!r} is not followed by that document")
        if self.ledger is None and not isinstance(event, LedgerOpened):
            raise RuleBroken(f"{type(event).__name__} before the ledger was opened")
        self._stamp = (event.actor, event.timestamp)
        for finding in ledger_rules.text_findings(event):
            self._later_rule(finding)
        self._apply(event)
        self.previous = event
        if self.last_timestamp is None or event.timestamp > self.last_timestamp:
            self.last_timestamp = event.timestamp

    def _later_rule(self, message: str) -> None:
        """A rule an earlier program did not have: broken once today's rules are in force,
        to be acknowledged before. The finding names who recorded the event and when, so the
        owner can tell an old event from one added since, and shows stored text escaped."""
        if self.rules >= 2:
            raise RuleBroken(message)
        who = f" [recorded {self._stamp[1].isoformat()} by {self._stamp[0]!r}]" if self._stamp else ""
        self.unacknowledged.append(one_line(f"position {self._at}: {message}{who}"))

    @singledispatchmethod
    def _apply(self, event: Event) -> None:
        raise RuleBroken(f"unknown event {type(event).__name__}")

    @_apply.register
    def _(self, event: LedgerOpened) -> None:
        ledger_rules.check_opened(event, self.ledger)
        self.ledger = mutate_ledger(event, None)

    def _ledger_event(self, event: Event) -> LedgerState:
        assert self.ledger is not None
        ledger_rules.check_in_sequence(event, self.ledger)
        return self.ledger

    @_apply.register
    def _(self, event: RulesInForce) -> None:
        ledger_rules.check_rules(event, self.rules, self.rules_version, self.unacknowledged)
        self.rules, self.rules_version = event.rules, event.originator_version
        self.findings, self.unacknowledged = list(event.acknowledged), []

    @_apply.register
    def _(self, event: ChartExtended) -> None:
        ledger = self._ledger_event(event)
        ledger_rules.check_chart(event, ledger, self.documents)
        added = sum(line.opening_balance_cents for unit in event.units for line in unit.lines)
        self._within_limit(added)
        self.absolute += added
        self.ledger = mutate_ledger(event, ledger)
        self.expecting = event.document

    @_apply.register
    def _(self, event: HorizonExtended) -> None:
        ledger = self._ledger_event(event)
        ledger_rules.check_horizon(event, ledger)
        new_years = range(ledger.last_year + 1, event.last_year + 1)
        self._within_limit(sum(self.tail_abs.values()) * len(new_years))
        figures, adopted = dict(self.figures), dict(self.adopted)
        for address, amount in self.tail.items():
            for year in new_years:
                figures[(address, year)] = figures.get((address, year), 0) + amount
        extended = mutate_ledger(event, ledger)
        assert extended is not None
        self._reserves_hold(extended, self.figures, figures, extended.lines, "the extension")
        for address, amount in self.adopted_tail.items():
            for year in new_years:
                adopted[(address, year)] = adopted.get((address, year), 0) + amount
        self.absolute += sum(self.tail_abs.values()) * len(new_years)
        self.figures, self.adopted = defaultdict(int, figures), defaultdict(int, adopted)
        self.ledger = extended

    @_apply.register(KeySet)
    @_apply.register(OrganisationDescribed)
    @_apply.register(LinesClassified)
    def _(self, event: KeySet | OrganisationDescribed | LinesClassified) -> None:
        ledger = self._ledger_event(event)
        if isinstance(event, KeySet):
            ledger_rules.check_key(event, ledger)
        else:
            check_bbv(event, ledger, self.documents, self.previous)
        self.ledger = mutate_ledger(event, ledger)

    @_apply.register(DocumentRecorded)
    @_apply.register(StoredDocument)
    def _(self, event: DocumentRecorded | StoredDocument) -> None:
        from ledger.validation import RESERVE_BELOW_ZERO, check_recorded

        assert self.ledger is not None
        doc = event.header.id
        if event.originator_id != document_aggregate_id(doc) or event.originator_version != 1:
            raise RuleBroken(f"document {doc!r} is stored under another identity")
        if doc in self.documents:
            raise RuleBroken(f"document {doc!r} is recorded a second time")
        problems, later = check_recorded(event, self)
        if problems:
            raise RuleBroken(f"document {doc!r}: {problems[0]}")
        mutations = as_mutations(event.mutations)
        effects = list(self._effects(mutations))
        added = sum(abs(amount) for _, _, amount in effects)
        self._within_limit(added)
        delta: dict[tuple[str, int], int] = defaultdict(int)
        for address, year, amount in effects:
            delta[(address, year)] += amount
        for message in later:
            self._later_rule(f"document {doc!r}: {message}")
        if not any(RESERVE_BELOW_ZERO in message for message in later):
            # The document as a whole, whatever order its mutations take.
            self._reserves_hold(self.ledger, self.figures, Shifted(self.figures, delta), {a for a, _ in delta},
                                f"document {doc!r}")
        self.expecting = None
        self.absolute += added
        for key, amount in delta.items():
            self.figures[key] += amount
        tails = list(carried_tails(mutations))
        for address, amount in tails:
            self.tail[address] += amount
            self.tail_abs[address] += abs(amount)
        self._proposed[doc] = (self.years, dict(delta), tails)
        self._targets.add(doc, mutations)
        facts = DocumentFacts(1, "proposed", event.content_sha256, len(mutations), mutations)
        for m in mutations:
            if m.corrects is not None and m.corrects.document != doc:
                facts.corrects.add(m.corrects.document)
                self.corrected_by[m.corrects.document].add(doc)
        self.documents[doc] = facts

    def _document_event(self, event: DocumentAdopted | DocumentWithdrawn) -> DocumentFacts:
        facts = self.documents.get(event.document)
        if facts is None or event.originator_id != document_aggregate_id(event.document):
            raise RuleBroken(f"{type(event).__name__} of {event.document!r}, which is not recorded")
        if event.originator_version != facts.version + 1:
            raise RuleBroken(f"{type(event).__name__} of {event.document!r} out of sequence")
        if facts.status != "proposed":
            raise RuleBroken(f"{event.document!r} is {facts.status}; only a proposed document can be "
                             f"{'adopted' if isinstance(event, DocumentAdopted) else 'withdrawn'}")
        return facts

    @_apply.register
    def _(self, event: DocumentAdopted) -> None:
        facts = self._document_event(event)
        if not event.decision.strip():
            raise RuleBroken(f"{event.document!r} adopted without a decision")
        assert facts.mutations is not None and self.ledger is not None
        delta, tails = self._recorded_effects(event.document, facts.mutations)
        # The adopted budget alone keeps every reserve at or above zero too.
        self._reserves_hold(self.ledger, self.adopted, Shifted(self.adopted, delta), {a for a, _ in delta},
                            f"adopting {event.document!r}")
        for key, amount in delta.items():
            self.adopted[key] += amount
        for address, amount in tails:
            self.adopted_tail[address] += amount
        self._proposed.pop(event.document, None)
        self.documents[event.document] = replace(facts, version=event.originator_version, status="adopted",
                                                 mutations=None, decision=event.decision)

    @_apply.register
    def _(self, event: DocumentWithdrawn) -> None:
        facts = self._document_event(event)
        assert facts.mutations is not None and self.ledger is not None
        live = sorted(d for d in self.corrected_by.get(event.document, ()) if self.documents[d].status != "withdrawn")
        if live:
            self._later_rule(f"{event.document!r} is corrected by {', '.join(map(repr, live))}; withdraw those first")
        recorded, tails = self._recorded_effects(event.document, facts.mutations)
        delta = {key: -amount for key, amount in recorded.items()}
        touched = {leg.address for m in facts.mutations for leg in m.legs if m.kind == "reserve"}
        self._reserves_hold(self.ledger, self.figures, Shifted(self.figures, delta), touched,
                            f"withdrawing {event.document!r}")
        for key, amount in delta.items():
            self.figures[key] += amount
        for address, amount in tails:
            self.tail[address] -= amount
        self._proposed.pop(event.document, None)
        for target in facts.corrects:
            self.corrected_by[target].discard(event.document)
        self.documents[event.document] = replace(facts, version=event.originator_version, status="withdrawn",
                                                 mutations=None)

    # ------------------------------------------------------------ what the checks ask

    def figure(self, address: str, year: int, *, adopted_only: bool = False) -> int:
        return (self.adopted if adopted_only else self.figures).get((address, year), 0)

    def mutation_target(self, document: str, seq: int) -> Target:
        """The corrected document's status, the corrected mutation's lines and whether it is structural;
        (None, None, False) for an unknown document, (status, None, False) for an unknown mutation."""
        facts = self.documents.get(document)
        if facts is None:
            return None, None, False
        lines, structural, _ = self._targets.kind(document, seq, lambda: self._mutations(document)) or (None, False, False)
        return facts.status, lines, structural

    def mutation_is_split(self, document: str, seq: int) -> bool:
        """Whether that mutation (or one of its legs) falls to the participants by a split of its own."""
        facts = self.documents.get(document)
        kind = facts and self._targets.kind(document, seq, lambda: self._mutations(document))
        return bool(kind and kind[2])

    def _mutations(self, document: str) -> tuple[Mutation, ...]:  # of a document given, not folded here
        mutations = self.documents[document].mutations
        return mutations if mutations is not None else self.load_document(document) or ()

    def _recorded_effects(self, document: str, mutations: tuple[Mutation, ...]) -> tuple[dict, list]:
        """A proposed document's effects per (line, year) and carried tails as recorded (the
        years then), or again from its mutations once the horizon has grown."""
        kept = self._proposed.get(document)
        return (kept[1], kept[2]) if kept and kept[0] == self.years else document_effects(mutations, self.years)

    # ------------------------------------------------------------ helpers

    def _effects(self, mutations: Iterable[Mutation]) -> Iterable[tuple[str, int, int]]:
        """(line, year, amount) for every year each leg counts in (``events.mutation_effects``)."""
        return ((leg.address, year, amount) for m in mutations for leg, year, amount in mutation_effects(m, self.years))

    def _within_limit(self, added: int) -> None:
        if self.absolute + added > STORAGE_LIMIT_CENTS:
            raise RuleBroken(
                f"amounts too large: the ledger's figures would exceed what it can store (the absolute "
                f"amounts of all its mutations and opening balances together at most {euro(STORAGE_LIMIT_CENTS)}; "
                f"{euro(self.absolute)} is used)")

    def _reserves_hold(self, ledger: LedgerState, before: Figures, after: Figures, lines: Iterable[str],
                       what: str) -> None:
        for address in sorted(lines):
            if ledger.lines[address].type == "reserve":
                low = shortfall(address, after, ledger, before)
                if low is not None:
                    self._later_rule(f"{what} would take reserve {address} below zero in {low[0]} "
                                     f"(balance {euro(low[1])})")


__all__ = ["WriteModel", "RuleBroken", "ChainBroken", "STORAGE_LIMIT_CENTS", "decode"]
