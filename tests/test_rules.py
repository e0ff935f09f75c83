"""Budget rules as events: indexation, the distribution key, horizon extension and the
structural balance — exact to the cent, recorded once, explained."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.distribution import SCALE, largest_remainder, units_of

INDEX = """
document:
  id: idx-2025
  kind: begrotingswijziging
  title: Indexatie 2025
  date: 2025-06-01
mutations:
  - kind: indexatie
    year: 2025
    rates: {personeel: 5.2, materieel: 3.9}
    lines: [alpha/personeel, alpha/uitvoering]
    structural: true
    reason: Indexatie CEP 2023
    reference: "§0.4.1"
"""

KEY = """
key:
  id: {id}
  from: {year}
  participants:
    - {{name: Provincie Groningen, percentage: 7.1234}}
    - {{name: Provincie Fryslân, percentage: 8.3333}}
    - {{name: Provincie Drenthe, percentage: 6.0001}}
    - {{name: Provincie Overijssel, percentage: 8.2}}
    - {{name: Provincie Flevoland, percentage: 5.4321}}
    - {{name: Provincie Gelderland, percentage: 11.1111}}
    - {{name: Provincie Utrecht, percentage: {utrecht}}}
    - {{name: Provincie Noord-Holland, percentage: 10.0223}}
    - {{name: Provincie Zuid-Holland, percentage: 11.9999}}
    - {{name: Provincie Zeeland, percentage: 5.0002}}
    - {{name: Provincie Noord-Brabant, percentage: 10.3333}}
    - {{name: Provincie Limburg, percentage: {limburg}}}
