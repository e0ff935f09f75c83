"""Checks and save are one step: the guard both event stores run inside their write transaction."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError


class HeadMoved(IntegrityError):
    """Raised inside a write transaction when the store's head is not the position the
    writer checked its events against: another writer got there first."""


def check_head(found: int | None, kwargs: dict[str, Any]) -> None:
    """A writer passes ``expected_head``, the position of the state it checked against, and
    the save goes ahead only if the store, now locked for writing, still ends there."""
    expected = kwargs.get("expected_head")
    if expected is not None and (found or 0) != expected:
        raise HeadMoved(f"the ledger moved on from position {expected} to {found or 0}")
