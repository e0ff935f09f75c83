"""Answers as JSON: one serializer for every typed answer of the read models
(``projections.answers``) and of the ledger (below), so the CLI's ``--json`` and any other
front end say the same thing. A field named ``*_cents`` becomes the same key without the
suffix, its amount (or each amount in it) written as decimal euro text: 410015 → "4100.15".
The serializer (``plain``, ``dumps``) lives in ``ledger.answer_json``, importable from here too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ledger.answer_json import dumps, plain  # noqa: F401  (the serializer, importable from here)
from projections.answers import AS_TEXT, OMIT_NONE

if TYPE_CHECKING:
    from projections.bbv_answers import ProgrammaYears
    from projections.participant_answers import ParticipantDiff


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

