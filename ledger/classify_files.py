"""Classification files into checked input: ``begroting classify FILE.yaml`` and the
classification fields of a document's chart lines and its ``programmas:`` (``ledger.parsing``).
Nothing here knows the ledger; ``ledger.classification`` checks the input against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events.bbv import OVERHEIDSLAGEN, Programma
from ledger.classification import CLASS_FIELDS, CODE, ClassifyInput
from ledger.errors import InvalidInput, Problem
from ledger.files import ID, load_yaml_text, read_text
from ledger.values import Values


def read_classification(path: str | Path) -> ClassifyInput:
    source = str(path)
    return classification_from_mapping(load_yaml_text(read_text(path), source), source)


def classification_from_mapping(data: Any, source: str) -> ClassifyInput:
    """``classify: {from: YEAR, programmas: [{id, name}], lines: [{line, programma, taakveld,
    categorie}]}`` and optionally ``organisation: {overheidslaag, overheidsnummer, contact:
    {name, email, phone}}``; ``programmas`` may also stand at the top."""
    problems: list[Problem] = []
    values = Values(source, problems)
    if not isinstance(data, dict) or not isinstance(data.get("classify", data.get("organisation")), dict):
        raise InvalidInput([Problem(source, "classify", "must be a mapping with from and lines "
                                                        "(and programmas), or give an organisation: mapping")])
    values.unknown_keys(data, {"classify", "organisation", "programmas"}, "")
    body = values.mapping(data.get("classify") or {}, "classify")
    values.unknown_keys(body, {"from", "lines", "programmas"}, "classify")
    from_year = values.year(body.get("from") or "", "classify.from") if "classify" in data else 0
    programmas = parse_programmas(values, data.get("programmas"), "programmas")
    programmas += parse_programmas(values, body.get("programmas"), "classify.programmas")
    lines = []
    raw_lines = body.get("lines") or []
    if not isinstance(raw_lines, list):
        values.problem("classify.lines", "must be a list of {line, programma, taakveld, categorie}")
        raw_lines = []
    for i, raw in enumerate(raw_lines, start=1):
        f = f"classify.lines.{i}"
        raw = values.mapping(raw, f)
        values.unknown_keys(raw, {"line", *CLASS_FIELDS}, f)
        address = str(raw.get("line") or "")
        if address.count("/") != 1 or not all(ID.match(part) for part in address.split("/")):
            values.problem(f"{f}.line", f"{address[:60]!r} is not a unit/line address")
        given = parse_class_fields(values, raw, f)
        if not given:
            values.problem(f, "gives none of programma, taakveld, categorie")
        lines.append((address, given, f))
    organisation = _organisation(values, data.get("organisation"))
    if problems:
        raise InvalidInput(problems)
    return ClassifyInput(source, from_year or 0, programmas, lines, organisation)


def _organisation(values: Values, raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    raw = values.mapping(raw, "organisation")
    values.unknown_keys(raw, {"overheidslaag", "overheidsnummer", "contact"}, "organisation")
    out = {k: values.text(raw[k], f"organisation.{k}", limit="name") for k in ("overheidslaag", "overheidsnummer")
           if k in raw}
    if out.get("overheidslaag", OVERHEIDSLAGEN[0]) not in OVERHEIDSLAGEN:
        values.problem("organisation.overheidslaag", f"{out['overheidslaag'][:30]!r} is not one of "
                                                     f"{', '.join(OVERHEIDSLAGEN)}")
    contact = values.mapping(raw.get("contact") or {}, "organisation.contact")
    values.unknown_keys(contact, {"name", "email", "phone"}, "organisation.contact")
    out.update({k: values.text(v, f"organisation.contact.{k}", limit="name") for k, v in contact.items()})
    return out


def parse_programmas(values: Values, raw: Any, where: str) -> list[tuple[Programma, str]]:
    """``programmas: [{id, name}]``, with the field each came from."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        values.problem(where, "must be a list of {id, name}")
        return []
    out = []
    for i, p in enumerate(raw, start=1):
        f = f"{where}.{i}"
        p = values.mapping(p, f)
        values.unknown_keys(p, {"id", "name"}, f)
        out.append((Programma(id=values.ident(p.get("id"), f"{f}.id"),
                              name=values.text(p.get("name"), f"{f}.name", limit="name", required=True)), f))
    return out


def parse_class_fields(values: Values, raw: dict, where: str) -> dict[str, str]:
    """The classification fields a chart line or a classify line gives (programma an id,
    taakveld and categorie Iv3 codes as text: write them quoted, "0.10")."""
    given = {}
    for k in CLASS_FIELDS:
        if k not in raw:
            continue
        text = str(raw[k] if raw[k] is not None else "").strip()
        if k == "programma":
            text = values.ident(text, f"{where}.{k}") if text else ""
        elif text and not CODE.match(text):
            values.problem(f"{where}.{k}", f"{text[:20]!r} is not an Iv3 code such as \"0.1\" or \"4.3.1\"")
        given[k] = text
    return given
