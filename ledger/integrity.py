"""The hash chain over every stored event: each link is SHA-256 over the previous
link and the event's position, identity, topic and stored bytes."""

from __future__ import annotations

import hashlib
from uuid import UUID

GENESIS = "0" * 64


def link_hash(previous: str, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    oid = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    h = hashlib.sha256()
    h.update(f"{previous}\n{position}\n{oid}\n{version}\n{topic}\n".encode())
    h.update(bytes(state) if not isinstance(state, str) else state.encode())
    return h.hexdigest()
