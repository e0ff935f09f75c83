"""What the projector and the queries share: the folded form of names, the one text form of
a moment, and the SQL conditions that say when a mutation carries and when an effect counts."""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Iterable

from projections.errors import UnknownName

_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# SQL twin of events.kind_carries for the mutations row ``m``: it carries into later years.
CARRIES = "(m.structural = 1 AND m.kind != 'kasschuif')"


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive form of a name, for lookups and search."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(text.lower().split())


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def counts_at(point: str, *, adopted_only: bool = False, adopted_on: str | None = None) -> str:
    """SQL: the effects row ``e`` of document ``d`` counts at the position ``point`` (a
    parameter such as ``:p``): recorded (or carried) by then, not withdrawn by then, and
    with ``adopted_only`` adopted by then; with ``adopted_on`` (a parameter holding an ISO
    date) adopted by a decision dated on or before it, whenever that was recorded."""
    cond = f"e.since_position <= {point} AND (d.withdrawn_position IS NULL OR d.withdrawn_position > {point})"
    if adopted_on is not None:
        return f"({cond} AND d.adopted_position <= {point} AND d.adopted_date <= {adopted_on})"
    return f"({cond} AND d.adopted_position <= {point})" if adopted_only else f"({cond})"


def like_literal(text: str) -> str:
    """Text for ``LIKE '%' || ? || '%' ESCAPE '\\'`` that matches itself only: % and _ are
    not wildcards in a user's search."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_name(option: str, value: str, known: Iterable[str], what: str) -> None:
    """Refuse a name the ledger does not have, with the closest ones it does have."""
    names = sorted(set(known))
    if value in names:
        return
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.5) or names[:6]
    hint = f"; closest: {', '.join(close)}" if close else f"; the ledger has no {what} yet"
    raise UnknownName(f"{option} {value!r}: no such {what}{hint}")
