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
from ledger.text import MAX_CHARS, normalise, text_problems

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
# ASCII digits only: Python's \d, int() and Decimal() also take Bengali, Arabic-Indic or
# fullwidth digits, which would be stored as a different text than the one displayed.
YEAR = re.compile(r"^[0-9]{4}$")
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
RATE = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]+)?$")
MUTATION_NUMBER = re.compile(r"^[0-9]{1,6}$")
MAX_TEXT = MAX_CHARS
# A document file is small and flat: these bounds refuse hostile files in well under a second.
MAX_FILE_MB = 50
MAX_DEPTH = 20


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


class _Refused(yaml.YAMLError):
    """Raised while composing when the file uses what a document file has no need for."""

    def __init__(self, field_: str, message: str):
        super().__init__(message)
        self.field, self.message = field_, message


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps numbers and dates as text and refuses duplicate keys, explicit
    tags (``!!float``, ``!!set``…), anchors and aliases (no alias bombs), keys that are not
    plain scalars, lone surrogates and nesting deeper than MAX_DEPTH. A document file holds
    plain scalars, lists and mappings; nothing else is needed."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.path: list[str] = []

    def _refuse(self, message: str, event: Any) -> None:
        raise _Refused(".".join(self.path), f"{message} (line {event.start_mark.line + 1})")

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(index, yaml.ScalarNode):
            self.path.append(index.value)
        elif isinstance(index, int):
            self.path.append(str(index + 1))
        try:
            self._check(event, parent, index)
            return super().compose_node(parent, index)
        finally:
            if index is not None:
                self.path.pop()

    def _check(self, event: Any, parent: Any, index: Any) -> None:
        if isinstance(event, yaml.AliasEvent):
            self._refuse(f"aliases (*{event.anchor}) are not allowed in a document file", event)
        if event.anchor is not None:
            self._refuse(f"anchors (&{event.anchor}) are not allowed in a document file", event)
        tag = getattr(event, "tag", None)
        if tag is not None:
            self._refuse(f"the tag {tag} is not allowed: write the plain value (a document file holds "
                         "plain scalars, lists and mappings)", event)
        if isinstance(event, yaml.ScalarEvent) and any("\ud800" <= c <= "\udfff" for c in event.value):
            self._refuse("contains a lone surrogate, which is not valid Unicode", event)
        if index is None and isinstance(parent, yaml.MappingNode) and not isinstance(event, yaml.ScalarEvent):
            self._refuse("a key must be a plain value, not a list or mapping", event)
        if len(self.path) > MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", event)


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
    except _Refused as e:
        raise InvalidInput([Problem(source, e.field, e.message)]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}" if mark else "yaml"
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InvalidInput([Problem(source, where, f"malformed YAML: {what}")]) from None
    except RecursionError:  # not reached with MAX_DEPTH; a last guard
        raise InvalidInput([Problem(source, "", f"nested deeper than {MAX_DEPTH} levels")]) from None


# ---------------------------------------------------------------- entry point


