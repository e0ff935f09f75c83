"""Questions answered from the read models, behind one class: ``Views``. Each kind of
question lives in a module of its own, and every answer is a record of ``projections.answers``
with amounts in integer cents:

- ``projections.points``: head, horizon, chart, ``--as-of`` points, names and addresses;
- ``projections.figures``: the figures, the begroting table, the diff between two points;
- ``projections.trails``: the audit trail of a figure and ``explain``;
- ``projections.history``: the history, one document, the documents table.

A *point* is a ledger position; ``None`` means now."""

from __future__ import annotations

from projections.answers import Figure, Step  # noqa: F401  (the names callers import from here)
from projections.common import CARRIES, counts_at, fold, utc_text  # noqa: F401
from projections.history import HistoryQueries
from projections.points import LIFECYCLE_KINDS  # noqa: F401
from projections.trails import TrailQueries


class Views(TrailQueries, HistoryQueries):
    """Every question the read models answer, on one connection."""
