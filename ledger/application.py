"""The application service: opens a ledger, records documents, adopts and withdraws them,
and keeps the read models caught up. What each command decides is a pure function in
``ledger.domain``; ``ledger.writer`` checks and saves it as one step; ``verify`` is in
``ledger.integrity`` and the read models' binding to the events in ``ledger.binding``.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Callable

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, PersistenceError

from events import LEDGER_ID, DocumentRecorded, Event, LedgerOpened, OrganisationKind
from ledger import binding
from ledger.classification import decide_classify, described
from ledger.classify_files import read_classification
from ledger.domain import (
    RecordResult,
    content_sha256,
    decide_adopt,
    decide_extend,
    decide_key,
    decide_record,
    decide_withdraw,
)
from ledger.errors import (
    LedgerCorrupt,
    LedgerError,
    LedgerExists,
    LedgerNotFound,
    LifecycleError,
    NotPermitted,
    StorageError,
)
from ledger.integrity import Verification, check_events, parse_digest, walk_chain
from ledger.keys import KeyInput, read_key
from ledger.ledger_rules import RULES, rules_event
from ledger.mapper import PydanticMapper
from ledger.parsing import DocumentInput, read_document
from ledger.reading import exists, scrub
from ledger.storage import Location, is_permission_error
from ledger.text import checked_text, os_user
from ledger.writemodel import WriteModel
from ledger.writer import Decide, Writer, now, stamp
from projections.db import drop_tables, rollback
from projections.errors import NoKeyInForce
from projections.projector import Projector, UnreadableEvent
from projections.queries import Views
from projections.schema import SCHEMA_VERSION

MAPPER = PydanticMapper()  # every ledger's events are stored and read by this one mapper


class BegrotingApp(Application):
    name = "begroting"

    def construct_mapper(self) -> PydanticMapper:
        return MAPPER


class Ledger:
    """One open ledger: its event store (``app``) and its read models (``views``)."""

    def __init__(self, location: Location, *, readonly: bool = False, create: bool = False):
        self.location = location
        self.views_stale = False
        self.notices: list[str] = []  # what the command should tell its user besides its answer
        try:
            self.app = BegrotingApp(env=location.event_store_env(readonly=readonly, create=create))
            self.conn = location.views_connection()  # written by catch-up, whatever the command
            self.projector = Projector(self.conn, self.app.recorder, MAPPER)
        except Exception as e:
            first = scrub(str(e), location).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if location.kind == "postgresql" and is_permission_error(e):
                # Typically shared read models made by an earlier version: only the owner may add tables.
                raise NotPermitted(f"cannot open ledger {location}: {first}; if its read models were made by an "
                                   "earlier version, the owner must open it once (any command) to rebuild them") from None
            raise StorageError(f"cannot open ledger {location}: {scrub(str(e), location)}") from None
        self.views = Views(self.conn)
        self.actor = os_user()
        if location.kind == "postgresql":
            # On a shared ledger the actor is the database user, whoever runs the command.
            self.actor = self.conn.execute("SELECT current_user").fetchone()[0]
        self.writer = Writer(self.app, location, self.actor)

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, text: str, *, write: bool = False) -> Ledger:
        location = Location.parse(text)
        if not exists(location):
            raise LedgerNotFound(f"no ledger at {location}: create one with `begroting init`")
        ledger = cls(location, readonly=not write)
        try:
            ledger.app.recorder.max_notification_id()
        except (PersistenceError, sqlite3.Error):
            ledger.close()
            raise LedgerNotFound(f"{location} is not a begroting ledger") from None
        return ledger

    @classmethod
    def init(cls, text: str, organisation: str, first_year: int, last_year: int,
             kind: OrganisationKind = "organisation", overheidslaag: str = "", overheidsnummer: str = "") -> Ledger:
        organisation = checked_text(organisation, "--organisation", "name")
        if not organisation:
            raise LedgerError("--organisation: give the organisation's name")
        if not (1900 <= first_year <= last_year <= 2200) or last_year - first_year > 30:
            raise LedgerError(f"--years: {first_year}-{last_year} is not a horizon (first-last, at most 31 years)")
        if overheidslaag:  # refused before anything is created
            described(2, overheidslaag, overheidsnummer, stamp=now(), actor="init")
        location = Location.parse(text)
        location.prepare()
        exists(location)  # a clear message when the server cannot be reached
        ledger = cls(location, create=True)
        opened = LedgerOpened(
            originator_id=LEDGER_ID, originator_version=1, timestamp=now(), actor=ledger.actor,
            organisation=organisation, first_year=first_year, last_year=last_year, currency="EUR", kind=kind,
        )
        profile = [described(2, overheidslaag, overheidsnummer, stamp=opened.timestamp, actor=ledger.actor)
                   ] if overheidslaag else []
        try:
            ledger.app.save(opened, rules_event(0, opened.timestamp, ledger.actor), *profile)
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
        if mismatch == binding.ANOTHER_LEDGER:
            return self._rebuild_foreign(progress)
        if not mismatch and self.views.head() and self.views.schema_version() < SCHEMA_VERSION:
            return self._rebuild_foreign(progress, "made by an earlier version of this program, without tables "
                                                   "today's questions read")
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
            if self.location.kind == "postgresql" and is_permission_error(e):
                self.views_stale = self.views.head() < (self.app.recorder.max_notification_id() or 0)
                return 0
            raise
        if applied:
            self._bind_views()
        return applied

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop every read model and replay the whole event store into fresh ones."""
        drop_tables(self.conn)
        self.projector = Projector(self.conn, self.app.recorder, MAPPER)
        try:
            applied = self.projector.replay(progress)
        except UnreadableEvent as e:
            self._bind_views()
            raise LedgerCorrupt(f"the ledger needs verification: {e}; the read models were rebuilt up to "
                                f"position {self.views.head()}; run `begroting verify`") from None
        self._bind_views()
        return applied

    def views_mismatch(self) -> str | None:
        """Why the read models do not reflect a prefix of this very event store, or None."""
        return binding.mismatch(self.location, self.conn, self.views.head(),
                                self.app.recorder.max_notification_id() or 0)

    def _bind_views(self) -> None:
        try:
            binding.bind(self.location, self.conn, self.views.head())
        except Exception as e:
            rollback(self.conn)
            if not is_permission_error(e):  # an auditor binds nothing: the controller's next command does
                raise

    def _rebuild_foreign(self, progress: Callable[[int, int], None] | None,
                         why: str = "not bound to its events (another ledger's, or made by an older version)") -> int:
        try:
            applied = self.rebuild(progress)
        except Exception as e:
            if is_permission_error(e):
                raise NotPermitted("the shared read models do not reflect this ledger's events; "
                                   "the owner must run `begroting rebuild`") from None
            raise
        self.notices.append(f"the read models beside this ledger were {why}; they were rebuilt from its events")
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
        report = check_events(self.writer.new_model(), self.location.chain_rows(), digest=want,
                              stamps=self.location.stamps(),
                              orphan=self.location.orphan_links(),
                              progress=(lambda position, _: progress(position, total)) if progress else None)
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
            report.add_problems([f"position {head + 1}: the read models hold events up to {views_head}, "
                                 f"the event store ends at {head} (events lost?)"])
            return
        mismatch = self.views_mismatch()
        if mismatch:
            report.add_problems([f"the read models do not reflect this event store ({mismatch})"])
            return
        self.catch_up()
        report.views_position, problems = binding.replay_differences(self.conn, self.views.head, self.app.recorder,
                                                                      MAPPER, progress)
        report.add_problems(problems)

    # ------------------------------------------------------------ the proven state and commands

    def write_model(self) -> WriteModel:
        return self.writer.model()


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
            events, result = decide_record(model, doc, digest, stamp=stamp(model), actor=self.actor,
                                           adopted_only=adopted_only, dry_run=dry_run)
            return events

        def saved(recordings: list) -> None:
            result.position = next(r.notification.id for r in recordings
                                   if isinstance(r.domain_event, DocumentRecorded))

        self._save_change(doc.source, make, dry_run=dry_run, catch_up=catch_up, saved=saved)
        if dry_run and result.mutations:
            result.participants = self._participants_effect(result, adopted_only=adopted_only)
        return result

    def _participants_effect(self, result: RecordResult, *, adopted_only: bool) -> tuple | None:
        """What the document a dry run checked would change for each participant (None when
        no key covers the ledger's te dekken)."""
        from projections.contributions import ContributionQueries
        from projections.distribution import items_of

        items = items_of(result.document, result.mutations, result.line_types, self.views.horizon())
        try:
            return ContributionQueries(self.views).effect(result.document, items, adopted_only=adopted_only) or None
        except NoKeyInForce:
            return None

    def _save_change(self, what: str, make: Decide, *, dry_run: bool = False, catch_up: bool = True,
                     saved: Callable[[list], None] | None = None, unacknowledged: bool = False) -> int | None:
        """Save what ``make`` decides (``Writer.save``: checks and save are one step) and catch
        the read models up. Returns the position of the first event saved, or None."""
        position = None

        def after(recordings: list) -> None:
            nonlocal position
            position = recordings[0].notification.id
            if saved:
                saved(recordings)
            if catch_up:
                try:
                    self.catch_up()
                except Exception as e:
                    reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    raise LedgerError(f"{what}: recorded at position {position}, but the read models were not "
                                      f"updated ({reason}); the next command catches them up") from None

        self.writer.save(what, make, dry_run=dry_run, unacknowledged=unacknowledged, after=after)
        return position

    def adopt(self, document: str, when: date, decision: str) -> int | None:
        """Adopt a proposed document; returns its position, or None if it already was
        adopted with this decision."""
        decision = checked_text(decision, "--decision", "decision")
        if not decision:
            raise LifecycleError("--decision: name the decision that adopted the document")
        return self._save_change(document, lambda model: decide_adopt(
            model, document, when, decision, stamp=stamp(model), actor=self.actor))

    def withdraw(self, document: str, when: date, reason: str) -> int | None:
        reason = checked_text(reason, "--reason", "reason")
        if not reason:
            raise LifecycleError("--reason: say why the document is withdrawn")
        return self._save_change(f"withdraw {document}", lambda model: decide_withdraw(
            model, document, when, reason, stamp=stamp(model), actor=self.actor))

    def set_key(self, path: str) -> int | None:
        """Record a distribution key; returns its position, or None if that very key is already set."""
        return self.set_key_input(read_key(path))

    def set_key_input(self, key: KeyInput) -> int | None:
        return self._save_change("key set", lambda model: decide_key(model, key, stamp=stamp(model),
                                                                     actor=self.actor))

    def classify(self, path: str) -> int | None:
        """Record a classification file; returns its last position, or None if it all holds already."""
        inp = read_classification(path)
        return self._save_change("classify", lambda model: decide_classify(model, inp, stamp=stamp(model),
                                                                           actor=self.actor))

    def acknowledge(self, count: int) -> int:
        """Sign off, as the owner, what the events an earlier version recorded do that today's
        rules refuse: ``count`` must be how many ``verify`` lists. Saves the RulesInForce that
        acknowledges them word for word; returns its position."""

        def decide(model: WriteModel) -> list[Event]:
            if model.rules >= RULES:
                raise LedgerError("acknowledge: today's rules are in force already; nothing to acknowledge")
            owner = model.ledger.opened_by if model.ledger else ""
            if self.location.kind == "postgresql" and owner and self.actor != owner:
                raise NotPermitted(f"acknowledge: only the ledger's owner ({owner}) signs off what an earlier "
                                   f"version recorded, not {self.actor}")
            found = len(model.unacknowledged)
            if count != found:
                raise LedgerError(f"acknowledge --findings {count}: the ledger holds {found} events that today's "
                                  "rules refuse; `begroting verify` lists them")
            return [rules_event(model.rules_version, stamp(model), self.actor, tuple(model.unacknowledged))]

        position = self._save_change("acknowledge", decide, unacknowledged=True)
        assert position is not None
        return position

    def extend(self, last_year: int) -> int | None:
        return self._save_change(f"extend --to {last_year}", lambda model: decide_extend(
            model, last_year, stamp=stamp(model), actor=self.actor))
