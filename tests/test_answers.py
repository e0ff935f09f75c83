"""Typed answers and their one JSON serializer: what a query returns is what `--json` prints,
and any other front end gets the same text from ``ledger.answers``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ledger.answers import dumps, plain
from ledger.application import Ledger
from ledger.errors import LedgerError
from projections.answers import AS_TEXT, HIDDEN, OMIT_NONE


@dataclass(frozen=True)
class Sample:
    year: int = field(metadata=AS_TEXT)
    seq: int = field(metadata=HIDDEN)
    start: int = field(metadata={"json": "from"})
    amount_cents: int
    years_cents: dict[int, int]
    per_unit_cents: dict[str, dict[int, int]]
    missing_cents: int | None
    note: str | None = field(default=None, metadata=OMIT_NONE)


def test_a_cents_field_becomes_decimal_euro_text_under_its_name_without_the_suffix():
    answer = Sample(year=2025, seq=3, start=7, amount_cents=-410015, years_cents={2025: 5, 2026: 0},
                    per_unit_cents={"alpha": {2025: 100}}, missing_cents=None)
    assert plain(answer) == {
        "year": "2025", "from": 7, "amount": "-4100.15", "years": {"2025": "0.05", "2026": "0.00"},
        "per_unit": {"alpha": {"2025": "1.00"}}, "missing": None,
    }
    # A key that says when it is absent is left out; given, it is there.
    assert plain(Sample(2025, 1, 1, 0, {}, {}, None, note="x"))["note"] == "x"


def test_plain_data_keeps_its_keys_as_they_are():
    # Rows of `begroting sql` are not answers: a column named amount_cents stays a number.
    assert plain([{"amount_cents": 5, "year": 2025}]) == [{"amount_cents": 5, "year": 2025}]
    assert dumps({"events": 12}, compact=True) == '{"events": 12}'


def test_every_answer_prints_as_the_cli_prints_it(kaderbrief):
    # The same question, asked of the read models and of the CLI, gives the same JSON text.
    with Ledger.open(str(kaderbrief.ledger)) as ledger:
        views = ledger.views
        answers = {
            ("show",): views.show(),
            ("history",): views.history(),
            ("document", "kb-2025"): views.document("kb-2025"),
            ("explain", "alpha", "--year", "2025"): views.explain(views.resolve_figure("alpha"), 2025, limit=50),
            ("diff", "pos:1", "pos:3"): views.diff(1, 3),
        }
        for args, answer in answers.items():
            assert kaderbrief(*args, "--json").stdout == dumps(answer) + "\n", args


def test_a_year_outside_the_horizon_is_refused_by_the_read_models(kaderbrief):
    with Ledger.open(str(kaderbrief.ledger)) as ledger:
        ledger.views.check_years([2025, 2027])
        with pytest.raises(LedgerError, match="--year 2031 is outside the horizon 2025-2027"):
            ledger.views.check_years([2025, 2031])
