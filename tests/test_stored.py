"""The fast decoder of stored documents reads exactly what the pydantic events read."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import DocumentRecorded
from ledger.application import Ledger
from ledger.mapper import event_from_stored
from ledger.parsing import document_from_mapping
from ledger.stored import decode_document
from ledger.synthetic import HistoryGenerator


def _as_data(event) -> dict:
    data = event.model_dump(mode="json") if hasattr(event, "model_dump") else msgspec.to_builtins(event)
    data.pop("class_version", None)
    for m in data["mutations"]:  # the events leave out a split that is not there
        for value in (m, *m["legs"]):
            if value.get("split", ...) is None:
                del value["split"]
    data["originator_id"] = str(event.originator_id)
    return json.loads(json.dumps(data, sort_keys=True))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), mutations=st.integers(1, 60))
def test_both_decoders_agree_on_random_histories(tmp_path_factory, seed, mutations):
    path = tmp_path_factory.mktemp("h") / "l.db"
    gen = HistoryGenerator(seed, range(2024, 2028))
    with Ledger.init(str(path), "T", 2024, 2027) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
        for i, doc in enumerate(gen.documents(mutations, sizes=(1, 15))):
            ledger.record_input(document_from_mapping(doc, "doc"))
            if i % 3 == 0:
                ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "Besluit")
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT originator_id, originator_version, state FROM stored_events WHERE topic = ?",
                            (DocumentRecorded.TOPIC,)).fetchall()
    assert rows
    for oid, version, state in rows:
        fast = decode_document(state, oid, version)
        slow = event_from_stored(DocumentRecorded.TOPIC, state, oid, version)
        assert _as_data(fast) == _as_data(slow)
        assert [m.legs[0].address for m in fast.mutations] == [m.legs[0].address for m in slow.mutations]


@pytest.mark.parametrize("change", [
    lambda d: d.update(extra="x"),                                   # an unknown field
    lambda d: d["mutations"][0].update(kind="schenking"),            # an unknown kind
    lambda d: d["mutations"][0]["legs"][0]["amounts_cents"].update({"2024": "12"}),  # an amount as text
    lambda d: d.update(class_version=2),                             # a version the fast decoder does not know
])
def test_the_fast_decoder_declines_what_it_does_not_know(change):
    state = {"actor": "a", "content_sha256": "0" * 64, "timestamp": "2024-01-01T00:00:00Z", "source": "",
             "header": {"id": "d", "kind": "begroting", "title": "T", "date": "2024-01-01", "decision": ""},
             "mutations": [{"seq": 1, "kind": "wijziging", "reason": "", "reference": "", "structural": False,
                            "corrects": None, "indexation": [],
                            "legs": [{"unit": "u", "line": "l", "amounts_cents": {"2024": 12}}]}]}
    assert decode_document(json.dumps(state).encode(), "0" * 32, 1).mutations[0].legs[0].amounts_cents == {2024: 12}
    change(state)
    with pytest.raises(ValueError):
        decode_document(json.dumps(state).encode(), "0" * 32, 1)
