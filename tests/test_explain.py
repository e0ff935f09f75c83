"""Explaining figures: the audit trail of a line, a unit and the total; time travel by
document, position and date; diff; the waterfall in text and SVG; bad addresses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.test_core import VOORJAARSNOTA


@pytest.fixture
def cycle(kaderbrief):
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    return kaderbrief


def test_explain_a_line_lists_every_mutation_with_running_totals(cycle):
    e = cycle.json("explain", "alpha/personeel", "--year", "2026")
    assert e["figure"] == "alpha/personeel" and e["year"] == 2026 and e["amount"] == "940000.00"
    steps = e["steps"]
    assert [(s["mutation"], s["kind"], s["amount"], s["running_total"]) for s in steps] == [
        ("kb-2025/1", "wijziging", "1000000.00", "1000000.00"),
        ("vjn-2025/1", "correctie", "20000.00", "1020000.00"),
        ("vjn-2025/2", "verschuiving", "-80000.00", "940000.00"),
    ]
    # The structural mutations of 2025 carried into 2026, and say so.
    assert all(s["carried_from"] == 2025 for s in steps)
    assert steps[0]["document_kind"] == "kaderbrief" and steps[0]["status"] == "adopted"
    assert steps[1]["status"] == "proposed" and steps[1]["corrects"] == "kb-2025/1"
    assert steps[2]["other_legs"] == [{"line": "beta/personeel", "amounts": {"2025": "80000.00"}}]
    assert steps[0]["reference"] == "§1" and steps[0]["reason"] == "Basis formatie"
    assert steps[0]["title"] == "Kaderbrief 2025" and steps[0]["recorded_at"] and steps[0]["date"] == "2024-03-21"
    # The last running total is the figure in show.
    assert cycle.line(cycle.json("show"), "alpha/personeel")["2026"] == steps[-1]["running_total"]

    text = cycle("explain", "alpha/personeel", "--year", "2026").stdout
    assert "corrects kb-2025/1" in text and "carried in from 2025" in text and "other legs: beta/personeel" in text


def test_explain_running_totals_end_at_the_show_figure_for_every_line_and_year(cycle):
    show = cycle.json("show")
    for line in show["lines"]:
        for year, amount in line["years"].items():
            e = cycle.json("explain", f"{line['unit']}/{line['line']}", "--year", year)
            assert e["amount"] == amount
            assert (e["steps"][-1]["running_total"] if e["steps"] else "0.00") == amount
            assert sum(Decimal(s["amount"]) for s in e["steps"]) == Decimal(amount)


def test_explain_a_kasschuif_in_the_year_it_moves_money_to(cycle):
    e = cycle.json("explain", "alpha/uitvoering", "--year", "2026")
    assert [(s["kind"], s["amount"]) for s in e["steps"]] == [("wijziging", "250015.00"), ("kasschuif", "50000.00")]
    assert e["steps"][0]["carried_from"] == 2025 and "carried_from" not in e["steps"][1]


def test_explain_a_unit_and_the_total_as_a_tree(cycle):
    unit = cycle.json("explain", "beta", "--year", "2025")
    assert unit["amount"] == "480000.00" and unit["baten"] == "300000.00"
    children = {c["figure"]: c for c in unit["children"]}
    assert set(children) == {"beta/personeel", "beta/subsidie", "beta/reserve"}
    assert [s["amount"] for s in children["beta/personeel"]["steps"]] == ["400000.00", "80000.00"]
    assert unit["steps"][-1]["running_total"] == unit["amount"]

    total = cycle.json("explain", "--total", "--year", "2025")
    assert total["amount"] == "1620015.00" and total["baten"] == "300000.00" and total["saldo"] == "-1320015.00"
    assert [c["figure"] for c in total["children"]] == ["alpha", "beta"]
    assert [c["amount"] for c in total["children"]] == ["1140015.00", "480000.00"]
    assert total["children"][0]["children"][0]["figure"] == "alpha/personeel"
    # The total lists its own steps; its parts only their amounts and how many steps made them.
    assert total["steps"][-1]["running_total"] == total["amount"]
    beta = total["children"][1]
    assert beta["steps"] == [] and beta["brought_forward"] == {"mutations": len(unit["steps"]), "amount": "480000.00"}

    tree = cycle("explain", "--total", "--year", "2025").stdout
    assert "Eenheid Alpha: € 1.140.015" in tree and "[3 steps]" in tree and "saldo € -1.320.015" in tree


def test_explain_by_display_name_case_and_accent_insensitive(cycle):
    e = cycle.json("explain", "EENHEID ALPHA/personele KOSTEN", "--year", "2025")
    assert e["figure"] == "alpha/personeel"
    assert cycle.json("explain", "Eenheid Beta", "--year", "2025")["figure"] == "beta"


@pytest.mark.parametrize("address, message", [
    ("alpha/nope", "names no unit or line; closest: alpha"),
    ("Personele kosten", "is ambiguous: alpha/personeel, beta/personeel"),
    ("gamma", "names no unit or line"),
])
def test_unknown_or_ambiguous_addresses_are_refused(cycle, address, message):
    result = cycle("explain", address, "--year", "2025", ok=False)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_as_of_a_document_a_position_and_a_date(cycle):
    kb = cycle.json("explain", "alpha/personeel", "--year", "2025", "--as-of", "kb-2025")
    assert kb["amount"] == "1000000.00" and len(kb["steps"]) == 1
    position = kb["position"]
    assert cycle.json("explain", "alpha/personeel", "--year", "2025", "--as-of", str(position))["amount"] == "1000000.00"
    assert cycle.line(cycle.json("show", "--as-of", "kb-2025"), "alpha/personeel")["2025"] == "1000000.00"
    # A timestamp: what had been recorded by then.
    recorded = next(r["recorded_at"] for r in cycle.json("history") if r["document"] == "kb-2025")
    assert cycle.line(cycle.json("show", "--as-of", recorded), "alpha/personeel")["2025"] == "1000000.00"
    # A date covers the whole (UTC) day; before the ledger existed there is nothing.
    today = date.today().isoformat()
    assert cycle.line(cycle.json("show", "--as-of", today), "alpha/personeel")["2025"] == "940000.00"
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert "nothing was recorded by then" in cycle("show", "--as-of", yesterday, ok=False).stderr
    assert cycle("show", "--as-of", "no-such-doc", ok=False).exit_code == 1
    # --adopted-only composes with --as-of: at the Voorjaarsnota, only the Kaderbrief was adopted.
    assert cycle.line(cycle.json("show", "--as-of", "vjn-2025", "--adopted-only"), "alpha/personeel")["2025"] == "1000000.00"


def test_as_of_answers_are_computed_from_the_events_not_from_current_state(cycle):
    cycle("adopt", "vjn-2025", "--date", "2025-06-01", "--decision", "AB")
    # At vjn-2025's own position it was still a proposal.
    e = cycle.json("explain", "alpha/personeel", "--year", "2025", "--as-of", "vjn-2025")
    assert [s["status"] for s in e["steps"]] == ["adopted", "proposed", "proposed"]
    assert cycle.json("show", "--as-of", "vjn-2025", "--adopted-only")["totals"]["lasten"]["2025"] != \
        cycle.json("show", "--adopted-only")["totals"]["lasten"]["2025"]


def test_diff_between_two_documents_lists_changes_and_their_causes(cycle):
    d = cycle.json("diff", "kb-2025", "vjn-2025")
    changes = {(c["unit"], c["line"], c["year"]): c for c in d["changes"]}
    c = changes[("alpha", "personeel", 2025)]
    assert (c["before"], c["after"], c["change"]) == ("1000000.00", "940000.00", "-60000.00")
    assert [(x["mutation"], x["amount"]) for x in c["causes"]] == [("vjn-2025/1", "20000.00"), ("vjn-2025/2", "-80000.00")]
    assert ("beta", "subsidie", 2025) not in changes  # unchanged lines hidden
    assert ("beta", "subsidie", 2025) in {(c["unit"], c["line"], c["year"]) for c in cycle.json("diff", "kb-2025", "vjn-2025", "--all")["changes"]}
    # Reversed, the same changes with the opposite sign.
    back = {(c["unit"], c["line"], c["year"]): c for c in cycle.json("diff", "vjn-2025", "kb-2025")["changes"]}
    assert back[("alpha", "personeel", 2025)]["change"] == "60000.00"
    assert "From kb-2025" in cycle("diff", "kb-2025", "vjn-2025").stdout


def test_waterfall_in_the_terminal_and_as_svg(cycle, tmp_path):
    svg = tmp_path / "w.svg"
    out = cycle("explain", "alpha/personeel", "--year", "2025", "--waterfall", "--svg", str(svg)).stdout
    assert "Waterfall" in out and "kb-2025" in out and "vjn-2025" in out and "= total" in out
    assert "█" in out
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "kb-2025" in svg.read_text()


def test_a_long_trail_lists_the_latest_steps_and_brings_the_rest_forward(kaderbrief):
    bg = kaderbrief
    mutations = "".join(f"  - {{kind: wijziging, line: alpha/personeel, amounts: {{2025: {n}}}}}\n" for n in range(1, 61))
    bg.record("many.yaml", "document: {id: many, kind: begrotingswijziging, title: M, date: 2025-02-01}\nmutations:\n" + mutations)
    e = bg.json("explain", "alpha/personeel", "--year", "2025")
    assert len(e["steps"]) == 50 and e["brought_forward"] == {"mutations": 11, "amount": "1000055.00"}
    assert e["steps"][0]["mutation"] == "many/11" and e["steps"][-1]["running_total"] == e["amount"] == "1001830.00"
    full = bg.json("explain", "alpha/personeel", "--year", "2025", "--all")
    assert len(full["steps"]) == 61 and "brought_forward" not in full
    assert full["steps"][-1]["running_total"] == e["amount"]
    text = bg("explain", "alpha/personeel", "--year", "2025").stdout
    assert "11 earlier steps" in text and "brought forward" in text
    tree = bg("explain", "alpha", "--year", "2025").stdout
    assert "Personele kosten: € 1.001.830  [61 steps]" in tree
