"""The hash chain over every stored event: each link is SHA-256 over the previous
link and the event's position, identity, topic and stored bytes.

A link hashes the stored values, and ``Chain.step`` refuses any stored value that is not
in the one form the recorders write (an originator id of 32 lowercase hex digits on
SQLite, an integer version, text topic, bytes state): two representations of one value
would otherwise hash alike, and an altered row could pass as the original."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence
from uuid import UUID

from events import RulesInForce

if TYPE_CHECKING:
    from ledger.writemodel import WriteModel

GENESIS = "0" * 64
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")


class ChainBroken(Exception):
    """Raised by ``Chain.step`` for the first stored event that breaks the chain."""


class RuleBroken(Exception):
    """An event (stored or about to be) that breaks a rule of the ledger."""


def link_hash(previous: str, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    oid = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    h = hashlib.sha256()
    h.update(f"{previous}\n{position}\n{oid}\n{version}\n{topic}\n".encode())
    h.update(bytes(state) if not isinstance(state, str) else state.encode())
    return h.hexdigest()


def new_links(previous: str, positions: Sequence[int], stored_events: Sequence[Any]) -> list[tuple[int, str]]:
    """(position, link) for events just stored at ``positions``, continuing the chain from
    ``previous``, the link of the event before them (GENESIS for the first)."""
    links = []
    for position, s in zip(positions, stored_events, strict=True):
        previous = link_hash(previous, position, s.originator_id, s.originator_version, s.topic, s.state)
        links.append((position, previous))
    return links


def parse_digest(text: str) -> tuple[int, str]:
    """``"412:ab12…"`` → (412, "ab12…")."""
    position, _, digest = text.strip().partition(":")
    if not position.isascii() or not position.isdigit() or len(digest) != 64 \
            or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"--digest {text!r} is not a digest: give it as printed by `begroting digest` "
                         "(position:sha256)")
    return int(position), digest


def canonical_problem(oid: Any, version: Any, topic: Any, state: Any) -> str | None:
    """Why a stored row is not in the form the recorders write, or None when it is."""
    if not isinstance(oid, UUID) and not (isinstance(oid, str) and _HEX_ID.match(oid)):
        return f"originator id {str(oid)[:40]!r} is not stored in its canonical form (altered)"
    if type(version) is not int or version < 1:
        return f"version {version!r} is not a positive integer (altered)"
    if not isinstance(topic, str):
        return "topic is not text (altered)"
    if not isinstance(state, (bytes, bytearray, memoryview)):
        return "state is not stored as bytes (altered)"
    return None


class Chain:
    """Re-derives the chain one stored event at a time, in position order."""

    def __init__(self, previous: str = GENESIS, head: int = 0, *, contiguous: bool = True):
        self.previous = previous  # the link of the last event stepped over
        self.head = head  # its position
        self.contiguous = contiguous

    def step(self, position: int, oid: Any, version: Any, topic: Any, state: Any, stored: str | None) -> str:
        """Check one row (its stored link is ``stored``, None when it has none) and move past it."""
        if self.contiguous and position != self.head + 1:
            raise ChainBroken(f"position {self.head + 1}: event missing (the next stored event is at {position})")
        if position <= self.head:
            raise ChainBroken(f"position {position}: out of order")
        odd = canonical_problem(oid, version, topic, state)
        if odd:
            raise ChainBroken(f"position {position}: {odd}")
        link = link_hash(self.previous, position, oid, version, topic, state)
        if stored is None:
            raise ChainBroken(f"position {position}: event has no link in the hash chain (inserted?)")
        if stored != link:
            raise ChainBroken(f"position {position}: event does not match its hash-chain link "
                              "(altered, swapped or re-hashed)")
        self.previous, self.head = link, position
        return link


def walk_chain(rows: Iterable[tuple], *, contiguous: bool = True) -> tuple[int, str, str | None]:
    """Re-derive the chain from stored events in position order.

    ``rows`` yields (position, originator_id, version, topic, state, stored_link), with
    stored_link None where the chain has no link. Returns the head position and link of
    the intact prefix and the first problem (or None)."""
    chain = Chain(contiguous=contiguous)
    for row in rows:
        try:
            chain.step(*row)
        except ChainBroken as e:
            return chain.head, chain.previous, str(e)
    return chain.head, chain.previous, None


# ---------------------------------------------------------------- verify


@dataclass
class Verification:
    """What `verify` found: the head of the intact chain and every problem, first bad position first."""

    events: int
    head_position: int
    head_sha256: str
    problems: list[str] = field(default_factory=list)  # tampering, forgery, read models that differ
    views_position: int | None = None  # the position the (compared) read models reflect
    # What today's rules refuse in events an earlier program recorded, acknowledged by the owner.
    findings: list[str] = field(default_factory=list)
    # The same, not yet acknowledged: what the owner's acknowledgement could settle, and only
    # when nothing else is wrong (then the list is left empty: tampering comes first).
    unacknowledged: list[str] = field(default_factory=list)
    rules: int = 1  # the rules the ledger's last events keep

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unacknowledged

    def add_problems(self, problems: list[str]) -> None:
        """More that is wrong besides what an acknowledgement could settle."""
        self.problems += problems
        if self.problems:
            self.unacknowledged = []

    @property
    def digest(self) -> str:
        return f"{self.head_position}:{self.head_sha256}"


# How far an event's own timestamp may lie from the time the database stamped on it.
STAMP_TOLERANCE = timedelta(minutes=5)
Stamp = tuple["str | None", "datetime | None"]


def check_events(model: WriteModel, rows: Iterable[tuple], *, digest: tuple[int, str] | None = None,
                 stamps: dict[int, Stamp] | None = None, orphan: int | None = None,
                 progress: Callable[[int, Any], None] | None = None) -> Verification:
    """Fold every stored row into ``model`` (chain and rules), hold each event against what the
    database stamped on it, and prove the chain still extends ``digest`` (position, link).
    ``orphan`` is the position of a chain link whose event is gone, if the store has one."""
    problems: list[str] = []
    kept: list[str] = []

    def step(position: int, event: Any) -> None:
        if digest is not None and position == digest[0]:
            kept.append(model.chain.previous)
        if stamps is not None and not problems:
            odd = stamp_problem(event, stamps.get(position))
            if odd is None and isinstance(event, RulesInForce) and event.acknowledged:
                odd = _not_the_owner(event, stamps.get(position), stamps.get(1), model)
            if odd:
                problems.append(f"position {position}: {odd}")
        if progress:
            progress(position, event)

    try:
        model.fold(rows, step)
    except (ChainBroken, RuleBroken) as e:
        problems.append(str(e))
    if model.expecting is not None and not problems:
        problems.append(f"position {model.position}: chart extension for document {model.expecting!r} "
                        "is not followed by that document (removed?)")
    problems.sort(key=_position_of)
    head = model.position
    if orphan is not None:
        problems.append(f"position {orphan}: chain link without its event (event deleted?)")
    if digest is not None:
        position, expected = digest
        if position > head and not problems:
            problems.append(f"position {position}: the ledger ends at {head}, before the digest (truncated?)")
        elif kept and kept[0] != expected:
            problems.append(f"position {position}: the ledger no longer extends the digest (history rewritten)")
        elif position == 0 and expected != GENESIS:
            problems.append("position 0: not a digest of this ledger")
        elif position and not kept and not problems:
            problems.append(f"position {position}: no event at the digest's position (removed?)")
    return Verification(events=model.count, head_position=head, head_sha256=model.chain.previous,
                        problems=problems, findings=model.findings, rules=model.rules,
                        unacknowledged=[] if problems else list(model.unacknowledged))


def _not_the_owner(event: Any, stamp: Stamp | None, opened: Stamp | None, model: WriteModel) -> str | None:
    """Why an acknowledgement was not the owner's, or None: on a shared ledger only the role
    that opened it signs off what an earlier version recorded."""
    who = stamp[0] if stamp and stamp[0] else event.actor
    owner = opened[0] if opened and opened[0] else (model.ledger.opened_by if model.ledger else None)
    if owner is not None and who != owner:
        return f"the findings are acknowledged by {who!r}, not by the ledger's owner {owner!r}"
    return None


def stamp_problem(event: Any, stamp: Stamp | None) -> str | None:
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
