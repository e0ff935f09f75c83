"""The application service: opens a ledger, records documents, adopts and withdraws them,
and keeps the read models caught up. Commands load the aggregates they need, check,
then save every new event in one atomic ``save()``; a write that clashes with another
writer is retried from the start (re-checked against the new state).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from events import (
    LEDGER_ID,
    ChartExtended,
    DocumentAdopted,
    DocumentHeader,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    canonical,
    document_aggregate_id,
    mutation_effects,
)
from ledger.domain import DocumentState, LedgerState, project_document, project_ledger
from ledger.errors import (
    DocumentNotFound,
    InvalidInput,
    LedgerError,
    LedgerExists,
    LedgerNotFound,
    LifecycleError,
    NotPermitted,
    Problem,
    StorageError,
    WriteConflict,
)
from ledger.integrity import GENESIS, parse_digest, walk_chain
from ledger.keys import KeyInput, read_key
from ledger.mapper import PydanticMapper
from ledger.parsing import DocumentInput, read_document
from ledger.storage import Location
from ledger.text import checked_text
from ledger.validation import check_document
from projections import schema
from projections.db import connect_sqlite, drop_tables, table_rows
from projections.projector import Projector
from projections.queries import Views

WRITE_ATTEMPTS = 12


class BegrotingApp(Application):
    name = "begroting"

    def construct_mapper(self) -> PydanticMapper:  # type: ignore[override]
        return PydanticMapper()


@dataclass
class Verification:
    """What `verify` found: the head of the intact chain and every problem, first bad position first."""

    events: int
    head_position: int
    head_sha256: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def digest(self) -> str:
        return f"{self.head_position}:{self.head_sha256}"


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


def _scrub(message: str, location: Location) -> str:
    """Never print a password, whatever the driver put in its message."""
    password = getattr(location, "password", "")
    return message.replace(password, "***") if password else message


def _exists(location: Location) -> bool:
    try:
        return location.exists()
    except Exception as e:  # server down, wrong password, missing database, …
        first = _scrub(str(e), location).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StorageError(f"cannot connect to {location}: {first}") from None


def now() -> datetime:
    return datetime.now(timezone.utc)


def actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


def content_sha256(doc: DocumentInput) -> str:
    """Identity of a document's content, whatever file or format it came from."""
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
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _differences(kept: Any, fresh: Any) -> Iterator[tuple[str, int, int]]:
    for table in schema.TABLES:
        try:
            a = table_rows(kept, table)
        except Exception:  # a table gone missing from the kept read models
            yield table, 0, -1
            continue
        b = table_rows(fresh, table)
        if a != b:
            yield table, len(a), len(b)


def _is_permission_error(e: BaseException) -> bool:
    return "permission denied" in str(e).lower() or "insufficientprivilege" in type(e).__name__.lower()


def _is_lock_error(e: BaseException) -> bool:
    return isinstance(e, (sqlite3.OperationalError, OperationalError)) and "locked" in str(e).lower()


