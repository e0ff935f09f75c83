"""A typed, fast decoder for stored documents, for the folds that read every one of them.

Folding the event store (every write, and `verify`) decodes each ``DocumentRecorded``;
building the pydantic event for it costs several times more than the rules the fold then
checks. These msgspec structs mirror ``events.DocumentRecorded`` field for field — same
names, types, defaults and strictness (unknown fields refused) — so the rules read either
alike; a test proves both decoders agree on random histories. An event of another
``class_version`` (which would need upcasting) goes through the pydantic mapper instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from events import CostKind, DocumentKind, MutationKind
from ledger.mapper import canonical_bytes


class _Struct(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class StoredLeg(_Struct, kw_only=True):
    unit: str
    line: str
    amounts_cents: dict[int, int]

    @property
    def address(self) -> str:
        return f"{self.unit}/{self.line}"


class StoredRef(_Struct, kw_only=True):
    document: str
    seq: int

    def __str__(self) -> str:
        return f"{self.document}/{self.seq}"


class StoredIndexedLine(_Struct, kw_only=True):
    unit: str
    line: str
    cost: CostKind
    base_cents: int
    rate_percent: str
    outcome_cents: int


class StoredMutation(_Struct, kw_only=True):
    seq: int
    kind: MutationKind
    reason: str = ""
    reference: str = ""
    structural: bool = False
    corrects: StoredRef | None = None
    legs: tuple[StoredLeg, ...]
    indexation: tuple[StoredIndexedLine, ...] = ()


class StoredHeader(_Struct, kw_only=True):
    id: str
    kind: DocumentKind
    title: str
    date: date
    decision: str = ""


class StoredDocument(_Struct, kw_only=True):
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


def stored_state(doc: StoredDocument) -> bytes:
    """The bytes ``PydanticMapper`` writes for this document: a decoded document whose stored
    bytes are these was read exactly as written, and reads the same to every reader."""
    state = msgspec.to_builtins(doc)
    del state["originator_id"], state["originator_version"]
    if state["class_version"] == 1:
        del state["class_version"]
    return canonical_bytes(state)
