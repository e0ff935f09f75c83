"""Reading document files (YAML or CSV) into checked input, reporting every problem.

Nothing here knows the ledger: this is the file on its own. Checks that need the ledger
(lines exist, years in the horizon, corrected mutations exist) live in ``ledger.validation``.
Scalars are read as text and converted here, so no amount ever passes through a float.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from events import COST_KINDS, DOCUMENT_KINDS, LINE_TYPES, MUTATION_KINDS, ChartLine, ChartUnit, MutationRef
from ledger.errors import InvalidInput, Problem
from ledger.money import AmountError, parse_cents

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
YEAR = re.compile(r"^\d{4}$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
RATE = re.compile(r"^[+-]?\d{1,3}(\.\d+)?$")
# Bidirectional overrides and isolates can make a reason read differently from what is stored.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
MAX_TEXT = {"reason": 2000, "title": 300, "decision": 500, "reference": 200, "name": 200}


@dataclass
class MutationInput:
    """A mutation as the file states it; amounts already in cents."""

    seq: int
    kind: str
    field: str
    reason: str = ""
    reference: str = ""
    structural: bool = False
    structural_given: bool = False  # a correction without it carries like what it corrects
    corrects: MutationRef | None = None
    legs: list[tuple[str, dict[int, int], str]] = field(default_factory=list)  # (unit/line, amounts, field)
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


# ---------------------------------------------------------------- YAML


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps numbers and dates as text and refuses duplicate keys."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.split(":")[-1] not in ("int", "float", "timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _TextLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_text(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}" if mark else "yaml"
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InvalidInput([Problem(source, where, f"malformed YAML: {what}")]) from None


# ---------------------------------------------------------------- entry point


def read_document(path: str | Path) -> DocumentInput:
    """Read and check one document file (.yaml/.yml or .csv); raise InvalidInput with
    every problem found."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InvalidInput([Problem(source, "", f"cannot read file: {e.strerror}")]) from None
    if b"\x00" in raw:
        raise InvalidInput([Problem(source, "", "file contains NUL bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput([Problem(source, f"byte {e.start}", "file is not UTF-8")]) from None
    if path.suffix.lower() == ".csv":
        data = _csv_to_mapping(text, source)
    else:
        data = load_yaml_text(text, source)
    return document_from_mapping(data, source)


def document_from_mapping(data: Any, source: str) -> DocumentInput:
    """The document as far as it could be read, with the problems found in it; raises
    InvalidInput only when not even the header could be read."""
    problems: list[Problem] = []
    checker = _Checker(source, problems)
    doc = checker.document(data)
    if doc is None:
        raise InvalidInput(problems)
    doc.problems = problems
    return doc


# ---------------------------------------------------------------- checking


class _Checker:
    """Walks the mapping once, converting values and collecting every problem."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems

    def problem(self, field_: str, message: str) -> None:
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
        value = unicodedata.normalize("NFC", str(value)).strip()
        if required and not value:
            self.problem(field_, "is required")
        if "\x00" in value:
            self.problem(field_, "contains a NUL character")
        elif any(c in BIDI_CONTROLS for c in value):
            self.problem(field_, "contains a right-to-left/bidirectional control character")
        elif any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
            self.problem(field_, "contains a control character")
        if len(value) > MAX_TEXT[limit]:
            self.problem(field_, f"is {len(value)} characters long; at most {MAX_TEXT[limit]}")
        return value

    def ident(self, value: Any, field_: str) -> str:
        if value is None or value == "":
            self.problem(field_, "is required")
            return ""
        value = unicodedata.normalize("NFC", str(value)).strip()
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

    # -- structure

    def document(self, data: Any) -> DocumentInput | None:
        if not isinstance(data, dict):
            self.problem("", "must be a mapping with 'document' and 'mutations'")
            return None
        self.unknown_keys(data, {"document", "chart", "mutations"}, "")
        head = self.mapping(data.get("document"), "document")
        self.unknown_keys(head, {"id", "kind", "title", "date", "status", "decision"}, "document")
        doc_id = self.ident(head.get("id"), "document.id")
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
        mutations_raw = data.get("mutations")
        if not isinstance(mutations_raw, list) or not mutations_raw:
            self.problem("mutations", "must be a non-empty list")
            mutations_raw = []
        mutations = []
        for i, m in enumerate(mutations_raw, start=1):
            before = len(self.problems)
            mutations.append(self.mutation(m, i))
            if mutations[-1] is not None and len(self.problems) > before:
                mutations[-1].broken = True
        if when is None:
            return None
        return DocumentInput(
            source=self.source,
            id=doc_id,
            kind=kind,
            title=title,
            date=when,
            status=status,
            decision=decision,
            chart=chart,
            mutations=[m for m in mutations if m is not None],
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
                self.unknown_keys(line, {"id", "name", "type", "cost", "opening_balance"}, lf)
                line_id = self.ident(line.get("id"), f"{lf}.id")
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
                    ChartLine(id=line_id or "x", name=line_name or "x", type=line_type, cost=cost,
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
        allowed = {"kind", "reason", "reference", "structural", "line", "amounts", "legs"}
        if kind == "correctie":
            allowed.add("corrects")
        if kind == "indexatie":
            allowed = {"kind", "reason", "reference", "structural", "year", "rates", "lines"}
        self.unknown_keys(raw, allowed, f)
        m = MutationInput(
            seq=seq,
            kind=kind,
            field=f,
            reason=self.text(raw.get("reason"), f"{f}.reason", limit="reason"),
            reference=self.text(raw.get("reference"), f"{f}.reference", limit="reference"),
            structural=self.flag(raw.get("structural"), f"{f}.structural"),
            structural_given="structural" in raw,
        )
        if kind == "kasschuif" and m.structural:
            self.problem(f"{f}.structural", "a kasschuif moves money between years and never carries")
        if kind == "correctie":
            m.corrects = self.reference_to(raw.get("corrects"), f"{f}.corrects")
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
                self.unknown_keys(leg, {"line", "amounts"}, lf)
                m.legs.append((self.line_ref(leg.get("line"), f"{lf}.line"),
                               self.amounts(leg.get("amounts"), f"{lf}.amounts"), lf))
        else:
            m.legs.append((self.line_ref(raw.get("line"), f"{f}.line"),
                           self.amounts(raw.get("amounts"), f"{f}.amounts"), f))
        if kind == "verschuiving" and len(m.legs) < 2:
            self.problem(f"{f}.legs", "a verschuiving needs at least two legs")
        for _, amounts, lf in m.legs:
            if amounts and not any(amounts.values()):
                self.problem(f"{lf}.amounts", "amounts are zero in every year")
        return m

    def reference_to(self, value: Any, field_: str) -> MutationRef | None:
        text = str(value or "").strip()
        doc, _, seq = text.rpartition("/")
        if not doc or not ID.match(doc) or not seq.isdigit() or int(seq) < 1:
            self.problem(field_, f"{text[:60]!r} must name a mutation as document-id/number, e.g. kaderbrief-2024/1")
            return None
        return MutationRef(document=doc, seq=int(seq))

    def indexation(self, raw: dict, m: MutationInput) -> None:
        f = m.field
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
            if -d.as_tuple().exponent > 4:
                self.problem(rf, f"rate {text} has more than 4 decimals")
                continue
            m.rates[cost] = text
        lines = raw.get("lines")
        if lines is not None:
            if not isinstance(lines, list) or not lines:
                self.problem(f"{f}.lines", "must be a non-empty list of unit/line addresses")
            else:
                m.lines = [self.line_ref(v, f"{f}.lines.{i}") for i, v in enumerate(lines, start=1)]


# ---------------------------------------------------------------- CSV

CSV_REQUIRED = ("document_id", "document_kind", "document_title", "document_date", "mutation", "kind", "line")
CSV_OPTIONAL = (
    "document_status", "document_decision", "structural", "reason", "reference", "corrects",
    "unit_name", "line_name", "line_type", "line_cost",
)


def _csv_to_mapping(text: str, source: str) -> dict:
    """One row per mutation leg; year columns (``2024``, ``2025``…) hold the amounts.
    Rows with the same ``mutation`` number are the legs of one mutation."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL and not YEAR.match(c)]
    problems = [Problem(source, f"column {c}", "is missing") for c in missing]
    problems += [Problem(source, f"column {c}", "is not a known column") for c in unknown]
    years = [c for c in header if YEAR.match(c)]
    if not years and not missing:
        problems.append(Problem(source, "columns", "no year columns (e.g. 2024) hold amounts"))
    if problems:
        raise InvalidInput(problems)
    rows = list(reader)
    if not rows:
        raise InvalidInput([Problem(source, "rows", "the file has no rows")])
    first = rows[0]
    head = {
        "id": first["document_id"], "kind": first["document_kind"], "title": first["document_title"],
        "date": first["document_date"], "status": first.get("document_status") or None,
        "decision": first.get("document_decision") or None,
    }
    for n, row in enumerate(rows, start=2):
        for col in ("document_id", "document_kind", "document_title", "document_date"):
            if (row.get(col) or "").strip() not in ("", (first.get(col) or "").strip()):
                problems.append(Problem(source, f"row {n}.{col}", "differs from the first row; one document per file"))
    chart: dict[str, dict] = {}
    mutations: dict[str, dict] = {}
    for n, row in enumerate(rows, start=2):
        if None in row:
            problems.append(Problem(source, f"row {n}", "has more cells than the header"))
            continue
        key = (row.get("mutation") or "").strip()
        if not key.isdigit():
            problems.append(Problem(source, f"row {n}.mutation", f"{key!r} is not a mutation number"))
            continue
        amounts = {y: row[y].strip() for y in years if (row.get(y) or "").strip()}
        leg = {"line": (row.get("line") or "").strip(), "amounts": amounts}
        m = mutations.setdefault(key, {"kind": (row.get("kind") or "").strip(), "legs": []})
        for col in ("reason", "reference", "structural", "corrects"):
            if (row.get(col) or "").strip() and col not in m:
                m[col] = row[col].strip()
        m["legs"].append(leg)
        if (row.get("line_name") or "").strip():
            unit, _, line_id = leg["line"].partition("/")
            u = chart.setdefault(unit, {"unit": unit, "name": (row.get("unit_name") or "").strip() or None, "lines": []})
            entry = {"id": line_id, "name": row["line_name"].strip(), "type": (row.get("line_type") or "").strip()}
            if (row.get("line_cost") or "").strip():
                entry["cost"] = row["line_cost"].strip()
            u["lines"].append(entry)
    if problems:
        raise InvalidInput(problems)
    out_mutations = []
    for key in sorted(mutations, key=int):
        m = mutations[key]
        if m["kind"] != "verschuiving" and len(m["legs"]) == 1:
            leg = m.pop("legs")[0]
            m["line"], m["amounts"] = leg["line"], leg["amounts"]
        out_mutations.append(m)
    data: dict[str, Any] = {"document": {k: v for k, v in head.items() if v is not None}, "mutations": out_mutations}
    if chart:
        data["chart"] = list(chart.values())
    return data