class Ledger:
    """One open ledger: its event store (``app``) and its read models (``views``)."""

    def __init__(self, location: Location, *, readonly: bool = False, create: bool = False):
        self.location = location
        self.views_stale = False
        try:
            self.app = BegrotingApp(env=location.event_store_env(readonly=readonly, create=create))
            self.conn = location.views_connection()  # written by catch-up, whatever the command
            self.projector = Projector(self.conn, self.app.recorder, self.app.mapper)
        except Exception as e:
            raise StorageError(f"cannot open ledger {location}: {_scrub(str(e), location)}") from None
        self.views = Views(self.conn)
        self.actor = actor()
        if location.kind == "postgresql":
            # On a shared ledger the actor is the database user, whoever runs the command.
            self.actor = self.conn.execute("SELECT current_user").fetchone()[0]

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, text: str, *, write: bool = False) -> Ledger:
        location = Location.parse(text)
        if not _exists(location):
            raise LedgerNotFound(f"no ledger at {location}: create one with `begroting init`")
        ledger = cls(location, readonly=not write)
        try:
            ledger.app.recorder.max_notification_id()
        except (PersistenceError, sqlite3.Error):
            ledger.close()
            raise LedgerNotFound(f"{location} is not a begroting ledger") from None
        return ledger

    @classmethod
    def init(cls, text: str, organisation: str, first_year: int, last_year: int) -> Ledger:
        organisation = checked_text(organisation, "--organisation", "name")
        if not organisation:
            raise LedgerError("--organisation: give the organisation's name")
        if not (1900 <= first_year <= last_year <= 2200) or last_year - first_year > 30:
            raise LedgerError(f"--years: {first_year}-{last_year} is not a horizon (first-last, at most 31 years)")
        location = Location.parse(text)
        location.prepare()
        _exists(location)  # a clear message when the server cannot be reached
        ledger = cls(location, create=True)
        try:
            ledger.app.save(LedgerOpened(
                originator_id=LEDGER_ID, originator_version=1, timestamp=now(), actor=ledger.actor,
                organisation=organisation, first_year=first_year, last_year=last_year, currency="EUR",
            ))
        except IntegrityError:
            ledger.close()
            raise LedgerExists(f"{location} already holds a ledger") from None
        ledger.catch_up()
        return ledger

    def close(self) -> None:
        self.app.close()
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ read side

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        try:
            return self.projector.catch_up(progress)
        except Exception as e:
            # An auditor on a shared ledger reads the read models but may not write them.
            if self.location.kind == "postgresql" and _is_permission_error(e):
                self.views_stale = self.views.head() < (self.app.recorder.max_notification_id() or 0)
                return 0
            raise

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop every read model and replay the whole event store into fresh ones."""
        drop_tables(self.conn)
        self.projector = Projector(self.conn, self.app.recorder, self.app.mapper)
        return self.projector.replay(progress)

    # ------------------------------------------------------------ integrity

    def digest(self) -> str:
        """The head of the hash chain, ``position:sha256``, for an auditor to keep elsewhere."""
        head, link, problem, _ = walk_chain(self.location.chain_rows(), contiguous=self.location.contiguous)
        if problem:
            raise LedgerError(f"the hash chain is broken ({problem}); run `begroting verify`")
        return f"{head}:{link}"

    def verify(self, digest: str | None = None, progress: Callable[[int, int], None] | None = None) -> Verification:
        """Walk the hash chain, replay every event into fresh read models and compare them
        with the kept ones, and (with a digest) prove the ledger still extends it."""
        want = None
        if digest is not None:
            try:
                want = parse_digest(digest)
            except ValueError as e:
                raise LedgerError(str(e)) from None
        head, link, problem, kept = walk_chain(self.location.chain_rows(), keep=want[0] if want else None,
                                               contiguous=self.location.contiguous)
        report = Verification(events=head, head_position=head, head_sha256=link)
        if problem:
            report.problems.append(problem)
        orphan = self.location.orphan_links()
        if orphan is not None:
            report.problems.append(f"position {orphan}: chain link without its event (event deleted?)")
        if want is not None:
            position, expected = want
            if position > head and not problem:
                report.problems.append(f"position {position}: the ledger ends at {head}, before the digest (truncated?)")
            elif kept is not None and kept != expected:
                report.problems.append(f"position {position}: the ledger no longer extends the digest (history rewritten)")
            elif position == 0 and expected != GENESIS:
                report.problems.append("position 0: not a digest of this ledger")
        if report.problems:
            return report
        views_head = self.views.head()
        if views_head > head:
            report.problems.append(f"position {head + 1}: the read models hold events up to {views_head}, "
                                   f"the event store ends at {head} (events lost?)")
            return report
        self.catch_up()
        fresh = connect_sqlite(Path(":memory:"))
        try:
            replay = Projector(fresh, self.app.recorder, self.app.mapper)
            try:
                replay.replay(progress)
            except Exception as e:  # a tampered event that no longer replays
                report.problems.append(f"position {replay.position() + 1}: cannot be replayed ({type(e).__name__}: {e})")
                return report
            for table, kept_rows, fresh_rows in _differences(self.conn, fresh):
                report.problems.append(f"read model {table} differs from a replay of the events "
                                       f"({kept_rows} kept rows vs {fresh_rows} replayed)")
        finally:
            fresh.close()
        return report

    def ledger_state(self) -> LedgerState:
        try:
            return self.app.repository.get(LEDGER_ID, projector_func=project_ledger)
        except AggregateNotFoundError:
            raise LedgerNotFound(f"{self.location} holds no ledger: run `begroting init`") from None

    def document_state(self, document: str) -> DocumentState | None:
        try:
            return self.app.repository.get(document_aggregate_id(document), projector_func=project_document)
        except AggregateNotFoundError:
            return None

    # ------------------------------------------------------------ commands

    def record(self, path: str, *, dry_run: bool = False, adopted_only: bool = False) -> RecordResult:
        doc = read_document(path)
        return self.record_input(doc, dry_run=dry_run, adopted_only=adopted_only)

    def record_input(self, doc: DocumentInput, *, dry_run: bool = False, adopted_only: bool = False,
                     catch_up: bool = True) -> RecordResult:
        """Check and store one parsed document. With ``catch_up=False`` the read models are
        left behind the new events (the benchmark times the catch-up on its own)."""
        digest = content_sha256(doc)
        for attempt in range(WRITE_ATTEMPTS):
            self.catch_up()
            existing = self.document_state(doc.id)
            if existing is not None:
                if existing.content_sha256 == digest:
                    return RecordResult(doc.id, len(existing.mutations), already_recorded=True, dry_run=dry_run)
                raise InvalidInput([Problem(doc.source, "document.id",
                                            f"{doc.id!r} is already recorded with different content; "
                                            "correct it with a later document")])
            ledger = self.ledger_state()
            column = "adopted_cents" if adopted_only else "amount_cents"
            # Corrected mutations are looked up in the read models, caught up just above:
            # loading whole documents would make a correction cost as much as its target.
            checked = check_document(doc, ledger, self.views.mutation_target,
                                     lambda address, year: self.views.figure(address, year, column))
            stamp, who = now(), self.actor
            events: list[Event] = []
            if checked.new_units:
                events.append(ChartExtended(
                    originator_id=LEDGER_ID, originator_version=ledger.version + 1, timestamp=stamp,
                    actor=who, document=doc.id, units=tuple(checked.new_units),
                ))
            doc_id = document_aggregate_id(doc.id)
            recorded = DocumentRecorded(
                originator_id=doc_id, originator_version=1, timestamp=stamp, actor=who,
                header=DocumentHeader(id=doc.id, kind=doc.kind, title=doc.title, date=doc.date, decision=doc.decision),
                mutations=tuple(checked.mutations), content_sha256=digest, source=doc.source.rsplit("/", 1)[-1],
            )
            events.append(recorded)
            if doc.status == "adopted":
                events.append(DocumentAdopted(
                    originator_id=doc_id, originator_version=2, timestamp=stamp, actor=who,
                    document=doc.id, date=doc.date, decision=doc.decision,
                ))
            result = RecordResult(
                doc.id, len(checked.mutations), dry_run=dry_run,
                changes=self._changes(recorded, ledger),
                excluded_from_indexation=checked.excluded_from_indexation,
                new_lines=[f"{u.id}/{line.id}" for u in checked.new_units for line in u.lines],
            )
            if dry_run:
                return result
            recordings = self._try_save(attempt, *events)
            if recordings is None:
                continue
            result.position = next(r.notification.id for r in recordings if r.domain_event is recorded)
            if catch_up:
                self.catch_up()
            return result
        raise WriteConflict(f"{doc.source}: gave up after {WRITE_ATTEMPTS} attempts; other writers kept changing the ledger")

    def _changes(self, recorded: DocumentRecorded, ledger: LedgerState) -> list[tuple[str, str, int, int, int]]:
        deltas: dict[tuple[str, str, int], int] = {}
        for m in recorded.mutations:
            for leg, year, amount in mutation_effects(m, ledger.years):
                key = (leg.unit, leg.line, year)
                deltas[key] = deltas.get(key, 0) + amount
        current = self.views.figures()  # one read of the figures table, not one per line and year
        out = []
        for (unit, line, year), delta in sorted(deltas.items()):
            before = current.get((unit, line, year), 0)
            out.append((unit, line, year, before, before + delta))
        return out

    def _try_save(self, attempt: int, *events: Event) -> list | None:
        """One atomic save. None when another writer got there first (after a backoff the
        caller checks again against the new state); a permission refusal is NotPermitted."""
        try:
            return self.app.save(*events)
        except IntegrityError:
            self._backoff(attempt)
            return None
        except (OperationalError, sqlite3.OperationalError) as e:
            if not _is_lock_error(e):
                raise StorageError(f"cannot write to {self.location}: {e}") from None
            self._backoff(attempt)
            return None
        except PersistenceError as e:
            if _is_permission_error(e):
                raise NotPermitted(f"not permitted: {self.actor} may not write to {self.location} "
                                   "(this role may only read, explain and verify)") from None
            raise

    @staticmethod
    def _backoff(attempt: int) -> None:
        time.sleep(min(0.5, 0.005 * 2**attempt) * (0.5 + random.random()))

    def _save_change(self, what: str, load: Callable[[], Any], make: Callable[[Any], Event | None]) -> int | None:
        """Make one event from the aggregate's current state and save it; when another writer
        got there first, load the new state and make it again. Returns the event's position,
        or None when ``make`` finds it already done."""
        for attempt in range(WRITE_ATTEMPTS):
            event = make(load())
            if event is None:
                return None
            recordings = self._try_save(attempt, event)
            if recordings is None:
                continue
            self.catch_up()
            return recordings[0].notification.id
        raise WriteConflict(f"{what}: gave up after {WRITE_ATTEMPTS} attempts; other writers kept changing the ledger")

    def _lifecycle(self, document: str, make: Callable[[DocumentState], Event | None]) -> int | None:
        def load() -> DocumentState:
            state = self.document_state(document)
            if state is None:
                raise DocumentNotFound(f"no document {document!r} in the ledger")
            return state

        return self._save_change(document, load, make)

    def adopt(self, document: str, when: date, decision: str) -> int | None:
        """Adopt a proposed document; returns its position, or None if it already was
        adopted with this decision."""
        decision = checked_text(decision, "--decision", "decision")
        if not decision:
            raise LifecycleError("--decision: name the decision that adopted the document")

        def make(state: DocumentState) -> Event | None:
            if state.status == "adopted":
                if state.decision == decision:
                    return None
                raise LifecycleError(f"{document} is already adopted ({state.decision})")
            if state.status == "withdrawn":
                raise LifecycleError(f"{document} was withdrawn and cannot be adopted")
            return DocumentAdopted(
                originator_id=state.id, originator_version=state.version + 1, timestamp=now(), actor=self.actor,
                document=document, date=when, decision=decision,
            )

        return self._lifecycle(document, make)

    def withdraw(self, document: str, when: date, reason: str) -> int | None:
        reason = checked_text(reason, "--reason", "reason")
        if not reason:
            raise LifecycleError("--reason: say why the document is withdrawn")

        def make(state: DocumentState) -> Event | None:
            if state.status == "withdrawn":
                return None
            if state.status == "adopted":
                raise LifecycleError(f"{document} is adopted; correct it with a later document instead")
            return DocumentWithdrawn(
                originator_id=state.id, originator_version=state.version + 1, timestamp=now(), actor=self.actor,
                document=document, date=when, reason=reason,
            )

        return self._lifecycle(document, make)

    def set_key(self, path: str) -> int | None:
        """Record a distribution key; returns its position, or None if that very key is already set."""
        return self.set_key_input(read_key(path))

    def set_key_input(self, key: KeyInput) -> int | None:
        def make(state: LedgerState) -> Event | None:
            known = state.keys.get(key.id)
            if known is not None:
                if known.from_year == key.from_year and list(known.participants) == key.participants:
                    return None
                raise InvalidInput([Problem(key.source, "key.id", f"{key.id!r} is already set with other contents; "
                                                                  "give the new key another id")])
            return KeySet(
                originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=now(), actor=self.actor,
                key=key.id, from_year=key.from_year, participants=tuple(key.participants),
                source=key.source.rsplit("/", 1)[-1],
            )

        return self._save_change("key set", self.ledger_state, make)

    def extend(self, last_year: int) -> int | None:
        def make(state: LedgerState) -> Event | None:
            if last_year < state.last_year:
                raise LedgerError(f"--to {last_year}: the horizon already runs to {state.last_year}; "
                                  "years can only be added at the end")
            if last_year == state.last_year:
                return None
            if last_year - state.first_year > 30:
                raise LedgerError(f"--to {last_year}: a horizon holds at most 31 years")
            return HorizonExtended(
                originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=now(),
                actor=self.actor, last_year=last_year,
            )

        return self._save_change("extend", self.ledger_state, make)
