"""The BIJ12 Begroting 2024 as a demo ledger: the shipped YAML documents (also examples
of the file format) recorded through the same path as `begroting record`."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Callable

from ledger.application import Ledger
from ledger.storage import Location

ORGANISATION = "BIJ12"
HORIZON = (2024, 2027)
ADOPTIONS = [
    ("kaderbrief-2024", date(2023, 3, 23), "IPO-bestuur 23-03-2023"),
    ("begroting-2024", date(2023, 7, 1), "Algemene Vergadering IPO (datum niet in de bron)"),
]


def documents() -> list[Path]:
    folder = resources.files("ledger.demo")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def build_demo(path: str, say: Callable[[str], None] = lambda _: None) -> Ledger:
    """Create (or complete) the demo ledger at ``path``; harmless to run twice."""
    if Location.parse(path).exists():
        ledger = Ledger.open(path, write=True)
        ledger.catch_up()
    else:
        ledger = Ledger.init(path, ORGANISATION, *HORIZON)
    for doc in documents():
        result = ledger.record(str(doc))
        say(f"{doc.name}: " + ("already recorded" if result.already_recorded
                               else f"recorded {result.document} ({result.mutation_count} mutations)"))
    for document, when, decision in ADOPTIONS:
        if ledger.adopt(document, when, decision):
            say(f"{document}: adopted ({decision})")
    return ledger
