"""The BIJ12 Begroting 2024 as a demo ledger: the shipped YAML documents (also examples
of the file format) recorded through the same path as `begroting record`.

The demo only ever writes a ledger of its own: a new one, built whole in a temporary file
and renamed into place (SQLite), or one it built before, which it leaves as it is. Any
other ledger — even an empty one for BIJ12 — is refused, so that the demo documents never
end up in an organisation's real ledger."""

from __future__ import annotations

import os
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Callable

from events import ChartExtended, DocumentAdopted, DocumentRecorded, KeySet, LedgerOpened, RulesInForce
from events.bbv import LinesClassified, OrganisationDescribed
from ledger.application import Ledger
from ledger.domain import content_sha256
from ledger.errors import LedgerError
from ledger.keys import read_key
from ledger.parsing import read_document
from ledger.storage import Location

ORGANISATION = "BIJ12"
HORIZON = (2024, 2027)
ADOPTIONS = [
    ("kaderbrief-2024", date(2023, 3, 23), "IPO-bestuur 23-03-2023"),
    ("begroting-2024", date(2023, 7, 1), "Algemene Vergadering IPO (datum niet in de bron)"),
]


class NotADemoLedger(LedgerError):
    """Raised when `demo` is pointed at a ledger that it did not build itself."""


def documents() -> list[Path]:
    return [p for p in _files() if not p.name.startswith("key-")]


def keys() -> list[Path]:
    """The demo's distribution keys, set before its documents (whose splits name the provinces)."""
    return [p for p in _files() if p.name.startswith("key-")]


def _files() -> list[Path]:
    folder = resources.files("ledger.demo")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def build_demo(path: str, say: Callable[[str], None] = lambda _: None) -> Ledger:
    """Create the demo ledger at ``path``, or open the one the demo built there before;
    any other ledger at ``path`` is refused (NotADemoLedger) and left untouched. BIJ12 is a
    gemeenschappelijke regeling of the provinces (kind and overheidslaag gr): its lines are
    classified by the Iv3 list GR."""
    location = Location.parse(path)
    if location.exists():
        _check_is_demo(path, location)
        ledger = Ledger.open(path, write=True)
        ledger.catch_up()
        _record_all(ledger, say)  # every document is already there: this only says so
        return ledger
    if location.kind != "sqlite":
        ledger = Ledger.init(path, ORGANISATION, *HORIZON, kind="gr", overheidslaag="gr")
        _record_all(ledger, say)
        return ledger
    # A file is built aside and renamed into place whole, so a half-built demo never
    # sits where a later run would have to tell it from a real ledger.
    final: Path = location.path  # type: ignore[attr-defined]
    final.parent.mkdir(parents=True, exist_ok=True)
    building = final.with_name(f".{final.stem}.building{os.getpid()}.db")
    aside = Location.parse(str(building))
    try:
        with Ledger.init(str(building), ORGANISATION, *HORIZON, kind="gr", overheidslaag="gr") as ledger:
            _record_all(ledger, say)
        os.replace(aside.views_path, location.views_path)  # type: ignore[attr-defined]
        os.replace(building, final)
    finally:
        for leftover in (building, aside.views_path):  # type: ignore[attr-defined]
            for side in ("", "-wal", "-shm", "-journal"):
                Path(str(leftover) + side).unlink(missing_ok=True)
    return Ledger.open(path, write=True)


def _record_all(ledger: Ledger, say: Callable[[str], None]) -> None:
    for key in keys():
        position = ledger.set_key(str(key))
        say(f"{key.name}: " + (f"key set at position {position}" if position else "already set"))
    for doc in documents():
        result = ledger.record(str(doc))
        say(f"{doc.name}: " + ("already recorded" if result.already_recorded
                               else f"recorded {result.document} ({result.mutation_count} mutations)"))
    for document, when, decision in ADOPTIONS:
        if ledger.adopt(document, when, decision):
            say(f"{document}: adopted ({decision})")


def _check_is_demo(path: str, location: Location) -> None:
    """A previous demo holds the BIJ12 opening, every demo document with its exact
    content, their adoptions, and nothing else."""
    from ledger.transfer import stored_events

    parsed = [read_document(str(doc)) for doc in documents()]
    demo = {content_sha256(doc) for doc in parsed}
    demo_keys = [read_key(str(key)) for key in keys()]
    ids = {doc.id for doc in parsed}
    found: set[str] = set()
    refusal = NotADemoLedger(f"--ledger {location}: already holds a ledger that is not a demo ledger; "
                             "`begroting demo` only writes a new ledger or one it built itself "
                             "(leave out --ledger to use ./begroting-demo.db)")
    with Ledger.open(path) as ledger:
        for _, event in stored_events(ledger):
            if isinstance(event, LedgerOpened):
                ok = (event.organisation, event.first_year, event.last_year) == (ORGANISATION, *HORIZON)
            elif isinstance(event, DocumentRecorded):
                ok = event.content_sha256 in demo
                found.add(event.content_sha256)
            elif isinstance(event, ChartExtended):
                ok = event.document in ids
            elif isinstance(event, DocumentAdopted):
                ok = event.document in ids
            elif isinstance(event, (RulesInForce, OrganisationDescribed)):
                ok = True
            elif isinstance(event, LinesClassified):
                ok = event.document in ids
            elif isinstance(event, KeySet):
                ok = any((event.key, event.from_year, list(event.participants), event.scope)
                         == (k.id, k.from_year, k.participants, k.scope) for k in demo_keys)
            else:
                ok = False
            if not ok:
                raise refusal
    if found != demo:
        raise refusal
