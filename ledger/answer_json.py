"""Answers as JSON: one serializer for every typed answer of the read models
(``projections.answers``) and of the ledger (``ledger.answers``), so the CLI's ``--json`` and any
other front end say the same thing. A field named ``*_cents`` becomes the same key without the
suffix, its amount (or each amount in it) written as decimal euro text: 410015 → "4100.15".

Standard library only (and ``ledger.money``): a question's ``--json`` loads no answer types
beyond those it answers with."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any, Iterable, Mapping

from ledger.money import decimal_text


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: records (dataclasses and named tuples) become objects
    with their fields in order."""
    if is_dataclass(value) and not isinstance(value, type):
        return _record((f.name, getattr(value, f.name), f.metadata) for f in fields(value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return _record((name, getattr(value, name), {}) for name in value._fields)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _record(items: Iterable[tuple[str, Any, Mapping[str, Any]]]) -> dict[str, Any]:
    """A record's (name, value, metadata) fields as a JSON object (see ``projections.answers``
    for what the metadata says)."""
    out: dict[str, Any] = {}
    for name, item, metadata in items:
        if metadata.get("hidden") or (item is None and metadata.get("omit_none")):
            continue
        name = metadata.get("json", name)
        if name.endswith("_cents"):
            out[name[: -len("_cents")]] = _money(item)
        elif metadata.get("as_text"):
            out[name] = [str(x) for x in item] if isinstance(item, (list, tuple)) else str(item)
        else:
            out[name] = plain(item)
    return out


def _money(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _money(v) for k, v in value.items()}
    return decimal_text(value)


def dumps(value: Any, *, compact: bool = False) -> str:
    """The JSON text of an answer: indented, or on one line."""
    return json.dumps(plain(value), ensure_ascii=False, indent=None if compact else 2)
