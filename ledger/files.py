"""Document and key files as plain mappings: YAML read with every scalar kept as text, CSV
rows folded into the same mapping a YAML file gives, and the file itself (size, bytes,
encoding) checked first. What the values mean is checked in ``ledger.parsing``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from ledger.errors import InvalidInput, Problem
from ledger.text import normalise

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
# ASCII digits only: Python's \d, int() and Decimal() also take Bengali, Arabic-Indic or
# fullwidth digits, which would be stored as a different text than the one displayed.
YEAR = re.compile(r"^[0-9]{4}$")
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
RATE = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]+)?$")
MUTATION_NUMBER = re.compile(r"^[0-9]{1,6}$")
# A document file is small and flat: these bounds refuse hostile files in well under a second.
MAX_FILE_MB = 50
MAX_DEPTH = 20


def read_text(path: str | Path, *, max_mb: int = MAX_FILE_MB) -> str:
    """A file's text, refused when larger than ``max_mb`` megabytes, holding NUL bytes or
    not UTF-8."""
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
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput([Problem(source, f"byte {e.start}", "file is not UTF-8")]) from None


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


# ---------------------------------------------------------------- CSV

CSV_REQUIRED = ("document_id", "document_kind", "document_title", "document_date", "mutation", "kind", "line")
CSV_OPTIONAL = (
    "document_status", "document_decision", "structural", "reason", "reference", "corrects",
    "unit_name", "line_name", "line_type", "line_cost",
)


def csv_to_mapping(text: str, source: str) -> tuple[dict, list[int], list[Problem]]:
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
                problems.append(Problem(source, f"row {n}, column {col}",
                                        "differs from the first row; one document per file"))
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
            unit, _, line_id = str(leg["line"]).partition("/")
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
