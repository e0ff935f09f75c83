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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from eventsourcing.application import Application
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
    Mutation,
    canonical,
    document_aggregate_id,
    mutation_effects,
)
from ledger.domain import LedgerState, project_document
from ledger.errors import (
    DocumentNotFound,
    InvalidInput,
    LedgerCorrupt,
    LedgerError,
    LedgerExists,
    LedgerNotFound,
    LifecycleError,
    NotPermitted,
    Problem,
    StorageError,
    WriteConflict,
)
from ledger.integrity import GENESIS, ChainBroken, parse_digest, walk_chain
from ledger.keys import KeyInput, read_key
from ledger.mapper import PydanticMapper
from ledger.parsing import DocumentInput, read_document
from ledger.storage import LOCK_TIMEOUT_S, Location
from ledger.text import checked_text
from ledger.validation import check_document
from ledger.writemodel import RULES, DocumentFacts, RuleBroken, WriteModel, decode
from projections import schema
from projections.db import connect_sqlite, drop_tables, rollback, table_rows
from projections.projector import Projector, UnreadableEvent
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
    views_position: int | None = None  # the position the (compared) read models reflect
    # What today's rules refuse in events an earlier program recorded under rules it allowed.
    findings: list[str] = field(default_factory=list)
    rules: int = 1  # the rules the ledger's last events keep

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
    for i, (m, out) in enumerate(zip(doc.mutations, body["mutations"]), start=1):
        if m.seq != i:
            out["seq"] = m.seq
        if m.kind == "correctie" and not m.structural_given:
            out["structural"] = "as corrected"
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _differences(kept: Any, fresh: Any) -> Iterator[tuple[str, int, int]]:
    for table in schema.TABLES:
        if table == "binding":  # not a read model: which events the kept ones reflect
            continue
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
        self._model: WriteModel | None = None
        self.notices: list[str] = []  # what the command should tell its user besides its answer
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
        opened = LedgerOpened(
            originator_id=LEDGER_ID, originator_version=1, timestamp=now(), actor=ledger.actor,
            organisation=organisation, first_year=first_year, last_year=last_year, currency="EUR",
        )
        try:
            ledger.app.save(opened, WriteModel(lambda _: None).rules_event(opened.timestamp, ledger.actor))
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
        """Bring the read models up to the store's head, after proving they reflect this
        ledger's events. Read models of another ledger are rebuilt; ones that reflect more
        or other events than this store holds are evidence of lost or rewritten events, and
        are refused until `verify` has been run and the owner rebuilds them."""
        mismatch = self.views_mismatch()
        if mismatch == "another ledger":
            return self._rebuild_foreign(progress)
        if mismatch:
            raise LedgerCorrupt(f"the read models do not reflect this event store ({mismatch}); "
                                "run `begroting verify`, then `begroting rebuild`")
        try:
            applied = self.projector.catch_up(progress)
        except UnreadableEvent as e:
            self._bind_views()
            self.notices.append(f"the ledger needs verification: {e}; the figures shown are those up to "
                                f"position {self.views.head()}; run `begroting verify`")
            return 0
        except Exception as e:
            # An auditor on a shared ledger reads the read models but may not write them.
            if self.location.kind == "postgresql" and _is_permission_error(e):
                self.views_stale = self.views.head() < (self.app.recorder.max_notification_id() or 0)
                return 0
            raise
        if applied:
            self._bind_views()
        return applied

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop every read model and replay the whole event store into fresh ones."""
        drop_tables(self.conn)
        self.projector = Projector(self.conn, self.app.recorder, self.app.mapper)
        try:
            applied = self.projector.replay(progress)
        except UnreadableEvent as e:
            self._bind_views()
            raise LedgerCorrupt(f"the ledger needs verification: {e}; the read models were rebuilt up to "
                                f"position {self.views.head()}; run `begroting verify`") from None
        self._bind_views()
        return applied

    def views_mismatch(self) -> str | None:
        """Why the read models do not reflect a prefix of this very event store, or None when
        they do: they are bound to the chain links at position 1 and at their head."""
        views_head = self.views.head()
        if views_head == 0:
            return None
        bound = {name: (position, sha) for name, position, sha in self.conn.execute(
            "SELECT name, position, sha256 FROM binding")}
        first, head = bound.get("first"), bound.get("head")
        if first is None or head is None or head[0] > views_head or self.location.chain_link(1) != first[1]:
            return "another ledger"
        store_head = self.app.recorder.max_notification_id() or 0
        if views_head > store_head:
            return f"they hold events up to position {views_head}, the event store ends at {store_head}"
        if self.location.chain_link(head[0]) != head[1]:
            return f"the event at position {head[0]} is not the one they were built from"
        return None

    def _bind_views(self) -> None:
        head = self.views.head()
        if head == 0:
            return
        try:
            self.conn.execute("BEGIN")
            for name, position in (("first", 1), ("head", head)):
                self.conn.execute("INSERT OR REPLACE INTO binding (name, position, sha256) VALUES (?, ?, ?)",
                                  (name, position, self.location.chain_link(position)))
            self.conn.execute("COMMIT")
        except Exception as e:
            rollback(self.conn)
            if not _is_permission_error(e):  # an auditor binds nothing: the controller's next command does
                raise

    def _rebuild_foreign(self, progress: Callable[[int, int], None] | None) -> int:
        try:
            applied = self.rebuild(progress)
        except Exception as e:
            if _is_permission_error(e):
                raise NotPermitted("the shared read models do not reflect this ledger's events; "
                                   "the owner must run `begroting rebuild`") from None
            raise
        self.notices.append("the read models beside this ledger were not bound to its events (another "
                            "ledger's, or made by an older version); they were rebuilt from its events")
        return applied

    # ------------------------------------------------------------ integrity

    def digest(self) -> str:
        """The head of the hash chain, ``position:sha256``, for an auditor to keep elsewhere."""
        head, link, problem = walk_chain(self.location.chain_rows(), contiguous=self.location.contiguous)
        if problem:
            raise LedgerError(f"the hash chain is broken ({problem}); run `begroting verify`")
        return f"{head}:{link}"

    def verify(self, digest: str | None = None, progress: Callable[[int, int], None] | None = None) -> Verification:
        """Walk the hash chain and replay every event through the domain's rules (the
        checks `record` runs), prove the ledger still extends a digest kept earlier, and
        compare the read models with a fresh replay of the events they reflect."""
        want = None
        if digest is not None:
            try:
                want = parse_digest(digest)
            except ValueError as e:
                raise LedgerError(str(e)) from None
        total = self.app.recorder.max_notification_id() or 0
        model = self._new_model()
        kept: list[str] = []

        stamps = self._stamps()
        problems: list[str] = []

        def step(position: int, event: Any) -> None:
            if want is not None and position == want[0]:
                kept.append(model.chain.previous)
            if stamps is not None and not problems:
                odd = _stamp_problem(event, stamps.get(position))
                if odd:
                    problems.append(f"position {position}: {odd}")
            if progress:
                progress(position, total)

        try:
            model.fold(self.location.chain_rows(), step)
        except (ChainBroken, RuleBroken) as e:
            problems.append(str(e))
        if model.expecting is not None and not problems:
            problems.append(f"position {model.position}: chart extension for document {model.expecting!r} "
                            "is not followed by that document (removed?)")
        problems.sort(key=_position_of)
        head = model.position
        report = Verification(events=model.count, head_position=head, head_sha256=model.chain.previous,
                              problems=problems, findings=model.findings, rules=model.rules)
        orphan = self.location.orphan_links()
        if orphan is not None:
            report.problems.append(f"position {orphan}: chain link without its event (event deleted?)")
        if want is not None:
            position, expected = want
            if position > head and not problems:
                report.problems.append(f"position {position}: the ledger ends at {head}, before the digest (truncated?)")
            elif kept and kept[0] != expected:
                report.problems.append(f"position {position}: the ledger no longer extends the digest (history rewritten)")
            elif position == 0 and expected != GENESIS:
                report.problems.append("position 0: not a digest of this ledger")
            elif position and not kept and not problems:
                report.problems.append(f"position {position}: no event at the digest's position (removed?)")
        if report.problems:
            return report
        self._compare_views(report, progress)
        return report

    def _compare_views(self, report: Verification, progress: Callable[[int, int], None] | None) -> None:
        """Read models behind the events (an auditor may not catch them up) are not tampered
        ones: they are compared with a replay up to the position they reflect."""
        head = report.head_position
        views_head = self.views.head()
        if views_head > head:
            report.problems.append(f"position {head + 1}: the read models hold events up to {views_head}, "
                                   f"the event store ends at {head} (events lost?)")
            return
        mismatch = self.views_mismatch()
        if mismatch:
            report.problems.append(f"the read models do not reflect this event store ({mismatch})")
            return
        self.catch_up()
        views_head = self.views.head()
        report.views_position = views_head
        fresh = connect_sqlite(Path(":memory:"))
        try:
            replay = Projector(fresh, self.app.recorder, self.app.mapper)
            try:
                replay.replay(progress, until=views_head)
            except Exception as e:  # an event that no longer projects
                report.problems.append(f"position {replay.position() + 1}: cannot be replayed ({type(e).__name__}: {e})")
                return
            for table, kept_rows, fresh_rows in _differences(self.conn, fresh):
                report.problems.append(f"read model {table} differs from a replay of the events "
                                       f"({kept_rows} kept rows vs {fresh_rows} replayed)")
        finally:
            fresh.close()

    def _stamps(self) -> dict[int, tuple[str | None, datetime | None]] | None:
        """What the database itself stamped on each event (PostgreSQL: who inserted it and when),
        or None where the store keeps no such stamps."""
        read = getattr(self.location, "event_stamps", None)
        if read is None:
            return None
        return {position: (who, when) for position, who, when in read()}

    # ------------------------------------------------------------ the proven state

    def _new_model(self) -> WriteModel:
        return WriteModel(self._stored_mutations, contiguous=self.location.contiguous)

    def _stored_mutations(self, document: str) -> tuple[Mutation, ...] | None:
        """A recorded document's mutations, read from its stored DocumentRecorded event."""
        stored = self.app.recorder.select_events(document_aggregate_id(document), lte=1)
        return decode(stored[0].topic, stored[0].state, stored[0].originator_id, 1).mutations if stored else None

    def write_model(self) -> WriteModel:
        """The state every check runs against, folded from the event store up to its head
        (incrementally: a long-lived Ledger folds only the events added since)."""
        if self._model is None:
            self._model = self._new_model()
        try:
            self._model.fold(self.location.chain_rows(self._model.position + 1))
        except (ChainBroken, RuleBroken) as e:
            self._model = None
            raise LedgerCorrupt(f"the ledger fails verification ({e}); nothing was recorded: "
                                "run `begroting verify`") from None
        return self._model

    # ------------------------------------------------------------ commands

    def record(self, path: str, *, dry_run: bool = False, adopted_only: bool = False) -> RecordResult:
        doc = read_document(path)
        return self.record_input(doc, dry_run=dry_run, adopted_only=adopted_only)

    def record_input(self, doc: DocumentInput, *, dry_run: bool = False, adopted_only: bool = False,
                     catch_up: bool = True) -> RecordResult:
        """Check and store one parsed document. With ``catch_up=False`` the read models are
        left behind the new events (the benchmark times the catch-up on its own)."""
        digest = content_sha256(doc)
        result = RecordResult(doc.id, 0, dry_run=dry_run)

        def make(model: WriteModel) -> list[Event] | None:
            nonlocal result
            existing = model.documents.get(doc.id)
            if existing is not None:
                if existing.content_sha256 == digest:
                    result = RecordResult(doc.id, len(self._stored_mutations(doc.id) or ()), already_recorded=True,
                                          dry_run=dry_run)
                    return None
                raise InvalidInput([Problem(doc.source, "document.id",
                                            f"{doc.id!r} is already recorded with different content; "
                                            "correct it with a later document")])
            ledger = model.ledger
            assert ledger is not None
            checked = check_document(doc, model, adopted_only=adopted_only)
            stamp, who = _stamp(model), self.actor
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
                changes=_changes(recorded, model),
                excluded_from_indexation=checked.excluded_from_indexation,
                new_lines=[f"{u.id}/{line.id}" for u in checked.new_units for line in u.lines],
            )
            return events

        def saved(recordings: list) -> None:
            result.position = next(r.notification.id for r in recordings if isinstance(r.domain_event, DocumentRecorded))

        self._save_change(doc.source, make, dry_run=dry_run, catch_up=catch_up, saved=saved)
        return result

    def _try_save(self, attempt: int, events: list[Event], expected_head: int) -> list | None:
        """One atomic save, which goes ahead only while the store still ends at ``expected_head``.
        None when another writer got there first (after a backoff the caller checks again
        against the new state); a permission refusal is NotPermitted."""
        try:
            return self.app.save(*events, expected_head=expected_head)
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

    @contextmanager
    def _writer_lock(self, *, enabled: bool = True) -> Iterator[None]:
        """Writers queue here for the whole of fold, check and save, so they take turns
        instead of racing (the head check inside the save still guards against any writer
        that does not queue, such as a client of an older version or psql)."""
        if not enabled:
            yield
            return
        with self.location.writer_lock(LOCK_TIMEOUT_S):
            yield

    @staticmethod
    def _backoff(attempt: int) -> None:
        time.sleep(min(0.5, 0.005 * 2**attempt) * (0.5 + random.random()))

    def _save_change(self, what: str, make: Callable[[WriteModel], list[Event] | None], *, dry_run: bool = False,
                     catch_up: bool = True, saved: Callable[[list], None] | None = None) -> int | None:
        """Make events from the proven state at the store's head, check them against that state
        with the rules `verify` applies, and save them only if no other writer has saved since:
        checks and save are one step. When another writer got there first, fold its events
        in and make them again. Returns the position of the first event saved, or None when
        ``make`` finds nothing to do."""
        with self._writer_lock(enabled=not dry_run):
            return self._save_locked(what, make, dry_run=dry_run, catch_up=catch_up, saved=saved)

    def _save_locked(self, what: str, make: Callable[[WriteModel], list[Event] | None], *, dry_run: bool,
                     catch_up: bool, saved: Callable[[list], None] | None) -> int | None:
        for attempt in range(WRITE_ATTEMPTS):
            model = self.write_model()
            events = make(model)
            if not events:
                return None
            # A ledger recorded by an earlier program: this program's rules hold from here on.
            first = 0 if model.rules >= RULES else 1
            if first:
                events = [model.rules_event(events[0].timestamp, self.actor), *events]
            trial = model.fork()
            try:
                for event in events:
                    trial.apply(event)
            except RuleBroken as e:
                raise LedgerError(f"{what}: {e}") from None
            if dry_run:
                return None
            recordings = self._try_save(attempt, events, model.position)
            if recordings is None:
                continue
            recordings = recordings[first:]
            if saved:
                saved(recordings)
            position = recordings[0].notification.id
            if catch_up:
                try:
                    self.catch_up()
                except Exception as e:
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    raise LedgerError(f"{what}: recorded at position {position}, but the read models were not "
                                      f"updated ({first}); the next command catches them up") from None
            return position
        raise WriteConflict(f"{what}: gave up after {WRITE_ATTEMPTS} attempts; other writers kept changing the ledger")

    def _document(self, model: WriteModel, document: str) -> DocumentFacts:
        facts = model.documents.get(document)
        if facts is None:
            raise DocumentNotFound(f"no document {document!r} in the ledger")
        return facts

    def adopt(self, document: str, when: date, decision: str) -> int | None:
        """Adopt a proposed document; returns its position, or None if it already was
        adopted with this decision."""
        decision = checked_text(decision, "--decision", "decision")
        if not decision:
            raise LifecycleError("--decision: name the decision that adopted the document")

        def make(model: WriteModel) -> list[Event] | None:
            facts = self._document(model, document)
            if facts.status == "adopted":
                if self._decision(document) == decision:
                    return None
                raise LifecycleError(f"{document} is already adopted ({self._decision(document)})")
            if facts.status == "withdrawn":
                raise LifecycleError(f"{document} was withdrawn and cannot be adopted")
            return [DocumentAdopted(
                originator_id=document_aggregate_id(document), originator_version=facts.version + 1,
                timestamp=_stamp(model), actor=self.actor, document=document, date=when, decision=decision,
            )]

        return self._save_change(document, make)

    def _decision(self, document: str) -> str:
        state = self.app.repository.get(document_aggregate_id(document), projector_func=project_document)
        return state.decision if state else ""

    def withdraw(self, document: str, when: date, reason: str) -> int | None:
        reason = checked_text(reason, "--reason", "reason")
        if not reason:
            raise LifecycleError("--reason: say why the document is withdrawn")

        def make(model: WriteModel) -> list[Event] | None:
            facts = self._document(model, document)
            if facts.status == "withdrawn":
                return None
            if facts.status == "adopted":
                raise LifecycleError(f"{document} is adopted; correct it with a later document instead")
            return [DocumentWithdrawn(
                originator_id=document_aggregate_id(document), originator_version=facts.version + 1,
                timestamp=_stamp(model), actor=self.actor, document=document, date=when, reason=reason,
            )]

        return self._save_change(f"withdraw {document}", make)

    def set_key(self, path: str) -> int | None:
        """Record a distribution key; returns its position, or None if that very key is already set."""
        return self.set_key_input(read_key(path))

    def set_key_input(self, key: KeyInput) -> int | None:
        def make(model: WriteModel) -> list[Event] | None:
            state = _opened(model)
            known = state.keys.get(key.id)
            if known is not None:
                if known.from_year == key.from_year and list(known.participants) == key.participants:
                    return None
                raise InvalidInput([Problem(key.source, "key.id", f"{key.id!r} is already set with other contents; "
                                                                  "give the new key another id")])
            return [KeySet(
                originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=_stamp(model),
                actor=self.actor, key=key.id, from_year=key.from_year, participants=tuple(key.participants),
                source=key.source.rsplit("/", 1)[-1],
            )]

        return self._save_change("key set", make)

    def extend(self, last_year: int) -> int | None:
        def make(model: WriteModel) -> list[Event] | None:
            state = _opened(model)
            if last_year < state.last_year:
                raise LedgerError(f"--to {last_year}: the horizon already runs to {state.last_year}; "
                                  "years can only be added at the end")
            if last_year == state.last_year:
                return None
            if last_year - state.first_year > 30:
                raise LedgerError(f"--to {last_year}: a horizon holds at most 31 years")
            return [HorizonExtended(
                originator_id=LEDGER_ID, originator_version=state.version + 1, timestamp=_stamp(model),
                actor=self.actor, last_year=last_year,
            )]

        return self._save_change(f"extend --to {last_year}", make)


