"""Reading and checking a distribution key file (verdeelsleutel).

A key lists participants with percentages of at most four decimals that sum to exactly
100; it is in force from its `from` year until a later key takes over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from events import Participant
from ledger.errors import InvalidInput, Problem
from ledger.files import ID, load_yaml_text, read_text
from ledger.text import normalise, text_problems
from ledger.values import Values

# ASCII digits only: a percentage stored as "１００" would read as 100 but compare as text.
PERCENTAGE = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,4})?$")
TOO_PRECISE = re.compile(r"^[0-9]+\.[0-9]{5,}$")


@dataclass
class KeyInput:
    source: str
    id: str
    from_year: int
    participants: list[Participant]
    scope: tuple[str, ...] = ()  # unit ids and unit/line addresses; empty: the general key


def read_key(path: str | Path) -> KeyInput:
    source = str(path)
    return key_from_mapping(load_yaml_text(read_text(path), source), source)


def key_from_mapping(data: object, source: str) -> KeyInput:
    problems: list[Problem] = []
    values = Values(source, problems)
    problem = values.problem
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, dict):
        raise InvalidInput([Problem(source, "key", "must be a mapping with id, from and participants")])
    values.unknown_keys(key, {"id", "from", "participants", "name", "decision", "scope"}, "key")
    for k in ("name", "decision"):
        values.text(key.get(k), f"key.{k}", limit=k)
    key_id = values.ident(key.get("id"), "key.id")
    from_year = values.year(key.get("from") or "", "key.from")
    participants: list[Participant] = []
    raw = key.get("participants")
    if not isinstance(raw, list) or not raw:
        problem("key.participants", "must be a non-empty list of {name, percentage}")
        raw = []
    total = Decimal(0)
    seen: set[str] = set()
    for i, p in enumerate(raw, start=1):
        f = f"key.participants.{i}"
        if not isinstance(p, dict):
            problem(f, "must be a mapping with name and percentage")
            continue
        name = normalise(str(p.get("name") or ""))
        if not name:
            problem(f"{f}.name", "is required")
        elif name.casefold() in seen:
            problem(f"{f}.name", f"{name!r} appears twice")
        for message in text_problems(name, "name"):
            problem(f"{f}.name", message)
        seen.add(name.casefold())
        text = str(p.get("percentage") or "").strip()
        if text.startswith("-"):
            problem(f"{f}.percentage", f"{text!r} is negative")
            continue
        if TOO_PRECISE.match(text):
            problem(f"{f}.percentage", f"{text!r} has more than 4 decimals")
            continue
        if not PERCENTAGE.match(text):
            problem(f"{f}.percentage", f"{text!r} is not a percentage (e.g. 8.3333)")
            continue
        total += Decimal(text)
        participants.append(Participant(name=name, percentage=text))
    scope = _scope(key.get("scope"), problem)
    if not problems and total != 100:
        problem("key.participants", f"the percentages sum to {total}, not exactly 100")
    if problems:
        raise InvalidInput(problems)
    assert from_year is not None
    return KeyInput(source=source, id=key_id, from_year=from_year, participants=participants, scope=scope)


def _scope(raw: object, problem: Callable[[str, str], None]) -> tuple[str, ...]:
    """``scope: [unit or unit/line, …]``: what the key covers; absent, the whole te dekken."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        problem("key.scope", "must list unit ids or unit/line addresses, e.g. [faunazaken/open-eind]")
        return ()
    scope: list[str] = []
    for i, item in enumerate(raw, start=1):
        text = normalise(str(item)) if isinstance(item, (str, int)) else ""
        if not all(ID.match(part) for part in text.split("/")) or text.count("/") > 1:
            problem(f"key.scope.{i}", f"{text[:60]!r} is not a unit id or a unit/line address")
        elif text in scope:
            problem(f"key.scope.{i}", f"{text!r} appears twice")
        else:
            scope.append(text)
    return tuple(sorted(scope))
