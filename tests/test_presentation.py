"""Output a person can read: every view of the demo at 80 columns without a name, id or
amount cut short, output to a pipe not cut at 80, and the adopted budget by decision date."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import Cli


@pytest.fixture(scope="module")
def demo(demo_ledger: Cli) -> Cli:
    return demo_ledger


def _at(width: str | None, bg: Cli, *args: str) -> str:
    runner = CliRunner(env={"COLUMNS": width} if width else {"COLUMNS": ""})
    result = runner.invoke(cli, ["--ledger", str(bg.ledger), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("args", [
    ("show",), ("show", "--year", "2024"), ("explain", "faunazaken/open-eind", "--year", "2024"),
    ("explain", "--total", "--year", "2024"), ("diff", "kaderbrief-2024", "begroting-2024"), ("history",),
    ("contributions", "--year", "2024"), ("explain", "--contribution", "Provincie Gelderland", "--year", "2024"),
])
def test_every_view_fits_80_columns_without_cutting_anything(demo, args):
    text = _at("80", demo, *args)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_show_at_80_columns_names_each_line_by_its_id_and_keeps_amounts_whole(demo):
    text = _at("80", demo, "show")
    assert "(amounts in €)" in text.splitlines()[0]
    row = next(line for line in text.splitlines() if line.strip().startswith("open-eind"))
    assert row.split()[1:] == ["53.916.908", "53.916.908", "53.916.908", "53.916.908"]
    wide = _at("160", demo, "show")  # room enough: names, ids and € signs
    assert "Open-eind-regeling afhandelen faunaschades (open-eind)" in wide and "€ 53.916.908" in wide


def test_diff_names_each_cause_once_and_puts_the_years_side_by_side(demo):
    text = _at("80", demo, "diff", "kaderbrief-2024", "begroting-2024")
    assert text.count("begroting-2024/1 correctie") == 1
    assert len(text.splitlines()) < 200  # it was 1,246 lines when every year repeated every cause


def test_output_to_a_pipe_is_not_cut_at_80_columns(demo):
    text = _at(None, demo, "show", "--year", "2024")
    assert any(len(line) > 80 for line in text.splitlines())
    assert "Personele kosten (inclusief capaciteit voor de IPSN) (personeel)" in text


def test_the_adopted_budget_on_a_decision_date(demo):
    def lasten(*args: str) -> D:
        return D(demo.json("show", *args)["totals"]["lasten"]["2024"])

    opening_only = lasten("--adopted-on", "2023-03-22")
    kaderbrief = lasten("--adopted-on", "2023-03-23")
    assert opening_only < kaderbrief == lasten("--as-of", "kaderbrief-2024")
    assert lasten("--adopted-on", "2023-07-01") == D("100825815")
    # The recording axis leaves out what was adopted later: the Kaderbrief was recorded
    # before its adoption, so as recorded at that point, adopted only, it is not there yet.
    assert lasten("--as-of", "kaderbrief-2024", "--adopted-only") == opening_only
    title = _at("120", demo, "show", "--adopted-on", "2023-03-23").splitlines()[0]
    assert "as adopted on 2023-03-23 (by decision date)" in title
    bad = demo("show", "--adopted-on", "23-03-2023", ok=False)
    assert bad.exit_code == 1 and "--adopted-on: '23-03-2023' is not a date" in bad.stderr


def test_diff_filters_by_year_unit_and_line(demo):
    """Issue 18 item 1: --year, --unit and --line narrow `diff` (and a typo is refused)."""
    import json

    every = json.loads(_at(None, demo, "diff", "kaderbrief-2024", "begroting-2024", "--json"))["changes"]
    ninb = json.loads(_at(None, demo, "diff", "kaderbrief-2024", "begroting-2024", "--unit", "ninb", "--year", "2025",
                          "--json"))["changes"]
    assert ninb == [c for c in every if c["unit"] == "ninb" and c["year"] == 2025] and ninb
    line = json.loads(_at(None, demo, "diff", "kaderbrief-2024", "begroting-2024", "--line", "ninb/personeel",
                          "--json"))["changes"]
    assert {(c["unit"], c["line"]) for c in line} == {("ninb", "personeel")} and len(line) == 4
    wrong = CliRunner().invoke(cli, ["--ledger", str(demo.ledger), "diff", "kaderbrief-2024", "begroting-2024",
                                     "--line", "ninb/nope"])
    assert wrong.exit_code == 1 and "closest: ninb/personeel" in wrong.output


def test_show_one_line_with_its_totals(demo):
    import json

    data = json.loads(_at(None, demo, "show", "--line", "ninb/personeel", "--json"))
    assert [(x["unit"], x["line"]) for x in data["lines"]] == [("ninb", "personeel")]
    assert data["totals"]["lasten"] == data["lines"][0]["years"] and data["totals"]["baten"]["2024"] == "0.00"


def test_diff_shows_what_each_mutation_moved_on_the_line_all_legs_summed(demo):
    """begroting-2024/9 moves € 55.000 from gbo/uitvoering to gbo/uitvoering (two legs, one
    line): on that line it moved nothing, not the amount of whichever leg came last."""
    text = _at("100", demo, "diff", "kaderbrief-2024", "begroting-2024", "--unit", "gbo")
    (line,) = [x for x in text.splitlines() if "begroting-2024/9" in x]
    assert "€ 0 a year, 2024–2027" in line and "55.000" not in line
