"""How the rules read a stored event (``decode``), with a typed, fast decoder for stored
documents, for the folds that read every one of them.

Folding the event store (every write, and `verify`) decodes each ``DocumentRecorded``;
building the pydantic event for it costs several times more than the rules the fold then
checks. These msgspec structs mirror ``events.DocumentRecorded`` field for field — same
names, types, defaults and strictness (unknown fields refused) — so the rules read either
alike; a test proves both decoders agree on random histories. An event of another
``class_version`` (which would need upcasting) goes through the pydantic mapper instead.
"""

from __future__ import annotations

import json
from array import array
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Callable, Iterable, Literal, cast
from uuid import UUID

import msgspec
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from events import (
    EVENT_TYPES,
    CostKind,
    DocumentKind,
    DocumentRecorded,
    Event,
    Mutation,
    MutationKind,
    carried_tails,
    is_split,
    mutation_effects,
)
from ledger.integrity import RuleBroken
from ledger.mapper import PydanticMapper, canonical_bytes, event_from_stored


class _Struct(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class StoredParticipantAmounts(_Struct, frozen=True, kw_only=True):
    name: str
    amounts_cents: dict[int, int]


class StoredSplit(_Struct, frozen=True, kw_only=True):
    key: str | None = None
    category: str = ""
    participants: tuple[StoredParticipantAmounts, ...] = ()


class StoredLeg(_Struct, frozen=True, kw_only=True):
    unit: str
    line: str
    amounts_cents: dict[int, int]
    split: StoredSplit | None = None

    @property
    def address(self) -> str:
        return f"{self.unit}/{self.line}"


class StoredRef(_Struct, frozen=True, kw_only=True):
    document: str
    seq: int

    def __str__(self) -> str:
        return f"{self.document}/{self.seq}"


class StoredIndexedLine(_Struct, frozen=True, kw_only=True):
    unit: str
    line: str
    cost: CostKind
    base_cents: int
    rate_percent: str
    outcome_cents: int


class StoredMutation(_Struct, frozen=True, kw_only=True):
    seq: int
    kind: MutationKind
    reason: str = ""
    reference: str = ""
    structural: bool = False
    corrects: StoredRef | None = None
    legs: tuple[StoredLeg, ...]
    indexation: tuple[StoredIndexedLine, ...] = ()
    split: StoredSplit | None = None


class StoredHeader(_Struct, frozen=True, kw_only=True):
    id: str
    kind: DocumentKind
    title: str
    date: date
    decision: str = ""


class StoredDocument(_Struct, frozen=True, kw_only=True):
    """A stored DocumentRecorded; ``originator_id`` and ``originator_version`` come from its row."""

    timestamp: datetime
    actor: str
    header: StoredHeader
    mutations: tuple[StoredMutation, ...]
    content_sha256: str
    source: str = ""
    class_version: Literal[1] = 1
    originator_id: Any = None
    originator_version: int = 0


_DECODER = msgspec.json.Decoder(StoredDocument)


def decode_document(state: bytes, originator_id: UUID | str, version: int) -> StoredDocument:
    """Raises msgspec.ValidationError (a ValueError) when the state is not a DocumentRecorded
    of class version 1 in exactly the shape ours are written."""
    doc = _DECODER.decode(state)
    if doc.originator_id is not None or doc.originator_version:
        raise msgspec.ValidationError("originator_id and originator_version are not part of the stored state")
    oid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    return msgspec.structs.replace(doc, originator_id=oid, originator_version=version)


def as_mutations(mutations: tuple[Mutation, ...] | tuple[StoredMutation, ...]) -> tuple[Mutation, ...]:
    """Stored mutations as the rules read them: a StoredMutation has Mutation's fields, names
    and types (a test proves both decoders agree), so the rules read either alike."""
    return cast(tuple[Mutation, ...], mutations)


def stored_state(doc: StoredDocument) -> bytes:
    """The bytes ``PydanticMapper`` writes for this document: a decoded document whose stored
    bytes are these was read exactly as written, and reads the same to every reader."""
    state = msgspec.to_builtins(doc)
    del state["originator_id"], state["originator_version"]
    if state["class_version"] == 1:
        del state["class_version"]
    for m in state["mutations"]:  # as the events leave it out: see events._MaySplit
        if m["split"] is None:
            del m["split"]
        for leg in m["legs"]:
            if leg["split"] is None:
                del leg["split"]
    return canonical_bytes(state)


# ---------------------------------------------------------------- every stored event


_MAPPER = PydanticMapper()


def decode(topic: Any, state: Any, oid: Any, version: Any) -> Event | StoredDocument:
    """A stored event as the rules read it: documents through the fast typed decoder
    (the pydantic event when that one declines, e.g. for an older class version).

    The stored bytes must be the very bytes the mapper writes for what they decode to.
    Otherwise one event could read two ways (``"2025"`` and ``"02025"`` are two JSON keys,
    one year to the typed decoders; the read models see the JSON), and an altered event
    could pass the rules as one thing and be projected as another."""
    if topic not in EVENT_TYPES:
        raise RuleBroken(f"unknown event type {str(topic)[:60]!r}")
    state = bytes(state)
    try:
        if topic == DocumentRecorded.TOPIC:
            try:
                doc = decode_document(state, oid, version)
                if stored_state(doc) == state:
                    return doc
            except ValueError:  # msgspec's DecodeError and ValidationError are ValueErrors
                pass
        event = event_from_stored(topic, state, oid, version)
        if _MAPPER.to_stored_event(event).state == state or _written_earlier(event, state):
            return event
    except (ValueError, TypeError, KeyError, ValidationError, RecursionError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RuleBroken(f"{topic} does not decode ({first[:200]})") from None
    raise RuleBroken(f"{topic} is not stored in the form this program writes it (altered)")


def _written_earlier(event: Event, state: bytes) -> bool:
    """Whether ``state`` is what an earlier version of the program wrote for ``event``: an
    older class version (upcast when read; its JSON must be canonical), or the current one
    without fields added since, which then hold their defaults."""
    data = json.loads(state)
    if not isinstance(data, dict):
        return False
    cls = type(event)
    if data.get("class_version", 1) < cls.class_version:
        return canonical_bytes(data) == state
    written = _as_written(event, data)
    if cls.class_version > 1:
        written["class_version"] = cls.class_version
    return canonical_bytes(written) == state


def _as_written(value: Any, raw: Any) -> Any:
    """``value`` (an event or a part of one) as the mapper writes it to JSON, leaving out the
    fields that ``raw`` (the stored JSON) lacks and that hold their default."""
    if isinstance(value, BaseModel):
        out = {}
        for name, info in type(value).model_fields.items():
            if name in ("originator_id", "originator_version"):
                continue
            item = getattr(value, name)
            if (isinstance(raw, dict) and name not in raw and not info.is_required()
                    and item == info.get_default(call_default_factory=True)):
                continue
            out[name] = _as_written(item, raw.get(name) if isinstance(raw, dict) else None)
        return out
    if isinstance(value, (list, tuple)):
        return [_as_written(v, raw[i] if isinstance(raw, list) and i < len(raw) else None) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _as_written(v, raw.get(str(k)) if isinstance(raw, dict) else None) for k, v in value.items()}
    return to_jsonable_python(value)


# ---------------------------------------------------------------- what the fold keeps of a document


def document_effects(mutations: tuple[Mutation, ...], years: range) -> tuple[dict[tuple[str, int], int],
                                                                           list[tuple[str, int]]]:
    """A document's effects summed per (line, year) over ``years``, and the amounts its
    structural legs carry past the horizon (``events.carried_tails``)."""
    delta: dict[tuple[str, int], int] = defaultdict(int)
    for m in mutations:
        for leg, year, amount in mutation_effects(m, years):
            delta[(leg.address, year)] += amount
    return delta, list(carried_tails(mutations))


# A corrected mutation's lines, whether it is structural and whether it falls to the
# participants by a split of its own.
Kind = tuple[set[str], bool, bool]


class CorrectionTargets:
    """What a correction needs of the mutation it corrects, for every document folded, kept
    as the fold applied it (so none is read from the store again). Few distinct kinds occur
    in a ledger: each is kept once, and a document keeps its mutations' kind numbers by seq,
    in an array (a dict when its seqs leave more gaps than they fill); 0 is no mutation."""

    def __init__(self) -> None:
        self.documents: dict[str, array[int] | dict[int, int]] = {}
        self.kinds: list[Kind | None] = [None]
        self.numbers: dict[tuple[tuple[tuple[str, str], ...], bool, bool], int] = {}

    def copy(self) -> CorrectionTargets:
        twin = CorrectionTargets()
        twin.documents, twin.kinds, twin.numbers = dict(self.documents), list(self.kinds), dict(self.numbers)
        return twin  # a document's numbers are never changed once kept: shared

    def add(self, document: str, mutations: Iterable[Mutation]) -> None:
        codes = {}
        for m in mutations:
            key = (tuple([(leg.unit, leg.line) for leg in m.legs]), m.structural, is_split(m))
            code = self.numbers.get(key)
            if code is None:  # legs in another order make another number for the same kind: harmless
                code = self.numbers[key] = len(self.kinds)
                self.kinds.append(({f"{unit}/{line}" for unit, line in key[0]}, key[1], key[2]))
            codes[m.seq] = code
        top = max(codes, default=0)
        if top > 2 * len(codes) + 16:
            self.documents[document] = codes
            return
        table = array("I", bytes(4 * (top + 1)))
        for seq, code in codes.items():
            table[seq] = code
        self.documents[document] = table

    def kind(self, document: str, seq: int, mutations: Callable[[], Iterable[Mutation]]) -> Kind | None:
        """None for a mutation the document does not have. A document not kept is kept first,
        from ``mutations()``."""
        table = self.documents.get(document)
        if table is None:
            self.add(document, mutations())
            table = self.documents[document]
        if isinstance(table, dict):
            return self.kinds[table.get(seq, 0)]
        return self.kinds[table[seq]] if 0 <= seq < len(table) else None