"""


def key(bg, key_id="ipo-2025", year=2025, utrecht="7.7777", limburg="8.6666", ok=True):
    return bg("key", "set", bg.write(f"{key_id}.yaml", KEY.format(id=key_id, year=year, utrecht=utrecht, limburg=limburg)), ok=ok)


# ---------------------------------------------------------------- indexation


def test_indexation_applies_the_seed_rates_to_the_cent_rounding_half_away_from_zero(kaderbrief):
    bg = kaderbrief
    # Make alpha/uitvoering 200.015 in 2025, so 3,9 % is 7.800,585: exactly half a cent.
    bg.record("shift.yaml", """
        document: {id: ks, kind: begrotingswijziging, title: Kasschuif, date: 2025-01-01}
        mutations: [{kind: kasschuif, line: alpha/uitvoering, amounts: {2025: -50000, 2026: 50000}}]
        """)
    bg.record("idx.yaml", INDEX)
    show = bg.json("show")
    assert bg.line(show, "alpha/personeel")["2025"] == "1052000.00"  # 5,2 % of 1.000.000
    assert bg.line(show, "alpha/uitvoering")["2025"] == "207815.59"  # 200.015 + 7.800,585 → 7.800,59
    assert bg.line(show, "alpha/uitvoering")["2027"] == "307800.59"  # structural: carried, not recomputed

    e = bg.json("explain", "alpha/uitvoering", "--year", "2025")
    step = e["steps"][-1]
    assert step["kind"] == "indexatie"
    assert step["indexation"] == {"base": "200015.00", "rate_percent": "3.9", "outcome": "7800.59"}
    assert "3,9 % of € 200.015 = € 7.800,59" in bg("explain", "alpha/uitvoering", "--year", "2025").stdout


def test_a_negative_base_rounds_half_away_from_zero_too(bg):
    bg("init", "--organisation", "T", "--years", "2025-2025")
    bg.record("a.yaml", """
        document: {id: a, kind: opening, title: A, date: 2025-01-01}
        chart: [{unit: u, name: U, lines: [{id: x, name: X, type: lasten, cost: materieel}]}]
        mutations: [{kind: wijziging, line: u/x, amounts: {2025: -200015}}]
        """)
    bg.record("i.yaml", """
        document: {id: i, kind: begrotingswijziging, title: I, date: 2025-01-01}
        mutations: [{kind: indexatie, year: 2025, rates: {materieel: 3.9}}]
        """)
    assert bg.line(bg.json("show"), "u/x")["2025"] == "-207815.59"


def test_indexation_is_recorded_once_and_never_recomputed_on_replay(kaderbrief):
    bg = kaderbrief
    bg.record("idx.yaml", INDEX)
    before = bg.line(bg.json("show"), "alpha/personeel")["2025"]
    # A later change to the base does not change the recorded indexation, not even after rebuild.
    bg.record("later.yaml", """
        document: {id: later, kind: najaarsnota, title: Later, date: 2025-10-01}
        mutations: [{kind: wijziging, line: alpha/personeel, amounts: {2025: 100000}}]
        """)
    bg("rebuild")
    e = bg.json("explain", "alpha/personeel", "--year", "2025")
    assert [s["amount"] for s in e["steps"]] == ["1000000.00", "52000.00", "100000.00"]
    assert Decimal(bg.line(bg.json("show"), "alpha/personeel")["2025"]) == Decimal(before) + 100000


def test_dry_run_lists_the_lines_left_out_of_indexation(kaderbrief):
    out = kaderbrief.record("idx.yaml", INDEX.replace("rates: {personeel: 5.2, materieel: 3.9}", "rates: {personeel: 5.2}")
                            .replace("    lines: [alpha/personeel, alpha/uitvoering]\n", ""), "--dry-run").stdout
    assert "Not indexed:" in out and "alpha/uitvoering (no rate for cost kind materieel)" in out
    assert "beta/personeel" not in out.split("Not indexed:")[1].split("\n")[0]  # personeel has a rate


def test_indexation_base_can_leave_out_proposals(kaderbrief):
    bg = kaderbrief
    bg.record("prop.yaml", """
        document: {id: prop, kind: begrotingswijziging, title: Voorstel, date: 2025-01-01}
        mutations: [{kind: wijziging, line: alpha/personeel, amounts: {2025: 500000}}]
        """)
    with_proposals = bg.json("record", bg.write("i1.yaml", INDEX), "--dry-run")[0]
    adopted_only = bg.json("record", bg.write("i2.yaml", INDEX), "--dry-run", "--adopted-only")[0]
    change = lambda r: next(Decimal(c["after"]) - Decimal(c["before"]) for c in r["changes"]  # noqa: E731
                            if c["line"] == "personeel" and c["year"] == "2025")
    assert change(with_proposals) == Decimal("78000.00")  # 5,2 % of 1.500.000
    assert change(adopted_only) == Decimal("52000.00")  # 5,2 % of 1.000.000


# ---------------------------------------------------------------- distribution key


def test_contributions_split_te_dekken_exactly_with_largest_remainder(kaderbrief):
    bg = kaderbrief
    key(bg)
    c = bg.json("contributions", "--year", "2025")
    # te dekken 2025 = lasten 1.650.015 − baten 300.000
    assert c["total"] == "1350015.00" and c["key"] == "ipo-2025" and len(c["participants"]) == 12
    amounts = [Decimal(p["amount"]) for p in c["participants"]]
    assert sum(amounts) == Decimal(c["total"])
    exact = [Decimal(c["total"]) * Decimal(p["percentage"]) / 100 for p in c["participants"]]
    assert all(abs(a - x) < Decimal("0.01") for a, x in zip(amounts, exact, strict=True))
    # Without the largest-remainder step the rounded-down shares would not add up.
    floors = [(x * 100).to_integral_value(rounding="ROUND_DOWN") / 100 for x in exact]
    assert sum(floors) != Decimal(c["total"])
    assert c["participants"][1]["name"] == "Provincie Fryslân" and c["participants"][1]["percentage"] == "8.3333"


def test_explain_a_participants_contribution(kaderbrief):
    bg = kaderbrief
    key(bg)
    e = bg.json("explain", "--contribution", "provincie utrecht", "--year", "2025")
    assert e["key"] == "ipo-2025" and e["total"] == "1350015.00"
    p = e["participant"]
    assert p["name"] == "Provincie Utrecht" and p["percentage"] == "7.7777"
    assert Decimal(p["amount"]) - Decimal(p["rounding"]) == (Decimal(p["exact"]) * 100).to_integral_value("ROUND_DOWN") / 100
    text = bg("explain", "--contribution", "Provincie Utrecht", "--year", "2025").stdout
    assert "Key in force" in text and "ipo-2025" in text and "Rounding adjustment" in text
    result = bg("explain", "--contribution", "Provincie Atlantis", "--year", "2025", ok=False)
    assert result.exit_code == 1 and "is not a participant of key ipo-2025" in result.stderr


def test_a_new_key_from_2026_leaves_2025_unchanged(kaderbrief):
    bg = kaderbrief
    key(bg)
    before_2025 = bg.json("contributions", "--year", "2025")
    key(bg, "ipo-2026", 2026, utrecht="8.7777", limburg="7.6666")
    assert bg.json("contributions", "--year", "2025") == before_2025
    c2026 = bg.json("contributions", "--year", "2026")
    assert c2026["key"] == "ipo-2026"
    assert next(p for p in c2026["participants"] if p["name"] == "Provincie Utrecht")["percentage"] == "8.7777"
    assert bg.json("contributions", "--year", "2027")["key"] == "ipo-2026"
    # Setting the same key again changes nothing; reusing its id for other contents is refused.
    assert "already set" in key(bg, "ipo-2026", 2026, utrecht="8.7777", limburg="7.6666").stdout
    assert key(bg, "ipo-2026", 2027, utrecht="8.7777", limburg="7.6666", ok=False).exit_code == 1


@settings(max_examples=300, deadline=None)
@given(total=st.integers(-10**13, 10**13),
       weights=st.lists(st.integers(0, SCALE), min_size=1, max_size=12).map(
           lambda ws: ws[:-1] + [SCALE - sum(ws[:-1])] if sum(ws[:-1]) <= SCALE else [SCALE]))
def test_largest_remainder_shares_always_sum_exactly_and_stay_within_a_cent(total, weights):
    shares, adjustments = largest_remainder(total, weights)
    assert sum(shares) == total
    for share, weight, adj in zip(shares, weights, adjustments, strict=True):
        assert abs(share * SCALE - total * weight) < SCALE  # less than one cent from the exact share
        assert adj in (0, 1, -1)


def test_largest_remainder_ties_go_to_the_larger_percentage_then_key_order():
    # 3 cents over three equal thirds-ish: exact shares 1/3 each; the remainders tie.
    shares, _ = largest_remainder(100, [units_of("33.3333"), units_of("33.3333"), units_of("33.3334")])
    assert shares == [33, 33, 34]
    shares, _ = largest_remainder(2, [units_of("25"), units_of("25"), units_of("25"), units_of("25")])
    assert shares == [1, 1, 0, 0]


@pytest.mark.parametrize("change, message", [
    ({"utrecht": "7.7776"}, "the percentages sum to 99.9999, not exactly 100"),
    ({"utrecht": "-7.7777", "limburg": "24.2220"}, "is negative"),
    ({"utrecht": "7.77771", "limburg": "8.66659"}, "has more than 4 decimals"),
    ({"utrecht": "zeven"}, "is not a percentage"),
])
def test_bad_keys_are_refused_and_nothing_is_recorded(kaderbrief, change, message):
    before = kaderbrief.event_count()
    result = key(kaderbrief, **change, ok=False)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert kaderbrief.event_count() == before


def test_the_illustrative_key_for_the_twelve_provinces_is_valid(kaderbrief):
    path = Path(__file__).parent.parent / "docs" / "verdeelsleutel-ipo-2024.yaml"
    assert "ILLUSTRATIEF" in path.read_text()
    kaderbrief("key", "set", str(path))
    assert len(kaderbrief.json("contributions", "--year", "2025")["participants"]) == 12


# ---------------------------------------------------------------- horizon and balance


def test_extending_the_horizon_carries_structural_amounts_only(kaderbrief):
    bg = kaderbrief
    bg("extend", "--to", "2029")
    show = bg.json("show")
    assert show["years"] == ["2025", "2026", "2027", "2028", "2029"]
    assert bg.line(show, "alpha/personeel")["2029"] == "1000000.00"
    assert bg.line(show, "alpha/uitvoering")["2028"] == "300000.00"  # the latest named year's amount
    assert bg.line(show, "beta/personeel")["2028"] == "0.00"  # incidental: not carried
    e = bg.json("explain", "alpha/uitvoering", "--year", "2028")
    assert [(s["mutation"], s["carried_from"]) for s in e["steps"]] == [("kb-2025/2", 2027)]
    # Structural mutations recorded after the extension reach the new years too.
    bg.record("later.yaml", """
        document: {id: later, kind: begrotingswijziging, title: L, date: 2025-09-01}
        mutations: [{kind: wijziging, line: beta/subsidie, amounts: {2026: 10}, structural: true}]
        """)
    assert bg.line(bg.json("show"), "beta/subsidie")["2029"] == "300010.00"
    # Years can only be added at the end.
    before = bg.event_count()
    result = bg("extend", "--to", "2026", ok=False)
    assert result.exit_code == 1 and "years can only be added at the end" in result.stderr
    assert bg.event_count() == before


def test_structural_balance_flags_a_year_where_structural_lasten_exceed_baten(bg):
    bg("init", "--organisation", "T", "--years", "2025-2026")
    bg.record("a.yaml", """
        document: {id: a, kind: opening, title: A, date: 2025-01-01}
        chart: [{unit: u, name: U, lines: [{id: l, name: L, type: lasten, cost: materieel}, {id: b, name: B, type: baten}]}]
        mutations:
          - {kind: wijziging, line: u/l, amounts: {2025: 900}, structural: true}
          - {kind: wijziging, line: u/b, amounts: {2025: 1000}, structural: true}
          - {kind: wijziging, line: u/b, amounts: {2026: 500}, reason: Eenmalige bijdrage}
          - {kind: wijziging, line: u/l, amounts: {2026: 200}, structural: true, reason: Nieuwe taak}
        """)
    b2025 = bg.json("balance", "--year", "2025")
    assert (b2025["structural_baten"], b2025["structural_lasten"], b2025["in_balance"]) == ("1000.00", "900.00", True)
    b2026 = bg.json("balance", "--year", "2026")
    assert (b2026["structural_lasten"], b2026["incidental_baten"], b2026["in_balance"]) == ("1100.00", "500.00", False)
    assert [i["mutation"] for i in b2026["incidental"]] == ["a/3"]
    assert "NIET in evenwicht" in bg("balance", "--year", "2026").stdout
