"""The rules for the ledger aggregate's own events, and which rules are in force.

Pure checks of one event against the ledger's state, raising RuleBroken; the write model
(``ledger.writemodel``) runs them on every stored event and on every event about to be
saved.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import datetime
from decimal import Decimal
from typing import Any

from events import (
    LEDGER_ID,
    RULES_ID,
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    RulesInForce,
)
from ledger.domain import LedgerState
from ledger.files import ID
from ledger.integrity import RuleBroken
from ledger.stored import StoredDocument
from ledger.text import text_problems

# The rules this program records under. Earlier versions (every ledger before RulesInForce
# existed) did not all refuse: a verschuiving between lasten and baten lines that changes the
# saldo (they wanted the plain sum of the legs to be zero), a timestamp up to a few minutes
# before the event it follows (two writers racing), withdrawing a document that live
# corrections point at, a reserve taken below zero by a withdrawal, an extension or a race,
# and control or invisible characters in stored text. Such events are judged by today's rules
# too, but what they break may be acknowledged (``RulesInForce.acknowledged``).
RULES = 2
_PERCENTAGE = re.compile(r"^[0-9]+(\.[0-9]{1,4})?$")


def rules_event(rules_version: int, timestamp: datetime, actor: str,
                acknowledged: tuple[str, ...] = ()) -> RulesInForce:
    """The event that puts this program's rules in force from here on, after ``rules_version``
    RulesInForce events, acknowledging what the events before it break."""
    return RulesInForce(originator_id=RULES_ID, originator_version=rules_version + 1, timestamp=timestamp,
                        actor=actor, rules=RULES, acknowledged=acknowledged)


def check_opened(event: LedgerOpened, ledger: LedgerState | None) -> None:
    if ledger is not None:
        raise RuleBroken("the ledger is opened a second time")
    if event.originator_id != LEDGER_ID or event.originator_version != 1:
        raise RuleBroken("the ledger is opened under another identity")
    if not (1900 <= event.first_year <= event.last_year <= event.first_year + 30):
        raise RuleBroken(f"horizon {event.first_year}-{event.last_year} is not one of at most 31 years")


def check_in_sequence(event: Any, ledger: LedgerState) -> None:
    if event.originator_id != LEDGER_ID or event.originator_version != ledger.version + 1:
        raise RuleBroken(f"{type(event).__name__} out of sequence for the ledger "
                         f"(version {event.originator_version}, expected {ledger.version + 1})")


def check_rules(event: RulesInForce, rules: int, rules_version: int, unacknowledged: list[str]) -> None:
    """Rules move forward, one RulesInForce at a time, to rules this program knows, and it
    acknowledges exactly what the events before it break (``unacknowledged``), no more."""
    if event.originator_id != RULES_ID or event.originator_version != rules_version + 1:
        raise RuleBroken(f"RulesInForce out of sequence (version {event.originator_version}, "
                         f"expected {rules_version + 1})")
    if event.rules > RULES:
        raise RuleBroken(f"recorded under rules {event.rules}; this program knows rules 1 to {RULES}: "
                         "upgrade begroting")
    if event.rules <= rules:
        raise RuleBroken(f"rules {event.rules} after rules {rules}: rules only move forward")
    if list(event.acknowledged) != unacknowledged:
        extra = [a for a in event.acknowledged if a not in unacknowledged]
        missing = [u for u in unacknowledged if u not in event.acknowledged]
        raise RuleBroken("RulesInForce does not acknowledge what the events before it break: "
                         + (f"acknowledges {extra[0]!r}, which is not there" if extra else
                            f"leaves {missing[0]!r} unacknowledged" if missing else "another order"))


def check_chart(event: ChartExtended, ledger: LedgerState, recorded: Container[str]) -> None:
    """New units and lines for a document not yet recorded, with ids that are ids, each
    once, and never redefining what the chart has."""
    if event.document in recorded:
        raise RuleBroken(f"chart extension for {event.document!r}, which is already recorded")
    unit_ids = [unit.id for unit in event.units]
    if len(set(unit_ids)) != len(unit_ids):
        raise RuleBroken(f"chart extension for {event.document!r} names a unit twice")
    for unit in event.units:
        line_ids = [line.id for line in unit.lines]
        if not ID.match(unit.id) or not all(ID.match(i) for i in line_ids):
            raise RuleBroken(f"unit {unit.id[:80]!r} or one of its lines has an id that is not "
                             "lowercase letters, digits, '.', '_' and '-'")
        if not unit.lines or len(set(line_ids)) != len(line_ids):
            raise RuleBroken(f"unit {unit.id!r} adds no lines, or a line twice")
        known_name = ledger.unit_names.get(unit.id)
        if known_name is not None and known_name != unit.name:
            raise RuleBroken(f"unit {unit.id!r} redefined as {unit.name!r} (it is {known_name!r})")
        for line in unit.lines:
            known = ledger.lines.get(f"{unit.id}/{line.id}")
            if known is not None and known != line:
                raise RuleBroken(f"line {unit.id}/{line.id} redefined")
            if line.type != "reserve" and line.opening_balance_cents:
                raise RuleBroken(f"line {unit.id}/{line.id}: only a reserve has an opening balance")
            if line.opening_balance_cents < 0:
                raise RuleBroken(f"reserve {unit.id}/{line.id} opens below zero")


def check_horizon(event: HorizonExtended, ledger: LedgerState) -> None:
    if not (ledger.last_year < event.last_year <= ledger.first_year + 30):
        raise RuleBroken(f"horizon extended to {event.last_year}: not after {ledger.last_year} "
                         "or beyond 31 years")


def check_key(event: KeySet, ledger: LedgerState) -> None:
    """Participants named, each once, with percentages of at most 4 decimals summing to
    exactly 100; a key id is set once."""
    names = [p.name for p in event.participants]
    if not names or len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise RuleBroken(f"key {event.key!r}: participants must be named, each once")
    if not all(_PERCENTAGE.match(p.percentage) for p in event.participants):
        raise RuleBroken(f"key {event.key!r}: a percentage is not a plain number with at most 4 decimals")
    if sum(Decimal(p.percentage) for p in event.participants) != 100:
        raise RuleBroken(f"key {event.key!r}: the percentages do not sum to exactly 100")
    if event.key in ledger.keys:
        raise RuleBroken(f"key {event.key!r} is set a second time")
    if not 1900 <= event.from_year <= 2200:
        raise RuleBroken(f"key {event.key!r} from {event.from_year}: not a year from 1900 to 2200")
    if list(event.scope) != sorted(set(event.scope)):
        raise RuleBroken(f"key {event.key!r}: its scope is not a sorted list without repeats")
    for item in event.scope:
        if item not in ledger.unit_names and item not in ledger.lines:
            raise RuleBroken(f"key {event.key!r}: scope {item[:80]!r} is not a unit or line of the ledger")


def text_findings(event: Any) -> list[str]:
    """What the free text and the ids of a ledger or lifecycle event break of the text rules
    (``ledger.text``) that every door applies today; an earlier version did not check them all."""
    texts: list[tuple[str, str, str]] = []  # (field, text, kind)
    if isinstance(event, LedgerOpened):
        texts.append(("organisation", event.organisation, "name"))
    elif isinstance(event, ChartExtended):
        texts += [(f"chart.{u.id}.name", u.name, "name") for u in event.units]
        texts += [(f"chart.{u.id}.{line.id}.name", line.name, "name") for u in event.units for line in u.lines]
    elif isinstance(event, KeySet):
        if not ID.match(event.key):
            return [f"key id {event.key[:80]!r} is not an id"]
        texts += [(f"key.{event.key}.participant", p.name, "name") for p in event.participants]
    elif isinstance(event, DocumentAdopted):
        texts.append(("decision", event.decision, "decision"))
    elif isinstance(event, DocumentWithdrawn):
        if not event.reason.strip():
            return ["withdrawn without a reason"]
        texts.append(("reason", event.reason, "reason"))
    elif isinstance(event, (DocumentRecorded, StoredDocument)):
        h = event.header
        if not ID.match(h.id):
            return [f"document id {h.id[:80]!r} is not an id"]
        texts += [(f"document {h.id!r} title", h.title, "title"), (f"document {h.id!r} decision", h.decision, "decision")]
        for m in event.mutations:
            texts += [(f"document {h.id!r} mutations.{m.seq}.reason", m.reason, "reason"),
                      (f"document {h.id!r} mutations.{m.seq}.reference", m.reference, "reference")]
    return [f"{field}: {message}" for field, text, kind in texts for message in text_problems(text, kind)]
