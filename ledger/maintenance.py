"""Looking after a ledger's read models: opening a ledger for a rebuild of them, one rebuild
at a time (a second one waits for the first, then rebuilds on its own)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from ledger.application import Ledger
from ledger.storage import Location
from projections.db import rebuild_lock


@contextmanager
def opened_for_rebuild(text: str, waiting: Callable[[], None] | None = None) -> Iterator[Ledger]:
    """The ledger at ``text``, once no other rebuild of its read models runs (``waiting`` is
    called once if one does). The lock is taken before the ledger is opened, since opening
    creates missing read-model tables; a ledger that is not there is refused first, with the
    usual one line, so no lock file is made for it."""
    location = Location.parse(text)
    try:
        found = location.exists()
    except Exception:  # server down, wrong password…: Ledger.open says which
        found = False
    if not found:
        Ledger.open(text).close()  # raises the usual one line
    with rebuild_lock(location, waiting), Ledger.open(text) as ledger:
        yield ledger
