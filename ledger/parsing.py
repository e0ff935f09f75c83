"""Document files (YAML or CSV, read into mappings by ``ledger.files``) into checked input,
reporting every problem.

Nothing here knows the ledger: this is the file on its own. Checks that need the ledger
(lines exist, years in the horizon, corrected mutations exist) live in ``ledger.validation``.
Scalars are read as text and converted here, so no amount ever passes through a float.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from events import (
    COST_KINDS,
    DOCUMENT_KINDS,
    LINE_TYPES,
    MUTATION_KINDS,
    ChartLine,
    ChartUnit,
    LineType,
    MutationRef,
    ParticipantAmounts,
    Split,
)
from events.bbv import LineClass, Programma
from ledger.classification import CLASS_FIELDS
from ledger.classify_files import parse_class_fields, parse_programmas
from ledger.errors import InvalidInput, Problem
from ledger.files import (
    ID,
    ISO_DATE,
    MAX_FILE_MB,
    MUTATION_NUMBER,
    RATE,
    csv_to_mapping,
    load_yaml_text,
    read_text,
)
from ledger.text import MAX_CHARS
from ledger.values import Values

MAX_TEXT = MAX_CHARS

@dataclass
class MutationInput:
    """A mutation as the file states it; amounts already in cents."""

    seq: int
    kind: str
    where: str  # the field that holds it in the file, e.g. "mutations.3"
    reason: str = ""
    reference: str = ""
    structural: bool = False
    structural_given: bool = False  # a correction without it carries like what it corrects
    corrects: MutationRef | None = None
    legs: list[tuple[str, dict[int, int], str]] = field(default_factory=list)  # (unit/line, amounts, field)
    split: Split | None = None  # how the whole mutation falls to the participants
    leg_splits: dict[int, Split] = field(default_factory=dict)  # or a leg (index in legs) alone
    # indexatie only
    year: int | None = None
    rates: dict[str, str] = field(default_factory=dict)
    lines: list[str] | None = None
    broken: bool = False  # the file already has problems here; check only what can be checked


@dataclass
class DocumentInput:
    source: str
    id: str
    kind: str
    title: str
    date: date
    status: str
    decision: str
    chart: list[ChartUnit]
    mutations: list[MutationInput]
    problems: list[Problem] = field(default_factory=list)  # found in the file itself
    programmas: list[tuple[Programma, str]] = field(default_factory=list)  # declared, with their field
    classes: list[tuple[LineClass, str]] = field(default_factory=list)  # chart lines' classification


# ---------------------------------------------------------------- entry point


def read_document(path: str | Path, *, max_mb: int = MAX_FILE_MB) -> DocumentInput:
    """Read and check one document file (.yaml/.yml or .csv) of at most ``max_mb``
    megabytes; raise InvalidInput with every problem found."""
    source = str(path)
    text = read_text(path, max_mb=max_mb)
    if Path(path).suffix.lower() == ".csv":
        data, seqs, problems = csv_to_mapping(text, source)
        return document_from_mapping(data, source, seqs=seqs, problems=problems)
    return document_from_mapping(load_yaml_text(text, source), source)


def document_from_mapping(data: Any, source: str, *, seqs: list[int] | None = None,
                          problems: list[Problem] | None = None) -> DocumentInput:
    """The document as far as it could be read, with the problems found in it (``problems``
    holds those found before, in the CSV rows); raises InvalidInput only when not even the
    header could be read. ``seqs`` numbers the mutations (a CSV's own numbers); by default
    they are numbered 1, 2, … in file order."""
    problems = list(problems or [])
    checker = _Checker(source, problems)
    doc = checker.document(data, seqs)
    if doc is None:
        raise InvalidInput(problems)
    doc.problems = problems
    return doc


# ---------------------------------------------------------------- checking


class _Checker(Values):
    """Walks the mapping once, converting values and collecting every problem."""

    classes: list[tuple[LineClass, str]]  # what the chart's lines give of their classification

    # -- structure

    def document(self, data: Any, seqs: list[int] | None = None) -> DocumentInput | None:
        self.classes = []
        if not isinstance(data, dict):
            self.problem("", "must be a mapping with 'document' and 'mutations'")
            return None
        self.unknown_keys(data, {"document", "chart", "mutations", "programmas"}, "")
        head = self.mapping(data.get("document"), "document")
        self.unknown_keys(head, {"id", "kind", "title", "date", "status", "decision"}, "document")
        doc_id = self.ident(head.get("id"), "document.id")
        if doc_id.isdigit() or ISO_DATE.match(doc_id):
            # --as-of takes a position or a date as well as a document id: one must not shadow another.
            self.problem("document.id", f"{doc_id!r} reads as a ledger position or a date; "
                                        "give the document an id with a letter, e.g. bw-3")
        kind = str(head.get("kind") or "")
        if kind not in DOCUMENT_KINDS:
            self.problem("document.kind", f"{kind[:30]!r} is not one of {', '.join(DOCUMENT_KINDS)}")
        title = self.text(head.get("title"), "document.title", limit="title", required=True)
        when = self.date(head.get("date"), "document.date")
        status = str(head.get("status") or "proposed")
        if status not in ("proposed", "adopted"):
            self.problem("document.status", f"{status[:30]!r} is not proposed or adopted")
        decision = self.text(head.get("decision"), "document.decision", limit="decision")
        if status == "adopted" and not decision:
            self.problem("document.decision", "is required when status is adopted")
        chart = self.chart(data.get("chart"))
        programmas = parse_programmas(self, data.get("programmas"), "programmas")
        mutations_raw = data.get("mutations")
        if not isinstance(mutations_raw, list) or not mutations_raw:
            self.problem("mutations", "must be a non-empty list")
            mutations_raw = []
        mutations = []
        for i, m in enumerate(mutations_raw, start=1):
            before = len(self.problems)
            mutations.append(self.mutation(m, seqs[i - 1] if seqs else i))
            if mutations[-1] is not None and len(self.problems) > before:
                mutations[-1].broken = True
        if when is None and not self.problems:
            return None
        return DocumentInput(  # with problems: the ledger checks still run, so all is reported at once
            source=self.source,
            id=doc_id,
            kind=kind,
            title=title,
            date=when or date.min,
            status=status,
            decision=decision,
            chart=chart,
            mutations=[m for m in mutations if m is not None],
            programmas=programmas,
            classes=self.classes,
        )

    def chart(self, data: Any) -> list[ChartUnit]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem("chart", "must be a list of units")
            return []
        units = []
        seen_units: set[str] = set()
        for i, raw in enumerate(data, start=1):
            f = f"chart.{i}"
            raw = self.mapping(raw, f)
            self.unknown_keys(raw, {"unit", "name", "lines"}, f)
            unit_id = self.ident(raw.get("unit"), f"{f}.unit")
            if unit_id in seen_units:
                self.problem(f"{f}.unit", f"unit {unit_id!r} appears twice")
            seen_units.add(unit_id)
            name = self.text(raw.get("name"), f"{f}.name", limit="name", required=True)
            lines = []
            seen_lines: set[str] = set()
            for j, line in enumerate(raw.get("lines") or [], start=1):
                lf = f"{f}.lines.{j}"
                line = self.mapping(line, lf)
                self.unknown_keys(line, {"id", "name", "type", "cost", "opening_balance", *CLASS_FIELDS}, lf)
                line_id = self.ident(line.get("id"), f"{lf}.id")
                given = parse_class_fields(self, line, lf)
                if given:
                    self.classes.append((LineClass(unit=unit_id, line=line_id, **given), lf))
                if line_id in seen_lines:
                    self.problem(f"{lf}.id", f"line {line_id!r} appears twice in unit {unit_id!r}")
                seen_lines.add(line_id)
                line_name = self.text(line.get("name"), f"{lf}.name", limit="name", required=True)
                line_type = str(line.get("type") or "")
                if line_type not in LINE_TYPES:
                    self.problem(f"{lf}.type", f"{line_type[:20]!r} is not one of {', '.join(LINE_TYPES)}")
                    line_type = "lasten"
                cost = line.get("cost")
                if line_type == "lasten" and cost not in COST_KINDS:
                    self.problem(f"{lf}.cost", f"a lasten line needs cost personeel or materieel, not {cost!r}")
                    cost = None
                elif line_type != "lasten" and cost is not None:
                    self.problem(f"{lf}.cost", "only lasten lines have a cost kind")
                    cost = None
                balance = 0
                if line.get("opening_balance") is not None:
                    if line_type != "reserve":
                        self.problem(f"{lf}.opening_balance", "only reserve lines have an opening balance")
                    else:
                        balance = self.amount(line["opening_balance"], f"{lf}.opening_balance") or 0
                        if balance < 0:
                            self.problem(f"{lf}.opening_balance", "a reserve's balance cannot be negative")
                lines.append(
                    ChartLine(id=line_id or "x", name=line_name or "x", type=cast(LineType, line_type), cost=cost,
                              opening_balance_cents=balance)
                )
            if not lines:
                self.problem(f"{f}.lines", "must list at least one line")
            units.append(ChartUnit(id=unit_id or "x", name=name or "x", lines=tuple(lines)))
        return units

    def amounts(self, data: Any, field_: str) -> dict[int, int]:
        if not isinstance(data, dict) or not data:
            self.problem(field_, "must map years to amounts, e.g. {2024: 1000.00}")
            return {}
        out: dict[int, int] = {}
        for key, value in data.items():
            year = self.year(key, f"{field_}.{key}")
            cents = self.amount(value, f"{field_}.{key}")
            if year is not None and cents is not None:
                out[year] = cents
        return out

    def line_ref(self, value: Any, field_: str) -> str:
        text = unicodedata.normalize("NFC", str(value or "")).strip()
        parts = text.split("/")
        if len(parts) != 2 or not all(ID.match(p) for p in parts):
            self.problem(field_, f"{text[:60]!r} is not a line address: write unit/line, e.g. faunazaken/personeel")
        return text

    def mutation(self, raw: Any, seq: int) -> MutationInput | None:
        f = f"mutations.{seq}"
        if not isinstance(raw, dict):
            self.problem(f, "must be a mapping")
            return None
        kind = str(raw.get("kind") or "")
        if kind not in MUTATION_KINDS:
            self.problem(f"{f}.kind", f"{kind[:30]!r} is not one of {', '.join(MUTATION_KINDS)}")
            return None
        allowed = {"kind", "reason", "reference", "structural", "line", "amounts", "legs", "split"}
        if kind == "correctie":
            allowed.add("corrects")
        if kind == "indexatie":
            allowed = {"kind", "reason", "reference", "structural", "year", "rates", "lines", "split"}
        self.unknown_keys(raw, allowed, f)
        m = MutationInput(
            seq=seq,
            kind=kind,
            where=f,
            reason=self.text(raw.get("reason"), f"{f}.reason", limit="reason"),
            reference=self.text(raw.get("reference"), f"{f}.reference", limit="reference"),
            structural=self.flag(raw.get("structural"), f"{f}.structural"),
            structural_given="structural" in raw,
        )
        if kind == "kasschuif" and m.structural:
            self.problem(f"{f}.structural", "a kasschuif moves money between years and never carries")
        if kind == "correctie":
            m.corrects = self.reference_to(raw.get("corrects"), f"{f}.corrects")
        if "split" in raw:
            m.split = self.split(raw["split"], f"{f}.split")
        if kind == "indexatie":
            self.indexation(raw, m)
            return m
        if "legs" in raw:
            if "line" in raw or "amounts" in raw:
                self.problem(f, "give either line and amounts, or legs, not both")
            legs = raw.get("legs")
            if not isinstance(legs, list) or not legs:
                self.problem(f"{f}.legs", "must be a non-empty list")
                legs = []
            for j, leg in enumerate(legs, start=1):
                lf = f"{f}.legs.{j}"
                leg = self.mapping(leg, lf)
                self.unknown_keys(leg, {"line", "amounts", "split"}, lf)
                m.legs.append((self.line_ref(leg.get("line"), f"{lf}.line"),
                               self.amounts(leg.get("amounts"), f"{lf}.amounts"), lf))
                if "split" in leg:
                    if m.split is not None:
                        self.problem(f"{lf}.split", "the mutation has a split already: give one or the other")
                    elif (split := self.split(leg["split"], f"{lf}.split")) is not None:
                        m.leg_splits[j - 1] = split
        else:
            m.legs.append((self.line_ref(raw.get("line"), f"{f}.line"),
                           self.amounts(raw.get("amounts"), f"{f}.amounts"), f))
        if kind == "verschuiving" and len(m.legs) < 2:
            self.problem(f"{f}.legs", "a verschuiving needs at least two legs")
        for _, amounts, lf in m.legs:
            if amounts and not any(amounts.values()):
                self.problem(f"{lf}.amounts", "amounts are zero in every year")
        return m

    def split(self, raw: Any, field_: str) -> Split | None:
        """``{key: KEY_ID}`` or ``{category: LABEL, participants: {NAME: {YEAR: amount}}}``."""
        data = self.mapping(raw, field_)
        self.unknown_keys(data, {"key", "category", "participants"}, field_)
        category = self.text(data.get("category"), f"{field_}.category", limit="name")
        if ("key" in data) == ("participants" in data):
            self.problem(field_, "give either a key (key: KEY_ID) or the participants' amounts "
                                 "(participants: {NAME: {YEAR: amount}})")
            return None
        if "key" in data:
            return Split(key=self.ident(data["key"], f"{field_}.key"), category=category)
        given = data["participants"]
        if not isinstance(given, dict) or not given:
            self.problem(f"{field_}.participants", "must map participants to their amounts, "
                                                   "e.g. {Gemeente Een: {2025: 300}}")
            return None
        participants: list[ParticipantAmounts] = []
        seen: set[str] = set()
        for i, (name, amounts) in enumerate(given.items(), start=1):
            name = self.text(name, f"{field_}.participants.{i}", limit="name", required=True)
            if name.casefold() in seen:
                self.problem(f"{field_}.participants.{i}", f"{name!r} appears twice")
            seen.add(name.casefold())
            cents = self.amounts(amounts, f"{field_}.participants.{name or i}")
            participants.append(ParticipantAmounts(name=name, amounts_cents=dict(sorted(cents.items()))))
        return Split(category=category, participants=tuple(participants))

    def reference_to(self, value: Any, field_: str) -> MutationRef | None:
        text = str(value or "").strip()
        doc, _, seq = text.rpartition("/")
        if not doc or not ID.match(doc) or not MUTATION_NUMBER.match(seq) or int(seq) < 1:
            self.problem(field_, f"{text[:60]!r} must name a mutation as document-id/number, e.g. kaderbrief-2024/1")
            return None
        return MutationRef(document=doc, seq=int(seq))

    def indexation(self, raw: dict, m: MutationInput) -> None:
        f = m.where
        m.year = self.year(raw.get("year"), f"{f}.year")
        rates = raw.get("rates")
        if not isinstance(rates, dict) or not rates:
            self.problem(f"{f}.rates", "must map cost kinds to percentages, e.g. {personeel: 5.2}")
            rates = {}
        for cost, rate in rates.items():
            rf = f"{f}.rates.{cost}"
            if cost not in COST_KINDS:
                self.problem(rf, f"{cost!r} is not a cost kind ({', '.join(COST_KINDS)})")
                continue
            text = str(rate).strip()
            if not RATE.match(text):
                self.problem(rf, f"{text[:20]!r} is not a percentage")
                continue
            try:
                d = Decimal(text)
            except InvalidOperation:
                self.problem(rf, f"{text!r} is not a percentage")
                continue
            if not d.is_finite() or -int(d.as_tuple().exponent) > 4:
                self.problem(rf, f"rate {text} has more than 4 decimals")
                continue
            m.rates[cost] = text
        lines = raw.get("lines")
        if lines is not None:
            if not isinstance(lines, list) or not lines:
                self.problem(f"{f}.lines", "must be a non-empty list of unit/line addresses")
            else:
                m.lines = [self.line_ref(v, f"{f}.lines.{i}") for i, v in enumerate(lines, start=1)]
                for i, address in enumerate(m.lines, start=1):
                    if address and address in m.lines[:i - 1]:
                        self.problem(f"{f}.lines.{i}", f"{address!r} is named twice")
