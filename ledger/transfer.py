"""A ledger's history as plain data, and back: the JSON export carries every document as the
mapping a YAML file parses into, with its lifecycle, keys and horizon in ledger order, so
that importing it into an empty ledger records the same history through the same checks."""

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
)
from ledger.application import Ledger
from ledger.errors import InvalidInput, LedgerError, Problem
from ledger.keys import key_from_mapping
from ledger.money import decimal_text
from ledger.parsing import document_from_mapping

FORMAT = "begroting-history/1"


def stored_events(ledger: Ledger, batch: int = 500) -> Iterator[tuple[int, Event]]:
    start = 1
    while True:
        notifications = ledger.app.recorder.select_notifications(start, batch)
        for n in notifications:
            yield n.id, ledger.app.mapper.to_domain_event(n)
        if len(notifications) < batch:
            return
        start = notifications[-1].id + 1


def _amounts(amounts_cents: dict[int, int]) -> dict[str, str]:
    return {str(y): decimal_text(a) for y, a in sorted(amounts_cents.items())}


def _mutation(m: Mutation) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind, "reason": m.reason, "reference": m.reference, "structural": m.structural}
    if m.kind == "indexatie":
        out["year"] = next(iter(m.legs[0].amounts_cents)) if m.legs else None
        out["rates"] = {i.cost: i.rate_percent for i in m.indexation}
        out["lines"] = [f"{i.unit}/{i.line}" for i in m.indexation]
        out["outcomes"] = {f"{i.unit}/{i.line}": decimal_text(i.outcome_cents) for i in m.indexation}
        return out
    if m.corrects:
        out["corrects"] = str(m.corrects)
    if m.kind == "verschuiving" or len(m.legs) > 1:
        out["legs"] = [{"line": leg.address, "amounts": _amounts(leg.amounts_cents)} for leg in m.legs]
    else:
        out["line"], out["amounts"] = m.legs[0].address, _amounts(m.legs[0].amounts_cents)
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
        elif isinstance(event, (DocumentAdopted, DocumentWithdrawn)):
            adopted = isinstance(event, DocumentAdopted)
            events.append({"position": position, "event": "document_adopted" if adopted else "document_withdrawn",
                           "document": event.document, "date": event.date.isoformat(),
                           ("decision" if adopted else "reason"): event.decision if adopted else event.reason})
        elif isinstance(event, HorizonExtended):
            events.append({"position": position, "event": "horizon_extended", "last_year": event.last_year})
        elif isinstance(event, KeySet):
            events.append({"position": position, "event": "key_set", "key": {
                "id": event.key, "from": event.from_year,
                "participants": [{"name": p.name, "percentage": p.percentage} for p in event.participants]}})
    if opened is None:
        raise LedgerError("the ledger holds no LedgerOpened event")
    return {"format": FORMAT, "organisation": opened.organisation,
            "first_year": opened.first_year, "last_year": opened.last_year, "events": events}


def import_history(path: str, data: dict[str, Any], source: str,
                   progress: Callable[[int, int], None] | None = None) -> Ledger:
    """Create a ledger at ``path`` and record an exported history into it."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("events"), list):
        raise InvalidInput([Problem(source, "format", f"not a begroting export (want format {FORMAT!r})")])
    ledger = Ledger.init(path, data["organisation"], int(data["first_year"]), int(data["last_year"]))
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
    return ledger


def _check_outcomes(ledger: Ledger, mapping: dict, document: str, where: str) -> None:
    """An imported indexation must come out as it did in the original ledger."""
    for seq, m in enumerate(mapping["mutations"], start=1):
        if m.get("kind") != "indexatie":
            continue
        row = ledger.conn.execute("SELECT indexation FROM mutations WHERE document=? AND seq=?", (document, seq)).fetchone()
        got = {f"{i['unit']}/{i['line']}": decimal_text(i["outcome_cents"]) for i in json.loads(row[0] or "[]")}
        if got != m.get("outcomes", got):
            raise InvalidInput([Problem(where, f"mutations.{seq}", "the indexation comes out differently than in the exported ledger")])
