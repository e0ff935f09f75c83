"""BBV classification: the organisation's overheidslaag, its programma's, and each line's
programma, Iv3 taakveld and categorie, as events of the ledger aggregate.

A line's classification holds from a year on until a later from-year; within one year the
latest recorded wins (``Bbv.held``). Every classification is complete: ``begroting classify``
fills what a file leaves out from what held, so the events alone say what holds.

The rules (``classified_problems``) are one function for the decision, which names file and
field, and for the write model, which refuses a stored event that breaks them (``verify``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Mapping, cast

from events import LEDGER_ID, DocumentAdopted, Event
from events.bbv import OVERHEIDSLAGEN, LineClass, LinesClassified, OrganisationDescribed, Overheidslaag, Programma
from ledger import codelists
from ledger.errors import InvalidInput, LedgerNotFound, Problem
from ledger.files import ID
from ledger.integrity import RuleBroken
from ledger.text import text_problems
from projections.bbv import programma_change
from projections.bbv_answers import ProgrammaYears

if TYPE_CHECKING:
    from ledger.domain import LedgerState
    from ledger.parsing import DocumentInput
    from ledger.writemodel import WriteModel

CLASS_FIELDS = ("programma", "taakveld", "categorie")
CODE = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,3}[a-z]?){1,3}\Z")  # 0.1, 4.3.1, 6.711, 6.71a
NUMBER = re.compile(r"^[0-9A-Za-z-]{0,20}\Z")
EMAIL = re.compile(r"^([a-zA-Z0-9_\-.]+)@(([a-zA-Z0-9\-]+\.)+)([a-zA-Z]{2,4}|[0-9]{1,3})\Z")  # as CBS's schema


@dataclass(frozen=True)
class Bbv:
    """What the ledger's events say of its BBV classification, as the rules read it."""

    described: OrganisationDescribed | None = None
    programmas: Mapping[str, str] = field(default_factory=dict)  # id -> name
    # "unit/line" -> ((from_year, classification), …) in the order recorded
    classes: Mapping[str, tuple[tuple[int, LineClass], ...]] = field(default_factory=dict)

    @property
    def laag(self) -> str | None:
        return self.described.overheidslaag if self.described else None

    def after(self, event: OrganisationDescribed | LinesClassified) -> Bbv:
        if isinstance(event, OrganisationDescribed):
            return replace(self, described=event)
        classes = dict(self.classes)
        for c in event.lines:
            classes[c.address] = classes.get(c.address, ()) + ((event.from_year, c),)
        return replace(self, programmas={**self.programmas, **{p.id: p.name for p in event.programmas}},
                       classes=classes)

    def held(self, address: str, year: int) -> LineClass | None:
        """The classification of a line in a year: the latest from-year at or before it."""
        best: tuple[int, LineClass] | None = None
        for from_year, c in self.classes.get(address, ()):
            if from_year <= year and (best is None or from_year >= best[0]):
                best = (from_year, c)
        return best[1] if best else None

    def has_cells(self) -> bool:
        return any(c.taakveld for held in self.classes.values() for _, c in held)


# ---------------------------------------------------------------- the rules


