"""Reading and checking a distribution key file (verdeelsleutel).

A key lists participants with percentages of at most four decimals that sum to exactly
100; it is in force from its `from` year until a later key takes over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from events import Participant
from ledger.errors import InvalidInput, Problem
from ledger.parsing import ID, MAX_FILE_MB, YEAR, load_yaml_text
from ledger.text import normalise, text_problems

# ASCII digits only: a percentage stored as "１００" would read as 100 but compare as text.
PERCENTAGE = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,4})?$")
TOO_PRECISE = re.compile(r"^[0-9]+\.[0-9]{5,}$")


@dataclass
class KeyInput:
    source: str
    id: str
    from_year: int
    participants: list[Participant]


def read_key(path: str | Path) -> KeyInput:
    source = str(path)
    try:
        if Path(path).stat().st_size > MAX_FILE_MB * 1_000_000:
            raise InvalidInput([Problem(source, "", f"the file is larger than {MAX_FILE_MB} MB")])
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput([Problem(source, "", f"cannot read file: {e}")]) from None
    return key_from_mapping(load_yaml_text(text, source), source)


def key_from_mapping(data: object, source: str) -> KeyInput:
    problems: list[Problem] = []

    def problem(field: str, message: str) -> None:
        problems.append(Problem(source, field, message))

    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, dict):
        raise InvalidInput([Problem(source, "key", "must be a mapping with id, from and participants")])
    for k in key:
        if k not in ("id", "from", "participants", "name", "decision"):
            problem(f"key.{k}", "is not a known field")
    for k, kind in (("name", "name"), ("decision", "decision")):
        if key.get(k) is not None:
            for message in text_problems(normalise(str(key[k])), kind):
                problem(f"key.{k}", message)
    key_id = str(key.get("id") or "").strip()
    if not ID.match(key_id):
        problem("key.id", f"{key_id!r} is not an id: use lowercase letters, digits, '-', '_' or '.'")
    year_text = str(key.get("from") or "").strip()
    if not YEAR.match(year_text):
        problem("key.from", f"{year_text!r} is not a year")
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
    if not problems and total != 100:
        problem("key.participants", f"the percentages sum to {total}, not exactly 100")
    if problems:
        raise InvalidInput(problems)
    return KeyInput(source=source, id=key_id, from_year=int(year_text), participants=participants)