STAMP_TOLERANCE = timedelta(minutes=5)


def _stamp_problem(event: Any, stamp: tuple[str | None, datetime | None] | None) -> str | None:
    """Why an event disagrees with what the database stamped on it, or None. Events stored
    before the database stamped them have no stamp, and are not judged by one."""
    if stamp is None:
        return None
    who, when = stamp
    if who is not None and event.actor != who:
        return f"the event names {event.actor!r} as its actor, the database recorded {who!r} (forged?)"
    if when is not None and abs(event.timestamp - when) > STAMP_TOLERANCE:
        return (f"the event says it was recorded at {event.timestamp.isoformat()}, the database recorded "
                f"{when.isoformat()} (forged?)")
    return None


def _position_of(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head.removeprefix("position ")) if head.startswith("position ") and head[9:].isdigit() else 0


def _opened(model: WriteModel) -> LedgerState:
    if model.ledger is None:
        raise LedgerNotFound("the ledger holds no LedgerOpened event: run `begroting init`")
    return model.ledger


def _stamp(model: WriteModel) -> datetime:
    """Now, but never before the ledger's last event: the save goes ahead only while that is
    still the last event, so timestamps never decrease along the ledger."""
    stamp = now()
    return max(stamp, model.last_timestamp) if model.last_timestamp else stamp


def _changes(recorded: DocumentRecorded, model: WriteModel) -> list[tuple[str, str, int, int, int]]:
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