def read_document(path: str | Path, *, max_mb: int = MAX_FILE_MB) -> DocumentInput:
    """Read and check one document file (.yaml/.yml or .csv) of at most ``max_mb``
    megabytes; raise InvalidInput with every problem found."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_mb * 1_000_000:
            raise InvalidInput([Problem(source, "", f"the file is {size / 1_000_000:.1f} MB; at most {max_mb} MB "
                                                    "(record --max-size MB allows more)")])
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
        data, seqs, problems = _csv_to_mapping(text, source)
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


class _Checker:
    """Walks the mapping once, converting values and collecting every problem."""

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

    # -- structure

    def document(self, data: Any, seqs: list[int] | None = None) -> DocumentInput | None:
        if not isinstance(data, dict):
            self.problem("", "must be a mapping with 'document' and 'mutations'")
            return None
        self.unknown_keys(data, {"document", "chart", "mutations"}, "")
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
        if not doc or not ID.match(doc) or not MUTATION_NUMBER.match(seq) or int(seq) < 1:
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
                for i, address in enumerate(m.lines, start=1):
                    if address and address in m.lines[:i - 1]:
                        self.problem(f"{f}.lines.{i}", f"{address!r} is named twice")


# ---------------------------------------------------------------- CSV

CSV_REQUIRED = ("document_id", "document_kind", "document_title", "document_date", "mutation", "kind", "line")
CSV_OPTIONAL = (
    "document_status", "document_decision", "structural", "reason", "reference", "corrects",
    "unit_name", "line_name", "line_type", "line_cost",
)


def _csv_to_mapping(text: str, source: str) -> tuple[dict, list[int], list[Problem]]:
    """One row per mutation leg; year columns (``2024``, ``2025``…) hold the amounts.
    Rows with the same ``mutation`` number are the legs of one mutation, and that number
    is the mutation's number in the ledger (what ``corrects: doc/N`` names).

    Returns the document as a mapping, the mutation numbers in order, and the problems
    found in the rows (reported together with the ledger's checks). A header that cannot
    be read is refused at once."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        table = [cells for cells in reader if cells]
    except csv.Error as e:
        raise InvalidInput([Problem(source, f"line {reader.line_num}", f"malformed CSV: {e}")]) from None
    if not table:
        raise InvalidInput([Problem(source, "rows", "the file is empty")])
    header = [normalise(h) for h in table[0]]
    problems: list[Problem] = []
    first_at: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in first_at:
            problems.append(Problem(source, f"column {i} ({name})", f"repeats column {first_at[name]}; "
                                                                    "each column may appear once"))
        first_at.setdefault(name, i)
    problems += [Problem(source, f"column {c}", "is missing") for c in CSV_REQUIRED if c not in first_at]
    problems += [Problem(source, f"column {i} ({c[:40]})", "is not a known column")
                 for i, c in enumerate(header, start=1)
                 if c not in CSV_REQUIRED + CSV_OPTIONAL and not YEAR.match(c)]
    years = [c for c in first_at if YEAR.match(c)]
    if not years and all(c in first_at for c in CSV_REQUIRED):
        problems.append(Problem(source, "columns", "no year columns (e.g. 2024) hold amounts"))
    if problems:
        raise InvalidInput(problems)
    rows: list[tuple[int, dict[str, str]]] = []
    for n, cells in enumerate(table[1:], start=2):
        if len(cells) > len(header):
            problems.append(Problem(source, f"row {n}", f"has {len(cells)} cells; the header has {len(header)}"))
            continue
        rows.append((n, {c: cells[i - 1].strip() if i <= len(cells) else "" for c, i in first_at.items()}))
    if not rows and not problems:
        raise InvalidInput([Problem(source, "rows", "the file has no rows")])
    first = rows[0][1] if rows else {}
    head = {
        "id": first.get("document_id"), "kind": first.get("document_kind"), "title": first.get("document_title"),
        "date": first.get("document_date"), "status": first.get("document_status") or None,
        "decision": first.get("document_decision") or None,
    }
    for n, row in rows:
        for col in ("document_id", "document_kind", "document_title", "document_date"):
            if row[col] not in ("", first[col]):
                problems.append(Problem(source, f"row {n}, column {col}", "differs from the first row; one document per file"))
    chart: dict[str, dict] = {}
    mutations: dict[int, dict] = {}
    seen_at: dict[int, int] = {}
    for n, row in rows:
        key = row["mutation"]
        if not MUTATION_NUMBER.match(key) or int(key) < 1:
            problems.append(Problem(source, f"row {n}, column mutation",
                                    f"{key[:20]!r} is not a mutation number (a whole number from 1 to 999999)"))
            continue
        number = int(key)
        amounts = {y: row[y] for y in years if row[y]}
        leg = {"line": row["line"], "amounts": amounts}
        if number not in mutations:
            mutations[number] = {"kind": row["kind"], "legs": []}
            seen_at[number] = n
        m = mutations[number]
        if row["kind"] != m["kind"]:
            problems.append(Problem(source, f"row {n}, column kind",
                                    f"mutation {number} is a {m['kind']!r} in row {seen_at[number]}, "
                                    f"not {row['kind'][:30]!r}; a mutation has one kind"))
        for col in ("reason", "reference", "structural", "corrects"):
            value = row.get(col, "")
            if not value:
                continue
            if col not in m:
                m[col] = value
            elif m[col] != value:
                problems.append(Problem(source, f"row {n}, column {col}",
                                        f"differs from an earlier row of mutation {number}; give it once"))
        m["legs"].append(leg)
        if row.get("line_name"):
            unit, _, line_id = leg["line"].partition("/")
            u = chart.setdefault(unit, {"unit": unit, "name": row.get("unit_name") or None, "lines": []})
            entry = {"id": line_id, "name": row["line_name"], "type": row.get("line_type", "")}
            if row.get("line_cost"):
                entry["cost"] = row["line_cost"]
            u["lines"].append(entry)
    numbers = sorted(mutations)
    out_mutations = []
    for number in numbers:
        m = mutations[number]
        if m["kind"] != "verschuiving" and len(m["legs"]) == 1:
            leg = m.pop("legs")[0]
            m["line"], m["amounts"] = leg["line"], leg["amounts"]
        out_mutations.append(m)
    data: dict[str, Any] = {"document": {k: v for k, v in head.items() if v is not None}, "mutations": out_mutations}
    if chart:
        data["chart"] = list(chart.values())
    return data, numbers, problems
