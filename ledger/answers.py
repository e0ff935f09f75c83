"""Answers as JSON: one serializer for every typed answer of the read models
(``projections.answers``) and of the ledger (below), so the CLI's ``--json`` and any other
front end say the same thing. A field named ``*_cents`` becomes the same key without the
suffix, its amount (or each amount in it) written as decimal euro text: 410015 → "4100.15"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from ledger.money import decimal_text
from projections.answers import AS_TEXT, OMIT_NONE
from projections.bbv_answers import ProgrammaYears
from projections.participant_answers import ParticipantDiff


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: records become objects with their fields in order."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if f.metadata.get("hidden") or (item is None and f.metadata.get("omit_none")):
                continue
            name = f.metadata.get("json", f.name)
            if name.endswith("_cents"):
                out[name[: -len("_cents")]] = _money(item)
            elif f.metadata.get("as_text"):
                out[name] = [str(x) for x in item] if isinstance(item, (list, tuple)) else str(item)
            else:
                out[name] = plain(item)
        return out
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _money(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _money(v) for k, v in value.items()}
    return decimal_text(value)


def dumps(value: Any, *, compact: bool = False) -> str:
    """The JSON text of an answer: indented, or on one line."""
    return json.dumps(plain(value), ensure_ascii=False, indent=None if compact else 2)


# ------------------------------------------------------------------ the ledger's own answers


@dataclass(frozen=True)
class Change:
    """A figure a recorded document changes (``record --dry-run`` shows them)."""

    unit: str
    line: str
    year: int = field(metadata=AS_TEXT)
    before_cents: int
    after_cents: int


@dataclass(frozen=True)
class TotalChange:
    """A total a recorded document changes: lasten, baten, saldo, reserves or te_dekken."""

    total: str
    year: int = field(metadata=AS_TEXT)
    before_cents: int
    after_cents: int


@dataclass(frozen=True)
class Recorded:
    """What recording one document did (or, dry, would do)."""

    document: str
    mutations: int
    already_recorded: bool
    dry_run: bool
    position: int | None
    new_lines: list[str]
    excluded_from_indexation: list[str]
    changes: tuple[Change, ...]
    totals: tuple[TotalChange, ...]
    # A dry run: what the document would change for each participant, per year.
    participants: tuple[ParticipantDiff, ...] | None = field(default=None, metadata=OMIT_NONE)
    # The change per programma (BBV), when the ledger has programma's.
    programmas: tuple[ProgrammaYears, ...] | None = field(default=None, metadata=OMIT_NONE)

    @classmethod
    def of(cls, result: Any) -> Recorded:
        """From the ledger's RecordResult."""
        return cls(result.document, result.mutation_count, result.already_recorded, result.dry_run,
                   result.position, result.new_lines, result.excluded_from_indexation,
                   tuple(Change(*c) for c in result.changes), tuple(TotalChange(*t) for t in result.totals),
                   result.participants, result.programmas or None)


@dataclass(frozen=True)
class Verified:
    """What ``verify`` found."""

    ok: bool
    events: int
    head: str
    views_position: int | None
    problems: list[str]
    rules: int  # the rules the ledger's last events keep (ledger.ledger_rules.RULES)
    findings: list[str]  # what today's rules refuse in events recorded under rules that allowed it

    @classmethod
    def of(cls, report: Any) -> Verified:
        """From the ledger's Verification."""
        unacknowledged = [f"{u} (an earlier version allowed this; if one recorded it, the owner signs it off "
                          "with `begroting acknowledge`)" for u in report.unacknowledged]
        return cls(report.ok, report.events, report.digest, report.views_position,
                   report.problems + unacknowledged, report.rules, report.findings)


@dataclass(frozen=True)
class Digest:
    """The head of the hash chain, for an auditor to keep elsewhere."""

    position: int
    sha256: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        position, _, sha = text.partition(":")
        return cls(int(position), sha)

    def __str__(self) -> str:
        return f"{self.position}:{self.sha256}"


@dataclass(frozen=True)
class Rebuilt:
    events: int

