"""`begroting reserves`: the verloopoverzicht reserves — opening balance, toevoegingen,
onttrekkingen (with the mutations that made them) and closing balance per reserve and year."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import RESERVE_BASE, Cli

AMOUNT = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
CONTRACT = {"unit", "line", "opening", "toevoegingen", "onttrekkingen", "closing"}

# A second reserve that nothing ever touches, and a toevoeging, an onttrekking and a
# structural onttrekking on the first (opening balance € 1.000, horizon 2025-2027).
SECOND_RESERVE = """
document: {id: chart2, kind: begrotingswijziging, title: Tweede reserve, date: 2025-01-15, status: adopted, decision: AB}
chart:
  - unit: u
    name: U
    lines:
      - {id: stil, name: Stille reserve, type: reserve, opening_balance: 250.50}
mutations:
  - {kind: wijziging, line: u/p, amounts: {2025: 1}, reason: r}
"""
ADD = """
document: {id: add, kind: begrotingswijziging, title: Toevoeging, date: 2025-02-01, status: adopted, decision: AB}
mutations:
  - {kind: reserve, line: u/res, amounts: {2025: 500}, reason: toevoeging uit het resultaat}
"""
TAKE = """
document: {id: take, kind: begrotingswijziging, title: Onttrekking, date: 2025-03-01, status: adopted, decision: AB}
mutations:
  - {kind: reserve, line: u/res, amounts: {2026: -300}, reason: eenmalige onttrekking}
"""
YEARLY = """
document: {id: yearly, kind: voorjaarsnota, title: Jaarlijks, date: 2025-04-01}
mutations:
  - {kind: reserve, line: u/res, amounts: {2025: -100}, structural: true, reason: jaarlijkse onttrekking}
