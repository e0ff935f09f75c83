"""The document recorded last by a point, and what it moved in the totals: the begroting
page's "laatst vastgelegd". One aggregate over that document's effects (the same one a
document's own page sums), not the whole document, so the page stays fast however many
mutations the document holds. A new question beside ``Views`` (used by ``web``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LatestDocument:
    """The last document at a point, its status then, and per total and year what it moves
    (lasten, baten, saldo, reserves, te_dekken; integer cents)."""

    document: str
    title: str
    position: int
    status: str  # proposed | adopted | withdrawn, at the point asked
    totals_cents: dict[str, dict[int, int]]


def latest_document(views: Any, at: int | None = None) -> LatestDocument | None:
    """The document recorded last by ``at`` (None: now), or None when there is none."""
    p = at if at is not None else views.head()
    row = views.conn.execute(
        "SELECT document, title, position, adopted_position, withdrawn_position FROM documents "
        "WHERE position <= ? ORDER BY position DESC LIMIT 1", (p,)).fetchone()
    if row is None:
        return None
    document, title, position, adopted, withdrawn = tuple(row)
    status = ("withdrawn" if withdrawn is not None and withdrawn <= p else
              "adopted" if adopted is not None and adopted <= p else "proposed")
    _, totals = views._document_effect(position, p)
    return LatestDocument(document, title, position, status, totals)