def classified_problems(event: LinesClassified, ledger: LedgerState, documents: Mapping[str, Any],
                        line_types: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(where, message) for everything the event breaks; ``where`` is ``programmas.N``,
    ``lines.N`` or ``lines.N.<field>`` (N from 0), or empty. ``line_types``: the lines that
    exist, by address (default: the ledger's)."""
    types = line_types if line_types is not None else {a: line.type for a, line in ledger.lines.items()}
    out: list[tuple[str, str]] = []
    if not event.programmas and not event.lines:
        out.append(("", "declares no programma and classifies no line"))
    if event.from_year not in ledger.years:
        out.append(("from", f"{event.from_year} is not a year of the horizon {ledger.first_year}-{ledger.last_year}"))
    if event.document and event.document not in documents:
        out.append(("", f"document {event.document!r} is not recorded"))
    codes = None
    laag = ledger.bbv.laag
    if any(c.taakveld for c in event.lines):
        if laag is None:
            out.append(("", "the ledger has no overheidslaag, so no Iv3 code list: give it with "
                            "`begroting init --overheidslaag` or an organisation: block in a classify file"))
        elif event.list_year != codelists.list_year(laag, event.from_year):
            out.append(("", f"checked against the Iv3 list of {event.list_year}, not that of "
                            f"{codelists.list_year(laag, event.from_year)}, which judges {event.from_year}"))
        else:
            codes = codelists.code_list(laag, event.list_year)
    seen: set[str] = set()
    for i, p in enumerate(event.programmas):
        if not ID.match(p.id):
            out.append((f"programmas.{i}.id", f"{p.id[:40]!r} is not an id"))
        if p.id in seen:
            out.append((f"programmas.{i}.id", f"programma {p.id!r} is declared twice"))
        seen.add(p.id)
        out += [(f"programmas.{i}.name", m) for m in text_problems(p.name, "name") or
                ([] if p.name.strip() else ["is required"])]
    declared = set(ledger.bbv.programmas) | seen
    classified: set[str] = set()
    for i, c in enumerate(event.lines):
        if c.address in classified:
            out.append((f"lines.{i}.line", f"{c.address!r} is classified twice"))
        classified.add(c.address)
        out += [(f"lines.{i}.{where}", message) for where, message in
                _line_problems(c, types.get(c.address), declared, codes, checked=laag is not None)]
    return out


def _line_problems(c: LineClass, line_type: str | None, declared: set[str], codes: codelists.CodeList | None,
                   *, checked: bool) -> list[tuple[str, str]]:
    if line_type is None:
        return [("line", f"{c.address[:80]!r} is not a line of the ledger")]
    out = []
    if c.programma and c.programma not in declared:
        out.append(("programma", f"programma {c.programma[:40]!r} is not declared (programmas: [{{id, name}}])"))
    if bool(c.taakveld) != bool(c.categorie):
        out.append(("categorie" if c.taakveld else "taakveld",
                    "taakveld and categorie go together: they name one Iv3 cell"))
    elif c.taakveld and codes is not None:
        why = codelists.cell_problem(codes, line_type, c.taakveld, c.categorie)
        if why:
            out.append(("taakveld" if why.startswith("taakveld") else "categorie", why))
    elif c.taakveld and checked:
        out.append(("taakveld", "no Iv3 code list to check it against"))
    return out


def check_bbv(event: OrganisationDescribed | LinesClassified, ledger: LedgerState,
              documents: Mapping[str, Any], previous: Any = None) -> None:
    """The write model's check of a stored BBV event: RuleBroken with the first problem. A
    document's chart classification is saved with it (right after the document, or its
    adoption in the same save) and holds from the ledger's first year, as ``record`` saves it."""
    if isinstance(event, OrganisationDescribed):
        problem = described_problem(event, ledger.bbv)
        if problem:
            raise RuleBroken(f"organisation {problem[0]}: {problem[1]}")
        return
    if event.document:
        recorded = getattr(previous, "header", None)  # a DocumentRecorded, or a StoredDocument
        follows = (recorded is not None and recorded.id == event.document) or (
            isinstance(previous, DocumentAdopted) and previous.document == event.document)
        same_save = follows and (previous.timestamp, previous.actor) == (event.timestamp, event.actor)
        if not same_save or event.from_year != ledger.first_year:
            raise RuleBroken(f"the classification of document {event.document[:80]!r}'s chart is not saved with it "
                             f"(right after it, in the same save, from the first year {ledger.first_year})")
    problems = classified_problems(event, ledger, documents)
    if problems:
        where, message = problems[0]
        raise RuleBroken(f"classification {where + ': ' if where else ''}{message}")


def described_problem(event: OrganisationDescribed, bbv: Bbv) -> tuple[str, str] | None:
    """(field, message): what the description breaks; the field as a classify file's
    ``organisation:`` block names it."""
    if event.overheidslaag not in OVERHEIDSLAGEN:
        return "overheidslaag", f"{event.overheidslaag!r} is not one of {', '.join(OVERHEIDSLAGEN)}"
    if not NUMBER.match(event.overheidsnummer):
        return "overheidsnummer", f"{event.overheidsnummer[:30]!r} is not a CBS number (digits and letters)"
    for name, text in (("contact.name", event.contact_name), ("contact.email", event.contact_email),
                       ("contact.phone", event.contact_phone)):
        for message in text_problems(text, "name"):
            return name, message
    if event.contact_email and not EMAIL.match(event.contact_email):
        return "contact.email", f"{event.contact_email[:60]!r} is not an e-mail address CBS accepts"
    if bbv.laag not in (None, event.overheidslaag) and bbv.has_cells():
        return "overheidslaag", (f"{event.overheidslaag!r}: the lines are classified by the Iv3 list of "
                                 f"{bbv.laag!r}; it cannot change")
    return None


# ---------------------------------------------------------------- decisions


def described(version: int, laag: str, number: str, *, stamp: datetime, actor: str,
              contact: Mapping[str, str] | None = None, bbv: Bbv | None = None,
              source: str = "") -> OrganisationDescribed:
    """The event that describes the organisation, checked: InvalidInput naming the option
    (``--overheidslaag``, ``--overheidsnummer``) or, from a file ``source``, its field."""
    contact = contact or {}
    event = OrganisationDescribed(
        originator_id=LEDGER_ID, originator_version=version, timestamp=stamp, actor=actor,
        overheidslaag=cast(Overheidslaag, laag if laag in OVERHEIDSLAGEN else "gr"), overheidsnummer=number.strip(),
        contact_name=contact.get("name", ""), contact_email=contact.get("email", ""),
        contact_phone=contact.get("phone", ""))
    problem = (("overheidslaag", f"{laag!r} is not one of {', '.join(OVERHEIDSLAGEN)}") if laag not in OVERHEIDSLAGEN
               else described_problem(event, bbv or Bbv()))
    if problem:
        where, message = problem
        raise InvalidInput([Problem(source, f"organisation.{where}", message) if source
                            else Problem(f"--{where}", "", message)])
    return event


@dataclass
class ClassifyInput:
    source: str
    from_year: int
    programmas: list[tuple[Programma, str]]  # with the field that gave it
    lines: list[tuple[str, dict[str, str], str]]  # address, the fields given, the field
    organisation: dict[str, str] | None = None  # overheidslaag, overheidsnummer, contact name/email/phone


def decide_classify(model: WriteModel, inp: ClassifyInput, *, stamp: datetime, actor: str) -> list[Event] | None:
    """``begroting classify``: the organisation described anew and the lines classified from
    ``inp.from_year`` on; None when it all holds already."""
    ledger = model.ledger
    if ledger is None:
        raise LedgerNotFound("the ledger holds no LedgerOpened event: run `begroting init`")
    events: list[Event] = []
    if inp.organisation is not None:
        org = inp.organisation
        before = ledger.bbv.described
        event = described(ledger.version + 1, org.get("overheidslaag", before.overheidslaag if before else ""),
                          org.get("overheidsnummer", before.overheidsnummer if before else ""),
                          stamp=stamp, actor=actor, bbv=ledger.bbv, source=inp.source, contact={
                              k: org.get(k, getattr(before, f"contact_{k}", "") if before else "")
                              for k in ("name", "email", "phone")})
        if before is None or event.model_dump(exclude={"timestamp", "actor", "originator_version"}) != \
                before.model_dump(exclude={"timestamp", "actor", "originator_version"}):
            events.append(event)
            ledger = replace(ledger, version=event.originator_version, bbv=ledger.bbv.after(event))
    found = _repeats(inp.source, [(p.id, f"{f}.id", "programma") for p, f in inp.programmas]
                     + [(a, f"{f}.line", "line") for a, _, f in inp.lines])
    if (inp.programmas or inp.lines) and inp.from_year not in ledger.years:
        found.append(Problem(inp.source, "classify.from", f"{inp.from_year} is not a year of the horizon "
                                                          f"{ledger.first_year}-{ledger.last_year}"))
    if found:
        raise InvalidInput(found)
    programmas = [(p, f) for p, f in inp.programmas if ledger.bbv.programmas.get(p.id) != p.name]
    lines: list[tuple[LineClass, str]] = []
    for address, given, f in inp.lines:
        unit, _, line = address.partition("/")
        held = ledger.bbv.held(address, inp.from_year) or LineClass(unit=unit, line=line)
        c = LineClass(unit=unit, line=line, **{k: given.get(k, getattr(held, k)) for k in CLASS_FIELDS})
        if c != held or address not in ledger.lines:
            lines.append((c, f))
    if programmas or lines:
        classified = classification_event(ledger, inp.from_year, programmas, lines, stamp=stamp, actor=actor,
                                          source=inp.source.rsplit("/", 1)[-1])
        problems = classified_problems(classified, ledger, model.documents)
        if problems:
            raise InvalidInput(_problems(inp.source, problems, programmas, lines, "classify"))
        events.append(classified)
    return events or None


def chart_classification(model: WriteModel, doc: DocumentInput, version: int, *, stamp: datetime,
                         actor: str) -> LinesClassified | None:
    """What a document's chart classifies (and its ``programmas:`` declare), saved with it and
    holding from the ledger's first year; None when it classifies nothing new. A line the
    ledger already has keeps its classification: ``begroting classify`` changes it."""
    ledger = model.ledger
    assert ledger is not None
    types = {a: line.type for a, line in ledger.lines.items()}
    types.update({f"{u.id}/{line.id}": line.type for u in doc.chart for line in u.lines})
    problems: list[tuple[str, str]] = []
    lines: list[tuple[LineClass, str]] = []
    for c, f in doc.classes:
        if c.address in ledger.lines:
            held = ledger.bbv.held(c.address, ledger.first_year) or LineClass(unit=c.unit, line=c.line)
            if held != c:
                problems.append((f, f"{c.address} is already in the ledger, classified otherwise: "
                                    "change it with `begroting classify`"))
            continue
        lines.append((c, f))
    for p, f in doc.programmas:
        known = ledger.bbv.programmas.get(p.id)
        if known is not None and known != p.name:
            problems.append((f"{f}.name", f"programma {p.id!r} is declared as {known!r}: rename it with "
                                          "`begroting classify`"))
    programmas = [(p, f) for p, f in doc.programmas if p.id not in ledger.bbv.programmas]
    problems += [(pr.field, pr.message) for pr in _repeats(doc.source, [(p.id, f"{f}.id", "programma")
                                                                        for p, f in doc.programmas])]
    if not programmas and not lines:
        if problems:
            raise InvalidInput([Problem(doc.source, f, m) for f, m in problems])
        return None
    event = classification_event(ledger, ledger.first_year, programmas, lines, stamp=stamp, actor=actor,
                                 document=doc.id, version=version, source=doc.source.rsplit("/", 1)[-1])
    found = [Problem(doc.source, f, m) for f, m in problems]
    found += _problems(doc.source, classified_problems(event, ledger, {**model.documents, doc.id: None}, types),
                       programmas, lines, "")
    if found:
        raise InvalidInput(found)
    return event


def chart_problems(model: WriteModel, doc: DocumentInput) -> list[Problem]:
    """What a document's chart breaks of the classification rules, to report with its other problems."""
    try:
        chart_classification(model, doc, 0, stamp=datetime.now(UTC), actor="check")
    except InvalidInput as e:
        return list(e.problems)
    return []


def classification_event(ledger: LedgerState, from_year: int, programmas: list[tuple[Programma, str]],
                         lines: list[tuple[LineClass, str]], *, stamp: datetime, actor: str, source: str,
                         document: str = "", version: int | None = None) -> LinesClassified:
    laag = ledger.bbv.laag
    return LinesClassified(
        originator_id=LEDGER_ID, originator_version=version if version is not None else ledger.version + 1,
        timestamp=stamp, actor=actor, from_year=from_year,
        list_year=codelists.list_year(laag, from_year) if laag else from_year,
        programmas=tuple(p for p, _ in programmas), lines=tuple(c for c, _ in lines), document=document,
        source=source)


def _repeats(source: str, items: list[tuple[str, str, str]]) -> list[Problem]:
    """(id, field, what): each id given a second time in one file."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ident, where, what in items:
        if (what, ident) in seen:
            out.append(Problem(source, where, f"{what} {ident[:60]!r} appears twice"))
        seen.add((what, ident))
    return out


def _problems(source: str, found: list[tuple[str, str]], programmas: list[tuple[Programma, str]],
              lines: list[tuple[LineClass, str]], prefix: str) -> list[Problem]:
    """The rules' (where, message) as problems naming the file's own fields."""
    out = []
    for where, message in found:
        kind, _, rest = where.partition(".")
        index, _, sub = rest.partition(".")
        fields = {"programmas": [f for _, f in programmas], "lines": [f for _, f in lines]}.get(kind)
        if fields is not None and index.isdigit():
            given = fields[int(index)]
            where = f"{given}.{sub}" if sub and sub != "line" else given
        elif kind == "from":
            where = f"{prefix}.from" if prefix else "from"
        out.append(Problem(source, where, message))
    return out


def programma_changes(model: WriteModel, doc: DocumentInput, changes: list[tuple[str, str, int, int, int]],
                      line_types: Mapping[str, str]) -> tuple[ProgrammaYears, ...]:
    """A document's effect per programma (``record --dry-run``): its lines' programma's as they
    hold in each year, a new line's as its chart gives it; empty when the ledger has none."""
    ledger = model.ledger
    assert ledger is not None
    names = {**ledger.bbv.programmas, **{p.id: p.name for p, _ in doc.programmas}}
    if not names:
        return ()
    own = {c.address: c.programma for c, _ in doc.classes}

    def programma_of(address: tuple[str, str], year: int) -> str:
        held = ledger.bbv.held("/".join(address), year)
        return held.programma if held else own.get("/".join(address), "")

    types = {(a.partition("/")[0], a.partition("/")[2]): t for a, t in line_types.items()}
    return programma_change(changes, types, programma_of, names, list(model.years))
