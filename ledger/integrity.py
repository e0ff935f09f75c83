"""The hash chain over every stored event: each link is SHA-256 over the previous
link and the event's position, identity, topic and stored bytes."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Sequence
from uuid import UUID

GENESIS = "0" * 64


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
    for position, s in zip(positions, stored_events):
        previous = link_hash(previous, position, s.originator_id, s.originator_version, s.topic, s.state)
        links.append((position, previous))
    return links


def parse_digest(text: str) -> tuple[int, str]:
    """``"412:ab12…"`` → (412, "ab12…")."""
    position, _, digest = text.strip().partition(":")
    if not position.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"--digest {text!r} is not a digest: give it as printed by `begroting digest` (position:sha256)")
    return int(position), digest


def walk_chain(rows: Iterable[tuple], keep: int | None = None, *, contiguous: bool = True
               ) -> tuple[int, str, str | None, str | None]:
    """Re-derive the chain from stored events in position order.

    ``rows`` yields (position, originator_id, version, topic, state, stored_link), with
    stored_link None where the chain has no link. Returns the head position and link of
    the intact prefix, the first problem (or None), and the re-derived link at ``keep``."""
    previous, expected, kept, head = GENESIS, 1, None, 0
    for position, oid, version, topic, state, stored in rows:
        if contiguous and position != expected:
            return head, previous, f"position {expected}: event missing (the next stored event is at {position})", kept
        link = link_hash(previous, position, oid, version, topic, state)
        if stored is None:
            return head, previous, f"position {position}: event has no link in the hash chain (inserted?)", kept
        if stored != link:
            return head, previous, f"position {position}: event does not match its hash-chain link (altered, swapped or re-hashed)", kept
        if position == keep:
            kept = link
        previous, expected, head = link, position + 1, position
    return head, previous, None, kept
