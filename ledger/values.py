"""Scalars of a document or key file, each checked and converted on its own: the problems
are collected (naming the file and the field), never raised one at a time."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from ledger.errors import Problem
from ledger.files import ID, ISO_DATE, YEAR
from ledger.money import AmountError, parse_cents
from ledger.text import normalise, text_problems


class Values:
    """Converts one value at a time, collecting every problem in ``problems``."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems

    def problem(self, field_: str, message: str) -> None:
        # A key of non-ASCII digits ("202²") is quoted: it is not a number, and the problems
        # are sorted by their numeric parts later.
        field_ = ".".join(repr(part) if part.isdigit() and not part.isascii() else part for part in field_.split("."))
        self.problems.append(Problem(self.source, field_, message))

    # -- scalars

    def text(self, value: Any, field_: str, *, limit: str, required: bool = False) -> str:
        if value is None:
            if required:
                self.problem(field_, "is required")
            return ""
        if isinstance(value, (dict, list, bool)):
            self.problem(field_, "must be text")
            return ""
        value = normalise(str(value))
        if required and not value:
            self.problem(field_, "is required")
        for message in text_problems(value, limit):
            self.problem(field_, message)
        return value

    def ident(self, value: Any, field_: str) -> str:
        if value is None or value == "":
            self.problem(field_, "is required")
            return ""
        value = normalise(str(value))
        if not ID.match(value):
            self.problem(
                field_,
                f"{value[:40]!r} is not an id: use lowercase letters, digits, '-', '_' or '.'",
            )
        return value

    def year(self, value: Any, field_: str) -> int | None:
        text = str(value).strip()
        if not YEAR.match(text):
            self.problem(field_, f"{text[:20]!r} is not a year")
            return None
        return int(text)

    def amount(self, value: Any, field_: str) -> int | None:
        if value is None or isinstance(value, (bool, dict, list)):
            self.problem(field_, "must be an amount in euros")
            return None
        try:
            return parse_cents(unicodedata.normalize("NFC", str(value)))
        except AmountError as e:
            self.problem(field_, str(e))
            return None

    def date(self, value: Any, field_: str) -> date | None:
        text = str(value or "").strip()
        m = ISO_DATE.match(text)
        if not m:
            self.problem(field_, f"{text[:20]!r} is not a date: write YYYY-MM-DD")
            return None
        try:
            return date(*map(int, m.groups()))
        except ValueError:
            self.problem(field_, f"{text!r} is not a valid date")
            return None

    def flag(self, value: Any, field_: str) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "ja", "1", "structureel"):
            return True
        if text in ("false", "no", "nee", "0", "", "incidenteel"):
            return False
        self.problem(field_, f"{text!r} is not true or false")
        return False

    def mapping(self, value: Any, field_: str) -> dict:
        if not isinstance(value, dict):
            self.problem(field_, "must be a mapping")
            return {}
        return value

    def unknown_keys(self, data: dict, allowed: set[str], field_: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem(f"{field_}.{key}" if field_ else str(key), "is not a known field")
