"""Checks and save as one step.

Every write queues on the ledger's writer lock, folds the event store up to its head into
the proven state (``WriteModel``), lets a pure decision (``ledger.domain.decide_*``) make
the events, applies them to a copy of that state with the rules ``verify`` applies, and
saves them only while the store still ends where the fold read it. When another writer got
there first (one that does not queue, such as an older client), it folds that writer's
events in and decides again.
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Callable, Iterator

from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from events import DocumentRecorded, Event, Mutation, RulesInForce, document_aggregate_id
from ledger.errors import (
    LedgerCorrupt,
    LedgerError,
    NotPermitted,
    StorageError,
    WriteConflict,
)
from ledger.integrity import ChainBroken, RuleBroken
from ledger.ledger_rules import RULES, rules_event
from ledger.storage import LOCK_TIMEOUT_S, Location, is_lock_error, is_permission_error
from ledger.stored import StoredDocument, as_mutations, decode, decode_document
from ledger.writemodel import WriteModel

WRITE_ATTEMPTS = 12
Decide = Callable[[WriteModel], "list[Event] | None"]


def now() -> datetime:
    return datetime.now(UTC)


def stamp(model: WriteModel) -> datetime:
    """Now, but never before the ledger's last event: the save goes ahead only while that is
    still the last event, so timestamps never decrease along the ledger."""
    moment = now()
    return max(moment, model.last_timestamp) if model.last_timestamp else moment


class Writer:
    """The write side of one open ledger: its proven state and the one way to save."""

    def __init__(self, app: Any, location: Location, actor: str):
        self.app, self.location, self.actor = app, location, actor
        self._model: WriteModel | None = None

    def new_model(self) -> WriteModel:
        return WriteModel(self.stored_mutations, contiguous=self.location.contiguous)

    def stored_mutations(self, document: str) -> tuple[Mutation, ...] | None:
        """A recorded document's mutations, read from its stored DocumentRecorded event."""
        stored = self.app.recorder.select_events(document_aggregate_id(document), lte=1)
        if not stored:
            return None
        try:  # the fast typed decoder: the fold checked these very bytes when it applied the document
            event: Any = decode_document(bytes(stored[0].state), stored[0].originator_id, 1)
        except ValueError:  # another class version: read as the fold read it
            event = decode(stored[0].topic, stored[0].state, stored[0].originator_id, 1)
        assert isinstance(event, (DocumentRecorded, StoredDocument))
        return as_mutations(event.mutations)

    def model(self, *, unacknowledged: bool = False) -> WriteModel:
        """The state every check runs against, folded from the event store up to its head
        (incrementally: a long-lived writer folds only the events added since). A ledger
        whose earlier events break today's rules unacknowledged fails, unless
        ``unacknowledged`` (for the acknowledgement itself)."""
        if self._model is None:
            self._model = self.new_model()
        try:
            self._model.fold(self.location.chain_rows(self._model.position + 1))
        except (ChainBroken, RuleBroken) as e:
            self._model = None
            raise LedgerCorrupt(f"the ledger fails verification ({e}); nothing was recorded: "
                                "run `begroting verify`") from None
        if self._model.unacknowledged and not unacknowledged:
            raise LedgerCorrupt(f"the ledger fails verification ({self._model.unacknowledged[0]}, which today's rules "
                                "refuse and nobody has acknowledged); nothing was recorded: run `begroting verify`")
        return self._model

    def save(self, what: str, decide: Decide, *, dry_run: bool = False, unacknowledged: bool = False,
             after: Callable[[list], None] | None = None) -> list | None:
        """Decide and save under the writer lock; ``after(recordings)`` runs still holding it.
        Returns the recordings of the decided events, or None when there was nothing to do
        (or ``dry_run``: decided and checked, not saved)."""
        with self._lock(enabled=not dry_run):
            for attempt in range(WRITE_ATTEMPTS):
                model = self.model(unacknowledged=unacknowledged)
                events = decide(model)
                if not events:
                    return None
                # A ledger recorded by an earlier program: this program's rules hold from here on.
                first = 0 if model.rules >= RULES or isinstance(events[0], RulesInForce) else 1
                if first:
                    events = [rules_event(model.rules_version, events[0].timestamp, self.actor), *events]
                trial = model.fork()
                try:
                    for event in events:
                        trial.apply(event)
                except RuleBroken as e:
                    raise LedgerError(f"{what}: {e}") from None
                if dry_run:
                    return None
                recordings = self._try_save(attempt, events, model.position)
                if recordings is not None:
                    if after:
                        after(recordings[first:])
                    return recordings[first:]
        raise WriteConflict(f"{what}: gave up after {WRITE_ATTEMPTS} attempts; other writers kept changing the ledger")

    @contextmanager
    def _lock(self, *, enabled: bool = True) -> Iterator[None]:
        """Writers queue here for the whole of fold, check and save, so they take turns
        instead of racing (the head check inside the save still guards against any writer
        that does not queue, such as a client of an older version or psql)."""
        if not enabled:
            yield
            return
        with self.location.writer_lock(LOCK_TIMEOUT_S):
            yield

    def _try_save(self, attempt: int, events: list[Event], expected_head: int) -> list | None:
        """One atomic save, which goes ahead only while the store still ends at ``expected_head``.
        None when another writer got there first (after a backoff the caller checks again
        against the new state); a permission refusal is NotPermitted."""
        try:
            return self.app.save(*events, expected_head=expected_head)
        except IntegrityError:
            _backoff(attempt)
            return None
        except (OperationalError, sqlite3.OperationalError) as e:
            if not is_lock_error(e):
                raise StorageError(f"cannot write to {self.location}: {e}") from None
            _backoff(attempt)
            return None
        except PersistenceError as e:
            if is_permission_error(e):
                raise NotPermitted(f"not permitted: {self.actor} may not write to {self.location} "
                                   "(this role may only read, explain and verify)") from None
            raise


def _backoff(attempt: int) -> None:
    time.sleep(min(0.5, 0.005 * 2**attempt) * (0.5 + random.random()))
