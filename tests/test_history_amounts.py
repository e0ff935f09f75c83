"""The history shows what a mutation names, leg by leg and year by year: a shift is the
amounts it moves, not "€ 0", and ``--json`` carries the legs (issue 18, item 5)."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    bg = Cli(folder / "demo.db", folder)
    bg("demo")
    return bg


def test_a_shift_shows_the_amount_each_leg_moves(demo):
    text = demo("history", "--document", "begroting-2024").stdout
    block = text[text.index("begroting-2024/5"):text.index("begroting-2024/6")]
    assert "interne-organisatie/personeel" in block and "ninb/personeel" in block
    assert "€ -132.000" in block and "€ 132.000" in block
    assert "€ 0" not in block


def test_history_json_has_every_leg_with_its_amounts_per_year(demo):
    rows = {f"{r['document']}/{r['seq']}": r for r in demo.json("history", "--document", "begroting-2024")}
    shift = rows["begroting-2024/5"]
    assert shift["amount"] == "0.00"
    assert shift["legs"] == [
        {"line": "interne-organisatie/personeel", "amounts": {"2024": "-132000.00"}},
        {"line": "ninb/personeel", "amounts": {"2024": "132000.00"}},
    ]
    assert all(r["legs"] for r in rows.values() if r["kind"] != "document_adopted")


def test_a_mutation_over_several_years_shows_each_year(demo, tmp_path):
    source = demo.write("vjn.yaml", """
        document:
          id: vjn-2024
          kind: voorjaarsnota
          title: Voorjaarsnota 2024
          date: 2024-04-01
        mutations:
          - kind: wijziging
            reason: Tijdelijke inhuur
            line: ninb/personeel
            amounts: {2024: 1000.00, 2025: 2500.50}
    """)
    demo("record", source)
    text = demo("history", "--document", "vjn-2024").stdout
    assert "2024" in text and "€ 1.000" in text
    assert "2025" in text and "€ 2.500,50" in text