"""


def shown(cents: int) -> str:
    """An amount as the terminal shows it (cli.render.money, whatever its notation)."""
    from cli.render import money

    return money(cents).plain


def euros(text: str) -> Decimal:
    return Decimal(text)


def row(rows: list[dict], address: str, year: int) -> dict:
    unit, line = address.split("/")
    return next(r for r in rows if r["unit"] == unit and r["line"] == line and r["year"] == year)


@pytest.fixture
def base(bg: Cli) -> Cli:
    bg("init", "--organisation", "O", "--years", "2025-2027")
    bg.record("base.yaml", RESERVE_BASE)
    return bg


@pytest.fixture
def moved(base: Cli) -> Cli:
    for name, text in (("chart2.yaml", SECOND_RESERVE), ("add.yaml", ADD), ("take.yaml", TAKE),
                       ("yearly.yaml", YEARLY)):
        base.record(name, text)
    return base


def _at_80(bg: Cli, *args: str) -> str:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["--ledger", str(bg.ledger), *args],
                                                     catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


# ---------------------------------------------------------------- the demo


def test_the_demo_withdraws_300000_from_the_reserve_vegetatiekarteringen(tmp_path, backend):
    from tests.conftest import FreshDatabase

    db = FreshDatabase() if backend == "postgresql" else None
    try:
        demo = Cli(db.url if db else tmp_path / "begroting-demo.db", tmp_path)
        demo("demo")
        rows = demo.json("reserves", "--year", "2024")
        assert [(r["unit"], r["line"]) for r in rows] == [("ninb", "reserve-vegetatiekarteringen")]
        r = rows[0]
        assert CONTRACT <= set(r) and r["year"] == 2024 and r["name"] == "Reserve vegetatiekarteringen"
        assert euros(r["onttrekkingen"]) == -300_000 and euros(r["toevoegingen"]) == 0
        assert euros(r["closing"]) == euros(r["opening"]) - 300_000
        assert [(d["mutation"], d["movement"], d["amount"], d["status"]) for d in r["documents"]] == [
            ("begroting-2024/18", "onttrekking", "-300000.00", "adopted")]
        # Later years open with 2024's closing balance, and nothing moves the reserve again.
        later = demo.json("reserves")
        assert [x["year"] for x in later] == [2024, 2025, 2026, 2027]
        assert all(x["opening"] == x["closing"] == r["closing"] for x in later[1:])
        out = _at_80(demo, "reserves", "--year", "2024")
        assert "ninb/reserve-vegetatiekarteringen" in out.replace("\n", "")
        assert "begroting-2024/18" in out and shown(-30000000) in out
        assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    finally:
        if db:
            db.drop()


# ---------------------------------------------------------------- balances run from year to year


def test_closing_of_one_year_is_opening_of_the_next(moved: Cli):
    rows = moved.json("reserves")
    res = [row(rows, "u/res", y) for y in (2025, 2026, 2027)]
    # 2025: 1000 + 500 − 100; 2026: − 300 − 100 (carried); 2027: − 100 (carried).
    assert [(r["opening"], r["toevoegingen"], r["onttrekkingen"], r["closing"]) for r in res] == [
        ("1000.00", "500.00", "-100.00", "1400.00"),
        ("1400.00", "0.00", "-400.00", "1000.00"),
        ("1000.00", "0.00", "-100.00", "900.00"),
    ]
    for before, after in zip(res, res[1:], strict=False):
        assert after["opening"] == before["closing"]
    for r in rows:
        assert euros(r["closing"]) == euros(r["opening"]) + euros(r["toevoegingen"]) + euros(r["onttrekkingen"])
    assert [(d["mutation"], d["movement"]) for d in res[0]["documents"]] == [
        ("add/1", "toevoeging"), ("yearly/1", "onttrekking")]
    assert [d["mutation"] for d in res[1]["documents"]] == ["take/1", "yearly/1"]


def test_structural_reserve_mutations_carry_into_later_years_and_extensions(moved: Cli):
    rows = moved.json("reserves", "--year", "2027")
    carried = [d for d in row(rows, "u/res", 2027)["documents"] if d["mutation"] == "yearly/1"]
    assert [(d["amount"], d["structural"], d["carried_from"]) for d in carried] == [("-100.00", True, 2025)]
    assert "carried_from" not in row(moved.json("reserves", "--year", "2025"), "u/res", 2025)["documents"][0]
    moved("extend", "--to", "2028")
    r = row(moved.json("reserves", "--year", "2028"), "u/res", 2028)
    assert (r["opening"], r["onttrekkingen"], r["closing"]) == ("900.00", "-100.00", "800.00")


def test_a_reserve_nothing_moves_keeps_its_opening_balance(moved: Cli):
    rows = [r for r in moved.json("reserves") if r["line"] == "stil"]
    assert [r["year"] for r in rows] == [2025, 2026, 2027]
    assert all(r["opening"] == r["closing"] == "250.50" and r["toevoegingen"] == r["onttrekkingen"] == "0.00"
               and r["documents"] == [] for r in rows)


# ---------------------------------------------------------------- points and filters


def test_as_of_before_a_document_leaves_it_out(moved: Cli):
    before_take = moved.json("reserves", "--as-of", "add")
    r = row(before_take, "u/res", 2026)
    assert (r["opening"], r["onttrekkingen"], r["closing"]) == ("1500.00", "0.00", "1500.00")
    assert not any(line["line"] == "stil" for line in moved.json("reserves", "--as-of", "basis"))
    r = row(moved.json("reserves", "--as-of", "basis"), "u/res", 2025)
    assert r["opening"] == r["closing"] == "1000.00" and r["documents"] == []


def test_adopted_only_leaves_out_a_proposed_onttrekking(moved: Cli):
    now = row(moved.json("reserves", "--year", "2027"), "u/res", 2027)
    assert [d["status"] for d in now["documents"]] == ["proposed"]
    adopted = row(moved.json("reserves", "--year", "2027", "--adopted-only"), "u/res", 2027)
    assert (adopted["opening"], adopted["closing"], adopted["documents"]) == ("1200.00", "1200.00", [])
    out = _at_80(moved, "reserves")
    assert "yearly/1 *" in out and "proposed" in out


def test_a_withdrawn_document_no_longer_moves_the_reserve(moved: Cli):
    moved("withdraw", "yearly", "--reason", "vervalt")
    r = row(moved.json("reserves", "--year", "2027"), "u/res", 2027)
    assert (r["opening"], r["closing"], r["documents"]) == ("1200.00", "1200.00", [])


def test_json_shape(moved: Cli):
    rows = moved.json("reserves", "--year", "2026")
    assert [(r["unit"], r["line"], r["year"]) for r in rows] == [("u", "res", 2026), ("u", "stil", 2026)]
    for r in rows:
        assert CONTRACT <= set(r)
        assert all(AMOUNT.match(r[k]) for k in CONTRACT - {"unit", "line"})
        for d in r["documents"]:
            assert {"document", "mutation", "movement", "amount", "status", "reason"} <= set(d)
            assert AMOUNT.match(d["amount"]) and d["movement"] in ("toevoeging", "onttrekking")
    assert moved.json("reserves", "--unit", "u", "--year", "2026") == rows


def test_bad_year_and_unit_are_refused(moved: Cli):
    result = moved("reserves", "--year", "2031", ok=False)
    assert result.exit_code == 1 and "outside the horizon 2025-2027" in result.stderr
    result = moved("reserves", "--unit", "uu", ok=False)
    assert result.exit_code == 1 and "no such unit" in result.stderr


def test_a_ledger_without_reserves(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    assert bg.json("reserves") == []
    assert "no reserve lines" in bg("reserves").stdout


def test_the_table_fits_80_columns_with_large_amounts(base: Cli):
    base.record("big.yaml", """
        document: {id: big-toevoeging-met-een-lange-naam, kind: begrotingswijziging, title: Groot, date: 2025-02-01}
        mutations:
          - {kind: reserve, line: u/res, amounts: {2025: 12345678.90}, reason: een grote toevoeging}
          - {kind: reserve, line: u/res, amounts: {2026: -2000000.55}, reason: een grote onttrekking}
        """)
    out = _at_80(base, "reserves")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in out
    for cents in (1234667890, -200000055, 1034667835):
        assert shown(cents) in out, shown(cents)
    # The narrow first column folds the mutation ids onto further lines; nothing is lost.
    folded = re.sub(r"\s", "", re.sub(r"-?€\s?-?[0-9.,]+", "", out))
    assert "big-toevoeging-met-een-lange-naam/1*eengrotetoevoeging2026" in folded
    assert "big-toevoeging-met-een-lange-naam/2*eengroteonttrekking2027" in folded


def test_explain_on_a_reserve_line_shows_its_balance_as_reserves_does(moved: Cli):
    """Issue 18 item 7: `explain` on a reserve line gives the balance (opening, toevoegingen,
    onttrekkingen, closing), not only the year's mutations — the same as `reserves`."""
    rows = moved.json("reserves")
    reserves = {(r["unit"], r["line"]) for r in rows}
    assert reserves
    for unit, line in sorted(reserves):
        for year in (2025, 2026, 2027):
            explained = moved.json("explain", f"{unit}/{line}", "--year", str(year))["reserve"]
            verloop = row(rows, f"{unit}/{line}", year)
            assert explained == {k: verloop[k] for k in ("opening", "toevoegingen", "onttrekkingen", "closing")}
    unit, line = sorted(reserves)[0]
    text = _at_80(moved, "explain", f"{unit}/{line}", "--year", "2026")
    assert "closing balance" in text and shown(euros_to_cents(row(rows, f"{unit}/{line}", 2026)["closing"])) in text
    # A line that is not a reserve has no balance.
    assert "reserve" not in moved.json("explain", "u/p", "--year", "2025")


def euros_to_cents(text: str) -> int:
    return int(Decimal(text) * 100)
