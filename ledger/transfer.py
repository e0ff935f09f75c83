"""A ledger's history as plain data, and back.

The JSON export carries every document as the mapping a YAML file parses into, with its
lifecycle, keys and horizon in ledger order (for people and other programs), and since
format 2 also every stored event byte for byte with its hash-chain link. Importing a
format-2 file into an empty ledger checks the whole file first, then writes those stored
events and links verbatim at the same positions in one transaction, so the chain — and any
digest an auditor kept — carries over. A format-1 file is recorded again, document by
document, through the same checks as `begroting record`. The stored events themselves
travel through ``ledger.rawhistory``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Callable, Iterator

from events import (
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    Mutation,
    Split,
)
from events.bbv import LinesClassified, OrganisationDescribed
from ledger.application import MAPPER, Ledger
from ledger.errors import InvalidInput, LedgerError, Problem
from ledger.keys import key_from_mapping
from ledger.money import decimal_text
from ledger.parsing import document_from_mapping
from ledger.rawhistory import import_raw, raw_events, remove_new_sqlite_ledger

FORMAT = "begroting-history/2"
FORMAT_V1 = "begroting-history/1"


def stored_events(ledger: Ledger, batch: int = 500) -> Iterator[tuple[int, Event]]:
    start = 1
    while True:
        notifications = ledger.app.recorder.select_notifications(start, batch)
        for n in notifications:
            yield n.id, MAPPER.to_domain_event(n)
        if len(notifications) < batch:
            return
        start = notifications[-1].id + 1


def _amounts(amounts_cents: dict[int, int]) -> dict[str, str]:
    return {str(y): decimal_text(a) for y, a in sorted(amounts_cents.items())}


def _split(split: Split) -> dict[str, Any]:
    out: dict[str, Any] = {"category": split.category} if split.category else {}
    if split.key is not None:
        return {"key": split.key, **out}
    return {**out, "participants": {p.name: _amounts(p.amounts_cents) for p in split.participants}}


def _mutation(m: Mutation) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind, "reason": m.reason, "reference": m.reference, "structural": m.structural}
    if m.split is not None:
        out["split"] = _split(m.split)
    if m.kind == "indexatie":
        out["year"] = next(iter(m.legs[0].amounts_cents)) if m.legs else None
        out["rates"] = {i.cost: i.rate_percent for i in m.indexation}
        out["lines"] = [f"{i.unit}/{i.line}" for i in m.indexation]
        out["outcomes"] = {f"{i.unit}/{i.line}": decimal_text(i.outcome_cents) for i in m.indexation}
        return out
    if m.corrects:
        out["corrects"] = str(m.corrects)
    if m.kind == "verschuiving" or len(m.legs) > 1:
        out["legs"] = [{"line": leg.address, "amounts": _amounts(leg.amounts_cents),
                        **({"split": _split(leg.split)} if leg.split is not None else {})} for leg in m.legs]
    else:
        out["line"], out["amounts"] = m.legs[0].address, _amounts(m.legs[0].amounts_cents)
        if m.legs[0].split is not None:  # a one-leg mutation's leg split reads as the mutation's
            out["split"] = _split(m.legs[0].split)
    return out


def history(ledger: Ledger) -> dict[str, Any]:
    """Every event as plain data, in ledger order."""
    opened: LedgerOpened | None = None
    charts: dict[str, list[dict]] = {}
    events: list[dict[str, Any]] = []
    for position, event in stored_events(ledger):
        if isinstance(event, LedgerOpened):
            opened = event
        elif isinstance(event, ChartExtended):
            charts[event.document] = [
                {"unit": u.id, "name": u.name, "lines": [
                    {"id": line.id, "name": line.name, "type": line.type,
                     **({"cost": line.cost} if line.cost else {}),
                     **({"opening_balance": decimal_text(line.opening_balance_cents)} if line.type == "reserve" else {})}
                    for line in u.lines]}
                for u in event.units
            ]
        elif isinstance(event, DocumentRecorded):
            h = event.header
            document: dict[str, Any] = {"id": h.id, "kind": h.kind, "title": h.title, "date": h.date.isoformat()}
            if h.decision:
                document["decision"] = h.decision
            mapping: dict[str, Any] = {"document": document, "mutations": [_mutation(m) for m in event.mutations]}
            if h.id in charts:
                mapping["chart"] = charts.pop(h.id)
            events.append({"position": position, "event": "document_recorded", "recorded_at": event.timestamp.isoformat(),
                           "actor": event.actor, "source": event.source, "document": mapping})
        elif isinstance(event, DocumentAdopted):
            events.append({"position": position, "event": "document_adopted", "document": event.document,
                           "date": event.date.isoformat(), "decision": event.decision})
        elif isinstance(event, DocumentWithdrawn):
            events.append({"position": position, "event": "document_withdrawn", "document": event.document,
                           "date": event.date.isoformat(), "reason": event.reason})
        elif isinstance(event, HorizonExtended):
            events.append({"position": position, "event": "horizon_extended", "last_year": event.last_year})
        elif isinstance(event, OrganisationDescribed):
            events.append({"position": position, "event": "organisation_described",
                           **event.model_dump(include={"overheidslaag", "overheidsnummer", "contact_name",
                                                       "contact_email", "contact_phone"})})
        elif isinstance(event, LinesClassified):
            events.append({"position": position, "event": "lines_classified", "from": event.from_year,
                           "document": event.document, "programmas": [p.model_dump() for p in event.programmas],
                           "lines": [c.model_dump() for c in event.lines]})
        elif isinstance(event, KeySet):
            events.append({"position": position, "event": "key_set", "key": {
                "id": event.key, "from": event.from_year, **({"scope": list(event.scope)} if event.scope else {}),
                "participants": [{"name": p.name, "percentage": p.percentage} for p in event.participants]}})
    if opened is None:
        raise LedgerError("the ledger holds no LedgerOpened event")
    return {"format": FORMAT, "organisation": opened.organisation,
            "first_year": opened.first_year, "last_year": opened.last_year, "events": events,
            "stored_events": raw_events(ledger.location)}


# ------------------------------------------------------------------ stored events, verbatim


def import_file(path: str, file: str, progress: Callable[[int, int], None] | None = None) -> Ledger:
    """Create a ledger at ``path`` from an exported JSON file: the export itself, or an object
    holding it under ``history`` (as `begroting export FILE.json` writes it)."""
    try:
        with open(file, encoding="utf-8") as f:
            data = json.loads(f.read())
    except (OSError, ValueError) as e:
        raise InvalidInput([Problem(file, "", f"cannot read JSON: {e}")]) from None
    found = (data or {}).get("history") or data if isinstance(data, dict) else data
    return import_history(path, found, file, progress)


def import_history(path: str, data: dict[str, Any], source: str,
                   progress: Callable[[int, int], None] | None = None) -> Ledger:
    """Create a ledger at ``path`` from an exported history: format 2 verbatim, format 1
    recorded again document by document."""
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return import_raw(path, data, source, progress)
    if not isinstance(data, dict) or data.get("format") != FORMAT_V1 or not isinstance(data.get("events"), list):
        raise InvalidInput([Problem(source, "format", f"not a begroting export (want format {FORMAT!r})")])
    _check_v1(data, source)
    ledger = Ledger.init(path, data["organisation"], data["first_year"], data["last_year"])
    try:
        _record_v1(ledger, data, source, progress)
    except BaseException as e:
        ledger.close()
        remove_new_sqlite_ledger(ledger.location)
        if isinstance(e, (KeyError, TypeError, ValueError, AttributeError)):
            raise InvalidInput([Problem(source, "events", f"malformed ({type(e).__name__}: {str(e)[:120]})")]) from None
        raise
    return ledger


def _check_v1(data: dict[str, Any], source: str) -> None:
    """What a format-1 file must hold before a ledger is made for it."""
    if not isinstance(data.get("organisation"), str):
        raise InvalidInput([Problem(source, "organisation", "missing or not text")])
    for field in ("first_year", "last_year"):
        if type(data.get(field)) is not int:
            raise InvalidInput([Problem(source, field, "missing or not a year")])
    for n, e in enumerate(data["events"], start=1):
        if not isinstance(e, dict) or not isinstance(e.get("event"), str):
            raise InvalidInput([Problem(source, f"events.{n}", "is not an exported event")])


def _record_v1(ledger: Ledger, data: dict[str, Any], source: str,
               progress: Callable[[int, int], None] | None) -> None:
    for n, e in enumerate(data["events"], start=1):
        where = f"{source}#event {n}"
        kind = e.get("event")
        if kind == "document_recorded":
            mapping = dict(e["document"])
            mapping["mutations"] = [{k: v for k, v in m.items() if k != "outcomes"} for m in mapping["mutations"]]
            result = ledger.record_input(document_from_mapping(mapping, where))
            _check_outcomes(ledger, e["document"], result.document, where)
        elif kind == "document_adopted":
            ledger.adopt(e["document"], date.fromisoformat(e["date"]), e["decision"])
        elif kind == "document_withdrawn":
            ledger.withdraw(e["document"], date.fromisoformat(e["date"]), e["reason"])
        elif kind == "horizon_extended":
            ledger.extend(int(e["last_year"]))
        elif kind == "key_set":
            ledger.set_key_input(key_from_mapping({"key": e["key"]}, where))
        else:
            raise InvalidInput([Problem(source, f"events.{n}.event", f"{kind!r} is not an exported event")])
        if progress:
            progress(n, len(data["events"]))


def _check_outcomes(ledger: Ledger, mapping: dict, document: str, where: str) -> None:
    """An imported indexation must come out as it did in the original ledger."""
    for seq, m in enumerate(mapping["mutations"], start=1):
        if m.get("kind") != "indexatie":
            continue
        got = {line: decimal_text(cents) for line, cents in ledger.views.indexation_outcomes(document, seq).items()}
        if got != m.get("outcomes", got):
            raise InvalidInput([Problem(where, f"mutations.{seq}",
                                        "the indexation comes out differently than in the exported ledger")])
