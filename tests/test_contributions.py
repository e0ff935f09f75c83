"""Contributions per participant (issue 17): keys per scope, direct splits on mutations and
legs, contributions --by/--round/--diff, explain --contribution, key list/show, reconcile
--contributions, a GR's balance, and verify of a forged split. Real ledger files, the CLI
run in-process; one test on PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from events import document_aggregate_id
from ledger.application import Ledger
from projections.distribution import SCALE, apportion, largest_remainder
from tests.conftest import Cli, FreshDatabase
from tests.forgery import rechain

D = Decimal
P1, P2, P3 = "Gemeente Een", "Gemeente Twee", "Gemeente Drie"


@pytest.fixture
def sq(tmp_path: Path) -> Cli:
    """A CLI on a fresh SQLite ledger file (these tests run on SQLite; one test below on PostgreSQL)."""
    return Cli(tmp_path / "ledger.db", tmp_path)


# ---------------------------------------------------------------- helpers


def key_yaml(key_id: str, year: int, shares: dict[str, str], scope: list[str] | None = None) -> str:
    lines = ["key:", f"  id: {key_id}", f"  from: {year}"]
    if scope is not None:
        lines.append(f"  scope: [{', '.join(scope)}]")
    lines.append("  participants:")
    lines += [f"    - {{name: {name}, percentage: {pct}}}" for name, pct in shares.items()]
    return "\n".join(lines) + "\n"


def set_key(bg: Cli, key_id: str, year: int, shares: dict[str, str], scope: list[str] | None = None, ok: bool = True):
    return bg("key", "set", bg.write(f"key-{key_id}-{year}.yaml", key_yaml(key_id, year, shares, scope)), ok=ok)


def amounts(bg: Cli, year: int, *extra: str) -> dict[str, Decimal]:
    c = bg.json("contributions", "--year", str(year), *extra)
    return {p["name"]: D(p["amount"]) for p in c["participants"]}


def pools(c: dict) -> dict[str, Decimal]:
    return {k["key"]: D(k["total"]) for k in c["keys"]}


def euros(cents: int) -> str:
    return str(D(cents).scaleb(-2).quantize(D("0.01")))


GENERAL = {P1: "50", P2: "30", P3: "20"}

CHART = """
document: {id: base, kind: begroting, title: Begroting 2025, date: 2024-11-01, status: adopted, decision: AB}
chart:
  - unit: a
    name: Uitvoering
    lines:
      - {id: l1, name: Algemene taken, type: lasten, cost: materieel}
      - {id: l2, name: Bijzondere taak, type: lasten, cost: materieel}
      - {id: l3, name: Overige taak, type: lasten, cost: materieel}
      - {id: bt, name: Opbrengsten, type: baten}
  - unit: b
    name: Bedrijfsvoering
    lines:
      - {id: m1, name: Huisvesting, type: lasten, cost: materieel}
mutations:
  - {kind: wijziging, line: a/l1, amounts: {2025: 1000}, structural: true, reason: basis}
  - {kind: wijziging, line: a/l2, amounts: {2025: 2000}, structural: true, reason: basis}
  - {kind: wijziging, line: a/l3, amounts: {2025: 4000}, structural: true, reason: basis}
  - {kind: wijziging, line: b/m1, amounts: {2025: 8000}, structural: true, reason: basis}
"""


@pytest.fixture
def gr3(sq: Cli) -> Cli:
    """Three gemeenten, 2025-2026, the base begroting and the general key 50/30/20."""
    sq("init", "--organisation", "GR Drie", "--years", "2025-2026")
    sq.record("base.yaml", CHART)
    set_key(sq, "algemeen", 2025, GENERAL)
    return sq


# ---------------------------------------------------------------- 1. splits sum exactly

def _pct(units: int) -> str:
    return f"{units // 10_000}.{units % 10_000:04d}"


@st.composite
def key_shares(draw) -> dict[str, str]:
    a, b = sorted(draw(st.lists(st.integers(0, SCALE), min_size=2, max_size=2)))
    return {P1: _pct(a), P2: _pct(b - a), P3: _pct(SCALE - b)}


cents_st = st.integers(-10**9, 10**9).filter(lambda c: c != 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: each example is a ledger
@given(general=key_shares(), unit_key=key_shares(), line_key=key_shares(), by_key=key_shares(),
       base=st.lists(cents_st, min_size=4, max_size=4), later=st.lists(cents_st, min_size=4, max_size=4),
       structural=st.lists(st.booleans(), min_size=4, max_size=4),
       split_total=cents_st, split_first=st.integers(-10**9, 10**9), key_split=cents_st)
def test_contributions_sum_exactly_to_te_dekken_in_every_year(general, unit_key, line_key, by_key, base, later,
                                                              structural, split_total, split_first, key_split):
    assume(split_first not in (0, split_total))
    with tempfile.TemporaryDirectory() as folder:
        bg = Cli(Path(folder) / "l.db", Path(folder))
        bg("init", "--organisation", "T", "--years", "2025-2027")
        lines = ["a/l1", "a/l2", "a/bt", "b/m1"]
        muts = "\n".join(
            f"  - {{kind: wijziging, line: {line}, amounts: {{2025: {euros(c)}, 2027: {euros(c2)}}}, structural: {str(s).lower()}}}"
            for line, c, c2, s in zip(lines, base, later, structural, strict=True))
        bg.record("base.yaml", CHART.split("mutations:")[0] + "mutations:\n" + muts + "\n")
        set_key(bg, "g", 2025, general)
        set_key(bg, "u", 2025, unit_key, ["b"])
        set_key(bg, "l", 2026, line_key, ["a/l2"])
        set_key(bg, "k", 2025, by_key, ["a/l3"])  # only used by a split
        bg.record("w.yaml", f"""
            document: {{id: w, kind: begrotingswijziging, title: W, date: 2025-02-01}}
            mutations:
              - kind: wijziging
                line: a/l1
                amounts: {{2025: {euros(split_total)}}}
                structural: true
                split: {{category: Eigen, participants: {{{P1}: {{2025: {euros(split_first)}}}, {P3}: {{2025: {euros(split_total - split_first)}}}}}}}
              - kind: wijziging
                legs:
                  - {{line: a/l2, amounts: {{2026: {euros(key_split)}}}, split: {{key: k}}}}
                  - {{line: b/m1, amounts: {{2026: {euros(key_split)}}}}}
            """)
        # Independently: te dekken per year, and each participant's exact share.
        keys = {"g": general, "u": unit_key, "l": line_key, "k": by_key}

        def amount(cents_2025: int, cents_2027: int, carries: bool, year: int) -> int:
            if year == 2025:
                return cents_2025
            if year == 2026:
                return cents_2025 if carries else 0
            return cents_2027

        for year in (2025, 2026, 2027):
            pool = {k: 0 for k in keys}
            direct = {P1: 0, P2: 0, P3: 0}
            for line, c, c2, s in zip(lines, base, later, structural, strict=True):
                x = amount(c, c2, s, year) * (-1 if line == "a/bt" else 1)
                pool["u" if line == "b/m1" else "l" if line == "a/l2" and year >= 2026 else "g"] += x
            direct[P1] += split_first
            direct[P3] += split_total - split_first
            if year == 2026:
                pool["k"] += key_split
                pool["u"] += key_split
            c = bg.json("contributions", "--year", str(year))
            total = sum(pool.values()) + sum(direct.values())
            got = {p["name"]: D(p["amount"]) for p in c["participants"]}
            assert D(c["total"]) == D(total) / 100, year
            assert sum(got.values()) == D(c["total"]), (year, got, c["total"])
            for pool_key in c["keys"]:
                assert D(pool_key["total"]) == D(pool[pool_key["key"]]) / 100, (year, pool_key)
            for name in (P1, P2, P3):
                exact = Fraction(direct[name]) + sum(Fraction(pool[k] * int(D(keys[k][name]) * 10_000), SCALE) for k in keys)
                assert abs(Fraction(got.get(name, D(0)) * 100) - exact) < len(keys), (year, name)
                shown = Fraction(D(next(p["exact"] for p in c["participants"] if p["name"] == name)) * 100)
                assert abs(shown - exact) <= Fraction(1, 20_000), (year, name, shown, exact)  # six decimals of a euro
            # 9. the trail of each participant's amount sums exactly to it
            for name in (P1, P3):
                e = bg.json("explain", "--contribution", name, "--year", str(year))
                assert sum(D(s["share"]) for s in e["steps"]) == got[name] == D(e["participant"]["amount"]), (year, name)


@given(total=st.integers(-10**12, 10**12), shares=key_shares())
def test_largest_remainder_shares_sum_exactly_and_stay_within_a_cent(total, shares):
    weights = [int(D(p) * 10_000) for p in shares.values()]
    got, adjustments = largest_remainder(total, weights)
    assert sum(got) == total
    for share, w, adj in zip(got, weights, adjustments, strict=True):
        assert abs(Fraction(share) - Fraction(total * w, SCALE)) < 1
        assert abs(adj) <= 1


@given(st.lists(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=100), min_size=1, max_size=6))
def test_apportion_rounds_each_value_down_or_up_to_the_rounded_sum(values):
    target = round(sum(values))
    got = apportion(target, values)
    assert sum(got) == target
    assert all(abs(g - v) < 1 for g, v in zip(got, values, strict=True))


# ---------------------------------------------------------------- 2. the most specific key wins

ONLY = {"X": {P1: "100", P2: "0", P3: "0"}, "Y": {P1: "0", P2: "100", P3: "0"}, "Z": {P1: "0", P2: "0", P3: "100"}}


def test_the_most_specific_key_in_force_wins(sq):
    sq("init", "--organisation", "GR", "--years", "2025-2027")
    sq.record("base.yaml", CHART)  # 2025 structural: a/l1 1000, a/l2 2000, a/l3 4000, b/m1 8000
    set_key(sq, "algemeen", 2025, ONLY["X"])
    set_key(sq, "eenheid-a", 2025, ONLY["Y"], ["a"])
    set_key(sq, "taak-l2", 2025, ONLY["Z"], ["a/l2"])
    c = sq.json("contributions", "--year", "2025")
    # line-scoped over unit-scoped over general
    assert pools(c) == {"algemeen": D(8000), "eenheid-a": D(5000), "taak-l2": D(2000)}
    assert amounts(sq, 2025) == {P1: D("8000.00"), P2: D("5000.00"), P3: D("2000.00")}

    # A unit key from a later year, set first, and one from an earlier year set after it:
    # among equals the later from-year wins (not the later set), and only from its year.
    set_key(sq, "eenheid-a-2026", 2026, ONLY["X"], ["a"])
    set_key(sq, "eenheid-a-2025b", 2025, ONLY["Z"], ["a"])
    assert pools(sq.json("contributions", "--year", "2025")) == {"algemeen": D(8000), "eenheid-a-2025b": D(5000),
                                                                 "taak-l2": D(2000)}
    c26 = sq.json("contributions", "--year", "2026")
    assert pools(c26) == {"algemeen": D(8000), "eenheid-a-2026": D(5000), "taak-l2": D(2000)}
    # A line key from 2025 still beats a unit key from 2026 on its line.
    assert amounts(sq, 2026) == {P1: D("13000.00"), P2: D("0.00"), P3: D("2000.00")}


def test_a_key_set_later_applies_to_later_years_only(gr3):
    bg = gr3
    bg("extend", "--to", "2027")
    before = {y: amounts(bg, y) for y in (2025, 2026, 2027)}
    set_key(bg, "algemeen-2026", 2026, {P1: "10", P2: "10", P3: "80"})
    assert amounts(bg, 2025) == before[2025]
    assert amounts(bg, 2026) == amounts(bg, 2027) == {P1: D("1500.00"), P2: D("1500.00"), P3: D("12000.00")}
    # As of just before that key, 2026 was still split by the first key.
    position = bg.json("key", "show", "algemeen-2026")["position"]
    assert amounts(bg, 2026, "--as-of", str(position - 1)) == before[2026] == {P1: D("7500.00"), P2: D("4500.00"), P3: D("3000.00")}
    c = bg.json("contributions", "--year", "2026")
    assert c["key"] == "algemeen-2026" and c["key_from"] == 2026
    assert bg.json("contributions", "--year", "2025")["key"] == "algemeen"


def test_a_unit_scoped_key_leaves_other_units_to_the_general_key_and_no_key_is_an_error(sq):
    sq("init", "--organisation", "GR", "--years", "2025-2026")
    sq.record("base.yaml", CHART)
    set_key(sq, "eenheid-b", 2025, ONLY["Y"], ["b"])
    result = sq("contributions", "--year", "2025", "--json", ok=False)
    assert result.exit_code == 1 and "no distribution key is in force" in result.output and "a/l1" in result.output
    set_key(sq, "algemeen", 2025, ONLY["X"])
    assert amounts(sq, 2025) == {P1: D("7000.00"), P2: D("8000.00"), P3: D("0.00")}


# ---------------------------------------------------------------- 3. refused splits

SPLIT_BAD = """
document: {{id: bad, kind: begrotingswijziging, title: Fout, date: 2025-03-01}}
mutations:
  - {{kind: wijziging, line: a/l1, amounts: {{2025: 10}}, reason: goed}}
{mutation}
"""

REFUSED = [
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {category: Extra, participants: {Gemeente Een: {2025: 299}}}
""", "mutations.2.split", ["sum to € 299 in 2025", "€ 300"], id="sum-short"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300, 2026: 400}
    structural: true
    split: {participants: {Gemeente Een: {2025: 100, 2026: 100}, Gemeente Twee: {2025: 200}}}
""", "mutations.2.split", ["in 2026", "€ 300", "€ 400"], id="sum-wrong-in-second-year"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    structural: true
    split: {participants: {Gemeente Een: {2025: 300, 2026: 50}}}
""", "mutations.2.split", ["in 2026"], id="participants-carry-differently"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {participants: {Gemeente Een: {2025: 300, 2026: 5}}}
""", "mutations.2.split", ["in 2026"], id="incidental-participant-year-beyond"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {participants: {Gemeente Vier: {2025: 300}}}
""", "mutations.2.split", ["'Gemeente Vier' is not a participant of any key"], id="unknown-participant"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {participants: {gemeente een: {2025: 300}}}
""", "mutations.2.split", ["write it as the keys do", "'Gemeente Een'"], id="participant-spelled-otherwise"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {key: onbekend}
""", "mutations.2.split", ["key 'onbekend' is not set"], id="unknown-key"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {key: later}
""", "mutations.2.split", ["in force from 2026", "start in 2025"], id="key-not-yet-in-force"),
    pytest.param("""
  - kind: wijziging
    split: {key: algemeen}
    legs:
      - {line: a/l1, amounts: {2025: 300}, split: {key: algemeen}}
      - {line: a/l2, amounts: {2025: 300}}
""", "mutations.2.legs.1.split", ["give one or the other"], id="split-on-mutation-and-leg"),
    pytest.param("""
  - kind: wijziging
    split: {participants: {Gemeente Een: {2025: 600}}}
    legs:
      - {line: a/l1, amounts: {2025: 300}}
      - {line: a/l2, amounts: {2025: 300}}
""", "mutations.2.split", ["needs a mutation of one line"], id="explicit-split-on-multi-leg"),
    pytest.param("""
  - kind: correctie
    corrects: eigen/1
    line: a/l1
    amounts: {2025: 50}
""", "mutations.2.split", ["corrects eigen/1", "give the correction a split too"], id="correction-without-split"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {participants: {Gemeente Een: {2025: 300.001}}}
""", "mutations.2.split.participants", [], id="three-decimals"),
    pytest.param("""
  - kind: wijziging
    line: a/l1
    amounts: {2025: 300}
    split: {key: algemeen, participants: {Gemeente Een: {2025: 300}}}
""", "mutations.2.split", [], id="key-and-participants"),
]


@pytest.mark.parametrize("mutation, field, words", REFUSED)
def test_a_wrong_split_is_refused_naming_file_field_and_year(gr3, mutation, field, words):
    bg = gr3
    set_key(bg, "later", 2026, GENERAL)
    bg.record("eigen.yaml", """
        document: {id: eigen, kind: begrotingswijziging, title: Eigen, date: 2025-02-01}
        mutations:
          - kind: wijziging
            line: a/l1
            amounts: {2025: 100}
            split: {participants: {Gemeente Een: {2025: 60}, Gemeente Twee: {2025: 40}}}
        """)
    before = bg.event_count()
    path = bg.write("bad.yaml", SPLIT_BAD.format(mutation=mutation.strip("\n")))
    result = bg("record", path, ok=False)
    assert result.exit_code == 1, result.output
    errors = result.stderr
    assert path in errors and field in errors, errors
    for word in words:
        assert word in errors, errors
    assert bg.event_count() == before


def test_a_split_refused_with_dry_run_too_and_the_right_one_recorded(gr3):
    bg = gr3
    good = """
        document: {id: w1, kind: begrotingswijziging, title: W1, date: 2025-03-01}
        mutations:
          - kind: wijziging
            line: a/l1
            amounts: {2025: 300}
            split: {category: Extra, participants: {Gemeente Een: {2025: AMOUNT}}}
        """
    before = bg.event_count()
    bad = bg.write("w1.yaml", good.replace("AMOUNT", "299.99"))
    assert bg("record", bad, "--dry-run", ok=False).exit_code == 1
    assert bg("record", bad, ok=False).exit_code == 1
    assert bg.event_count() == before
    bg.record("w1.yaml", good.replace("AMOUNT", "300.00"))
    assert bg.event_count() > before
    assert amounts(bg, 2025)[P1] == D("7500.00") + D("300.00")


# ---------------------------------------------------------------- 4. carry of a split

CARRY = """
document: {{id: {id}, kind: begrotingswijziging, title: {id}, date: 2025-03-01}}
mutations:
  - kind: wijziging
    line: a/l1
    amounts: {{2025: 300, 2026: 500}}
    structural: {structural}
    split: {{category: Eigen, participants: {{Gemeente Een: {{2025: 100, 2026: 300}}, Gemeente Twee: {{2025: 200}}}}}}
"""


def own(c: dict, name: str, category: str = "Eigen") -> Decimal:
    p = next(p for p in c["participants"] if p["name"] == name)
    return sum((D(x["amount"]) for x in p["parts"] if x["key"] is None and x["category"] == category), D(0))


def test_a_structural_split_carries_into_later_years_and_into_an_extended_horizon(gr3):
    bg = gr3
    bg.record("s.yaml", CARRY.format(id="s", structural="true").replace("{2025: 300, 2026: 500}", "{2025: 300}")
              .replace("{2025: 100, 2026: 300}", "{2025: 100}"))
    for year in (2025, 2026):
        c = bg.json("contributions", "--year", str(year))
        assert (own(c, P1), own(c, P2), own(c, P3)) == (D(100), D(200), D(0)), year
        assert D(c["split"]) == D(300)
    bg("extend", "--to", "2028")
    for year in (2027, 2028):
        c = bg.json("contributions", "--year", str(year))
        assert (own(c, P1), own(c, P2)) == (D(100), D(200)), year
        assert sum(D(p["amount"]) for p in c["participants"]) == D(c["total"]) == D(15000 + 300)


def test_a_structural_split_carries_what_each_participant_last_named(gr3):
    bg = gr3
    bg.record("s.yaml", CARRY.format(id="s", structural="true"))
    c26 = bg.json("contributions", "--year", "2026")
    assert (own(c26, P1), own(c26, P2)) == (D(300), D(200))
    bg("extend", "--to", "2027")
    c27 = bg.json("contributions", "--year", "2027")
    assert (own(c27, P1), own(c27, P2)) == (D(300), D(200))
    assert amounts(bg, 2027) == {P1: D("7800.00"), P2: D("4700.00"), P3: D("3000.00")}


def test_the_diff_names_the_horizon_extension_as_the_cause_of_a_carried_split(gr3):
    bg = gr3
    bg.record("s.yaml", CARRY.format(id="s", structural="true"))
    bg("extend", "--to", "2027")
    d = bg.json("contributions", "--diff", "s", str(bg.event_count()))
    een = next(p for p in d["participants"] if p["name"] == P1)
    assert [(c["document"], c["year"], D(c["amount"])) for c in een["changes"]] == [("horizon", 2027, D("7800.00"))]
    assert D(een["total"]["2027"]) == D("7800.00") and D(een["total"]["2026"]) == 0


def test_an_incidental_split_does_not_carry(gr3):
    bg = gr3
    bg.record("i.yaml", CARRY.format(id="i", structural="false").replace("{2025: 300, 2026: 500}", "{2025: 300}")
              .replace("{2025: 100, 2026: 300}", "{2025: 100}"))
    assert own(bg.json("contributions", "--year", "2025"), P2) == D(200)
    c26 = bg.json("contributions", "--year", "2026")
    assert own(c26, P1) == own(c26, P2) == D(0) and D(c26["split"]) == 0
    assert amounts(bg, 2026) == {P1: D("7500.00"), P2: D("4500.00"), P3: D("3000.00")}
    bg("extend", "--to", "2027")
    c27 = bg.json("contributions", "--year", "2027")
    assert D(c27["split"]) == 0


def test_a_key_split_falls_by_its_key_and_carries(gr3):
    bg = gr3
    set_key(bg, "bijzonder", 2025, {P1: "10", P2: "10", P3: "80"}, ["a/l3"])
    bg.record("k.yaml", """
        document: {id: k, kind: begrotingswijziging, title: K, date: 2025-03-01}
        mutations:
          - {kind: wijziging, line: b/m1, amounts: {2025: 1000}, structural: true, split: {key: bijzonder}}
        """)
    bg("extend", "--to", "2027")
    for year in (2025, 2026, 2027):
        c = bg.json("contributions", "--year", str(year))
        assert pools(c) == {"algemeen": D(15000 - 4000), "bijzonder": D(4000 + 1000)}, year
        assert amounts(bg, year) == {P1: D("6000.00"), P2: D("3800.00"), P3: D("6200.00")}


# ---------------------------------------------------------------- 5. a correction with its own split

WOLF = """
document: {id: fauna, kind: begroting, title: Faunaschade, date: 2025-01-15}
chart:
  - unit: f
    name: Faunazaken
    lines: [{id: schade, name: Open-eind-regeling faunaschades, type: lasten, cost: materieel}]
mutations:
  - kind: wijziging
    line: f/schade
    amounts: {2025: 1000000}
    structural: true
    reason: raming per provincie
    split: {category: Wolf, participants: {Gemeente Een: {2025: 600000}, Gemeente Twee: {2025: 400000}}}
  - kind: wijziging
    line: f/schade
    amounts: {2025: 500000}
    structural: true
    reason: overige schade
    split: {category: Overig, participants: {Gemeente Drie: {2025: 500000}}}
"""

WOLF_FIX = """
document: {id: wolf-fix, kind: begrotingswijziging, title: Correctie Wolf, date: 2025-05-01}
mutations:
  - kind: correctie
    corrects: fauna/1
    line: f/schade
    amounts: {2025: 1200000}
    reason: tekenfout kolom Wolf
    split: {category: Wolf, participants: {Gemeente Een: {2025: 700000}, Gemeente Twee: {2025: 500000}}}
"""


def test_a_correction_with_its_own_split_lands_on_the_participants_in_its_category(gr3):
    bg = gr3
    bg.record("fauna.yaml", WOLF)
    before = bg.json("contributions", "--year", "2025", "--by", "category")
    bg.record("fix.yaml", WOLF_FIX)
    after = bg.json("contributions", "--year", "2025", "--by", "category")
    assert after["by"] == "category"

    def rows(c):
        return {(p["name"], r["category"]): D(r["amount"]) for p in c["participants"] for r in p["by"]}

    got, was = rows(after), rows(before)
    assert got[(P1, "Wolf")] == D(1300000) and got[(P2, "Wolf")] == D(900000)
    assert (P3, "Wolf") not in got or got[(P3, "Wolf")] == 0
    assert got[(P3, "Overig")] == was[(P3, "Overig")] == D(500000)
    # everything else unchanged; the rows of each participant sum to its amount
    assert {k: v for k, v in got.items() if k[1] != "Wolf"} == {k: v for k, v in was.items() if k[1] != "Wolf"}
    for p in after["participants"]:
        assert sum(D(r["amount"]) for r in p["by"]) == D(p["amount"])
    # the correction is structural as what it corrects: it carries into 2026
    assert rows(bg.json("contributions", "--year", "2026", "--by", "category"))[(P1, "Wolf")] == D(1300000)
    # the diff names the correction as the cause
    d = bg.json("contributions", "--diff", "fauna", "wolf-fix")
    een = next(p for p in d["participants"] if p["name"] == P1)
    assert {(c["document"], c["year"], D(c["amount"])) for c in een["changes"]} == {("wolf-fix", 2025, D(700000)),
                                                                                  ("wolf-fix", 2026, D(700000))}


def test_a_correction_of_a_key_split_may_name_another_key(gr3):
    bg = gr3
    bg.record("fauna.yaml", WOLF)
    set_key(bg, "fauna", 2025, {P1: "25", P2: "25", P3: "50"}, ["f"])
    bg.record("fix.yaml", WOLF_FIX.replace(
        "split: {category: Wolf, participants: {Gemeente Een: {2025: 700000}, Gemeente Twee: {2025: 500000}}}",
        "split: {key: algemeen}"))
    c = bg.json("contributions", "--year", "2025", "--by", "category")
    # the original Wolf amounts stay the participants' own; the correction falls by the general key
    assert pools(c) == {"algemeen": D(15000 + 1200000)}
    assert D(c["split"]) == D(1500000)
    een = next(p for p in c["participants"] if p["name"] == P1)
    assert {r["category"]: D(r["amount"]) for r in een["by"]} == {"": D(7500 + 600000), "Wolf": D(600000)}


@pytest.mark.parametrize("by", ["document", "unit", "line", "category"])
def test_every_breakdown_sums_exactly_to_each_participants_amount(gr3, by):
    bg = gr3
    set_key(bg, "derde", 2025, {P1: "33.3333", P2: "33.3333", P3: "33.3334"}, ["a/l2", "b"])
    bg.record("fauna.yaml", WOLF)
    bg.record("odd.yaml", """
        document: {id: odd, kind: begrotingswijziging, title: Oneven, date: 2025-06-01}
        mutations:
          - {kind: wijziging, line: a/l2, amounts: {2025: 0.01}}
          - {kind: wijziging, line: b/m1, amounts: {2025: 0.05}}
          - {kind: wijziging, line: a/bt, amounts: {2025: 0.07}}
          - {kind: wijziging, line: a/l1, amounts: {2025: 0.03}, split: {key: derde}}
        """)
    plain = bg.json("contributions", "--year", "2025")
    c = bg.json("contributions", "--year", "2025", "--by", by)
    assert c["by"] == by
    assert [(p["name"], p["amount"]) for p in c["participants"]] == [(p["name"], p["amount"]) for p in plain["participants"]]
    for p in c["participants"]:
        assert all(set(r) == {by, "amount"} for r in p["by"]), p["by"]
        assert sum(D(r["amount"]) for r in p["by"]) == D(p["amount"]), (by, p["name"], p["by"])
    if by == "document":
        drie = next(p for p in c["participants"] if p["name"] == P3)
        assert {r["document"] for r in drie["by"]} == {"base", "fauna", "odd"}


# ---------------------------------------------------------------- 6. contributions --diff

def test_diff_equals_contributions_at_b_minus_at_a_and_the_sum_of_its_changes(gr3):
    bg = gr3
    set_key(bg, "bijzonder", 2025, {P1: "33.3333", P2: "33.3333", P3: "33.3334"}, ["a/l2"])
    bg.record("v1.yaml", """
        document: {id: v1, kind: voorjaarsnota, title: V1, date: 2025-04-01}
        mutations:
          - {kind: wijziging, line: a/l2, amounts: {2025: 1000.01}, structural: true}
          - {kind: wijziging, line: a/bt, amounts: {2026: 333.33}}
        """)
    bg.record("v2.yaml", """
        document: {id: v2, kind: begrotingswijziging, title: V2, date: 2025-05-01}
        mutations:
          - kind: wijziging
            line: b/m1
            amounts: {2025: 250.50}
            split: {category: Extra, participants: {Gemeente Twee: {2025: 250.50}}}
          - kind: verschuiving
            legs:
              - {line: a/l3, amounts: {2026: -700.07}}
              - {line: a/l2, amounts: {2026: 700.07}}
        """)
    bg.record("v3.yaml", """
        document: {id: v3, kind: najaarsnota, title: V3, date: 2025-09-01}
        mutations:
          - {kind: correctie, corrects: v1/1, line: a/l2, amounts: {2025: -0.02}}
          - {kind: kasschuif, line: a/l1, amounts: {2025: -99.99, 2026: 99.99}}
        """)
    k = str(bg.json("key", "show", "bijzonder")["position"])  # a point after every key
    order = [k, "v1", "v2", "v3"]
    for a, b in ((k, "v3"), ("v1", "v3"), (k, "v1"), ("v3", k), ("v2", "v2")):
        d = bg.json("contributions", "--diff", a, b)
        assert (d["from"], d["to"]) == (a, b)
        for year in (2025, 2026):
            at_a, at_b = amounts(bg, year, "--as-of", a), amounts(bg, year, "--as-of", b)
            for p in d["participants"]:
                name = p["name"]
                want = at_b.get(name, D(0)) - at_a.get(name, D(0))
                assert D(p["total"][str(year)]) == want, (a, b, year, name)
                assert sum((D(c["amount"]) for c in p["changes"] if c["year"] == year), D(0)) == want, (a, b, year, name)
            assert {p["name"] for p in d["participants"]} >= set(at_a) | set(at_b)
        lo, hi = sorted((a, b), key=order.index)
        between = order[order.index(lo) + 1:order.index(hi) + 1]
        for p in d["participants"]:
            assert all(c["document"] in between and D(c["amount"]) != 0 for c in p["changes"]), (a, b, p)
    # v2's own split shows as v2's change for Gemeente Twee, in 2025 only
    d = bg.json("contributions", "--diff", "v1", "v2")
    twee = next(p for p in d["participants"] if p["name"] == P2)
    assert ("v2", 2025) in {(c["document"], c["year"]) for c in twee["changes"]}
    assert D(twee["total"]["2025"]) == D("250.50")


def test_diff_measures_the_documents_under_the_keys_of_the_later_point(gr3):
    """By design (issue 17's contract: a diff across the keys being set shows only the
    document): both points are distributed by the keys in force at the later one, so a key
    set in between changes nothing here; `contributions --as-of` before and after shows it."""
    bg = gr3
    bg.record("v1.yaml", """
        document: {id: v1, kind: voorjaarsnota, title: V1, date: 2025-04-01}
        mutations: [{kind: wijziging, line: a/l1, amounts: {2025: 100}}]
        """)
    set_key(bg, "nieuw", 2025, {P1: "40", P2: "40", P3: "20"})
    bg.record("v2.yaml", """
        document: {id: v2, kind: najaarsnota, title: V2, date: 2025-09-01}
        mutations: [{kind: wijziging, line: a/l1, amounts: {2025: 100}}]
        """)
    d = bg.json("contributions", "--diff", "v1", "v2")
    want = {P1: D("40.00"), P2: D("40.00"), P3: D("20.00")}  # v2's 100 by the new key
    for p in d["participants"]:
        assert sum((D(c["amount"]) for c in p["changes"] if c["year"] == 2025), D(0)) == D(p["total"]["2025"])
        assert D(p["total"]["2025"]) == want[p["name"]], (p["name"], p["total"]["2025"])
        assert {c["document"] for c in p["changes"]} == {"v2"}
    at_a, at_b = amounts(bg, 2025, "--as-of", "v1"), amounts(bg, 2025, "--as-of", "v2")
    assert at_b[P1] - at_a[P1] != want[P1]  # the key's own effect shows between --as-of points


def test_record_dry_run_shows_the_effect_on_every_participant(gr3):
    bg = gr3
    path = bg.write("v1.yaml", """
        document: {id: v1, kind: voorjaarsnota, title: V1, date: 2025-04-01}
        mutations: [{kind: wijziging, line: a/l1, amounts: {2025: 1000}}]
        """)
    text = bg("record", path, "--dry-run").stdout
    as_json = bg("record", path, "--dry-run", "--json").stdout
    for name in (P1, P2, P3):
        assert name in text and name in as_json, (name, text)
    assert "500" in text  # what this voorjaarsnota costs Gemeente Een


def test_diff_accepts_positions_and_dates_as_points(gr3):
    bg = gr3
    bg.record("v1.yaml", """
        document: {id: v1, kind: voorjaarsnota, title: V1, date: 2025-04-01}
        mutations: [{kind: wijziging, line: a/l1, amounts: {2025: 100}}]
        """)
    by_doc = bg.json("contributions", "--diff", "base", "v1")
    positions = bg.json("contributions", "--diff", str(by_doc["from_position"]), str(by_doc["to_position"]))
    assert [p["total"] for p in positions["participants"]] == [p["total"] for p in by_doc["participants"]]
    assert {p["name"]: p["total"]["2025"] for p in by_doc["participants"]} == {P1: "50.00", P2: "30.00", P3: "20.00"}
    # a date point is the recorded time: a date far ahead is the head of the ledger
    by_date = bg.json("contributions", "--diff", "base", "date:2999-01-01")
    assert by_date["to_position"] == by_doc["to_position"] == bg.event_count()
    assert [p["total"] for p in by_date["participants"]] == [p["total"] for p in by_doc["participants"]]


# ---------------------------------------------------------------- 7. --round euro

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(shares=key_shares(), cents=st.lists(st.integers(-10**8, 10**8).filter(bool), min_size=3, max_size=3),
       direct=st.integers(-10**6, 10**6).filter(bool))
def test_round_euro_gives_whole_euros_within_a_euro_that_sum_to_the_rounded_total(shares, cents, direct):
    with tempfile.TemporaryDirectory() as folder:
        bg = Cli(Path(folder) / "l.db", Path(folder))
        bg("init", "--organisation", "T", "--years", "2025-2025")
        muts = "\n".join(f"  - {{kind: wijziging, line: {line}, amounts: {{2025: {euros(c)}}}}}"
                         for line, c in zip(["a/l1", "a/bt", "b/m1"], cents, strict=True))
        bg.record("base.yaml", CHART.split("mutations:")[0] + "mutations:\n" + muts + "\n")
        set_key(bg, "g", 2025, shares)
        set_key(bg, "m", 2025, {P1: "33.3333", P2: "33.3333", P3: "33.3334"}, ["b/m1"])
        bg.record("d.yaml", f"""
            document: {{id: d, kind: begrotingswijziging, title: D, date: 2025-02-01}}
            mutations:
              - {{kind: wijziging, line: a/l2, amounts: {{2025: {euros(direct)}}}, split: {{participants: {{{P2}: {{2025: {euros(direct)}}}}}}}}}
            """)
        exact = bg.json("contributions", "--year", "2025")
        r = bg.json("contributions", "--year", "2025", "--round", "euro")
        total = D(exact["total"])
        assert D(r["total"]) == total
        got = {p["name"]: D(p["amount"]) for p in r["participants"]}
        want = {p["name"]: D(p["amount"]) for p in exact["participants"]}
        assert got.keys() == want.keys()
        for name, a in got.items():
            assert a == a.to_integral_value() and p_text(r, name).endswith(".00"), (name, a)
            assert abs(a - want[name]) < 1, (name, a, want[name])
        assert sum(got.values()) + D(r["afronding"]) == total
        rounded_total = total.quantize(D(1), rounding="ROUND_HALF_UP")
        assert sum(got.values()) == rounded_total


def p_text(c: dict, name: str) -> str:
    return next(p["amount"] for p in c["participants"] if p["name"] == name)


def test_round_euro_on_the_acceptance_example(gr3):
    bg = gr3
    bg.record("x.yaml", """
        document: {id: x, kind: begrotingswijziging, title: X, date: 2025-02-01}
        mutations:
          - {kind: wijziging, line: a/l1, amounts: {2025: 0.50}}
          - {kind: wijziging, line: a/l2, amounts: {2025: 0.49}}
        """)
    r = bg.json("contributions", "--year", "2025", "--round", "euro")
    # te dekken 15000.99; rounded to 15001 euro, so the afronding is -0.01
    assert D(r["total"]) == D("15000.99")
    assert sum(D(p["amount"]) for p in r["participants"]) == D(15001)
    assert D(r["afronding"]) == D("-0.01")


# ---------------------------------------------------------------- 8. balance of a GR

GR_BUDGET = """
document: {id: gr, kind: begroting, title: Begroting, date: 2024-11-01, status: adopted, decision: AB}
chart:
  - unit: a
    name: A
    lines:
      - {id: p, name: Personeel, type: lasten, cost: personeel}
      - {id: b, name: Rijksbijdrage, type: baten}
      - {id: r, name: Reserve, type: reserve, opening_balance: 1000}
mutations:
  - {kind: wijziging, line: a/p, amounts: {2025: 10000}, structural: true}
  - {kind: wijziging, line: a/b, amounts: {2025: 2500}, structural: true}
  - {kind: wijziging, line: a/p, amounts: {2025: 777}, reason: eenmalig}
"""


@pytest.mark.parametrize("kind, balanced", [("gr", True), ("organisation", False)])
def test_a_gr_whose_participants_cover_everything_is_in_balance(tmp_path, kind, balanced):
    bg = Cli(tmp_path / f"{kind}.db", tmp_path)
    bg("init", "--organisation", "GR", "--years", "2025-2026", "--kind", kind)
    bg.record("gr.yaml", GR_BUDGET)
    set_key(bg, "algemeen", 2025, GENERAL)
    for year in (2025, 2026):
        b = bg.json("balance", "--year", str(year))
        assert b["in_balance"] is balanced, b
        assert D(b["structural_lasten"]) == D(10000)
        if kind == "gr":
            assert D(b["structural_contributions"]) == D(7500)
            assert D(b["structural_baten"]) == D(2500) + D(7500)
            assert D(b["structural_saldo"]) == 0
            # the structural contributions are what the participants pay less the incidental part
            c = bg.json("contributions", "--year", str(year))
            assert D(c["total"]) - D(b["incidental_lasten"]) == D(b["structural_contributions"])
        else:
            assert "structural_contributions" not in b
            assert D(b["structural_baten"]) == D(2500)


def test_a_gr_without_a_key_is_not_in_balance_and_says_why(tmp_path):
    bg = Cli(tmp_path / "gr.db", tmp_path)
    bg("init", "--organisation", "GR", "--years", "2025-2025", "--kind", "gr")
    bg.record("gr.yaml", GR_BUDGET)
    b = bg.json("balance", "--year", "2025")
    assert b["in_balance"] is False and D(b["structural_contributions"]) == 0
    assert "no distribution key" in b["note"]


# ---------------------------------------------------------------- 9. explain --contribution

def test_explain_contribution_steps_sum_exactly_to_the_participants_amount(gr3):
    bg = gr3
    set_key(bg, "derde", 2025, {P1: "33.3333", P2: "33.3333", P3: "33.3334"}, ["a/l2", "b"])
    bg.record("fauna.yaml", WOLF)
    bg.record("odd.yaml", """
        document: {id: odd, kind: begrotingswijziging, title: Oneven, date: 2025-06-01}
        mutations:
          - {kind: wijziging, line: a/l2, amounts: {2025: 0.01}}
          - {kind: wijziging, line: a/l2, amounts: {2025: 0.01}}
          - {kind: wijziging, line: b/m1, amounts: {2025: 0.05}}
          - {kind: wijziging, line: a/bt, amounts: {2025: 0.07}}
          - {kind: wijziging, line: a/l1, amounts: {2025: 0.03}, split: {key: derde}}
        """)
    c = bg.json("contributions", "--year", "2025")
    for p in c["participants"]:
        e = bg.json("explain", "--contribution", p["name"], "--year", "2025")
        assert D(e["participant"]["amount"]) == D(p["amount"])
        assert sum(D(s["share"]) for s in e["steps"]) == D(p["amount"]), (p["name"], e["steps"])
        assert all(s["basis"] for s in e["steps"])
    een = bg.json("explain", "--contribution", P1.lower(), "--year", "2025")
    wolf = [s for s in een["steps"] if s["mutation"] == "fauna/1"]
    assert wolf and wolf[0]["basis"] == "own split Wolf" and D(wolf[0]["share"]) == D(600000)
    assert any("key derde" in s["basis"] for s in een["steps"])
    unknown = bg("explain", "--contribution", "Gemeente Vier", "--year", "2025", ok=False)
    assert unknown.exit_code != 0 and "Gemeente Vier" in unknown.output


# ---------------------------------------------------------------- 10. key list / show, reconcile

def test_key_list_and_key_show_shapes(gr3):
    bg = gr3
    set_key(bg, "bijzonder", 2026, {P1: "10", P2: "10.5", P3: "79.5"}, ["a/l2", "b"])
    keys = bg.json("key", "list")
    assert isinstance(keys, list) and [k["id"] for k in keys] == ["algemeen", "bijzonder"]
    for k in keys:
        assert {"id", "from", "scope", "participants"} <= set(k)
        assert all(set(p) == {"name", "percentage"} for p in k["participants"])
    assert keys[0]["scope"] == [] and keys[0]["from"] == 2025
    assert keys[1]["scope"] == ["a/l2", "b"] and keys[1]["from"] == 2026
    assert keys[1]["participants"] == [{"name": P1, "percentage": "10"}, {"name": P2, "percentage": "10.5"},
                                       {"name": P3, "percentage": "79.5"}]
    shown = bg.json("key", "show", "bijzonder")
    assert isinstance(shown, dict) and shown == keys[1]
    missing = bg("key", "show", "geen", "--json", ok=False)
    assert missing.exit_code == 1 and "geen" in missing.output
    text = bg("key", "list").stdout
    assert "bijzonder" in text and "a/l2" in text


def test_a_key_with_a_bad_scope_is_refused(gr3):
    bg = gr3
    before = bg.event_count()
    path = bg.write("k.yaml", key_yaml("fout", 2025, GENERAL, ["a/l2/x"]))
    result = bg("key", "set", path, ok=False)
    assert result.exit_code == 1 and "key.scope.1" in result.output
    assert bg.event_count() == before


def test_reconcile_contributions(gr3):
    bg = gr3
    bg.record("w1.yaml", """
        document: {id: w1, kind: begrotingswijziging, title: W1, date: 2025-03-01}
        mutations:
          - {kind: wijziging, line: a/l1, amounts: {2025: 0.99}}
        """)
    c = amounts(bg, 2025)  # 15000.99: 7500.495 / 4500.297 / 3000.198 → the two cents left to the largest remainders
    assert c == {P1: D("7500.49"), P2: D("4500.30"), P3: D("3000.20")}
    right = bg.write("ok.csv", "participant,year,amount\n" + "".join(f"{n},2025,{a}\n" for n, a in c.items())
                     + f"{P1},2026,7500.00\n")
    assert bg("reconcile", "--contributions", right).exit_code == 0
    thousands = bg.write("k.csv", f"participant,year,amount,measure\n{P1},2025,7.50049,thousands\n")
    assert bg("reconcile", "--contributions", thousands).exit_code == 0
    wrong = bg.write("bad.csv", f"participant,year,amount\n{P1},2025,7501.50\n{P2},2025,4500.30\n")
    result = bg("reconcile", "--contributions", wrong, ok=False)
    assert result.exit_code == 1
    off_by_a_cent = bg.write("cent.csv", f"participant,year,amount\n{P3},2025,3000.19\n")
    assert bg("reconcile", "--contributions", off_by_a_cent, ok=False).exit_code == 1
    assert bg("reconcile", "--contributions", off_by_a_cent, "--tolerance", "0.05").exit_code == 0
    unknown = bg.write("who.csv", "participant,year,amount\nGemeente Vier,2025,1\n")
    result = bg("reconcile", "--contributions", unknown, ok=False)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Gemeente Vier" in message and "row 2" in message, message
    assert "Traceback" not in result.output


def test_reconcile_contributions_json(gr3):
    bg = gr3
    path = bg.write("ok.csv", f"participant,year,amount\n{P1},2025,7500\n{P2},2025,4500.01\n")
    result = bg("reconcile", "--contributions", path, "--json", ok=False)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["mismatches"] == 1 and [r["status"] for r in data["rows"]] == ["ok", "mismatch"]


# ---------------------------------------------------------------- 11. verify catches a forged split

def _document_position(path: Path, doc: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT rowid FROM stored_events WHERE originator_id = ?",
                            (document_aggregate_id(doc).hex,)).fetchone()[0]


def test_verify_catches_a_forged_split_that_no_longer_sums(gr3):
    bg = gr3
    bg.record("w1.yaml", """
        document: {id: w1, kind: begrotingswijziging, title: W1, date: 2025-03-01}
        mutations:
          - kind: wijziging
            line: a/l1
            amounts: {2025: 300}
            split: {category: Extra, participants: {Gemeente Een: {2025: 200}, Gemeente Twee: {2025: 100}}}
        """)
    assert bg("verify").exit_code == 0
    position = _document_position(bg.ledger, "w1")
    original = b'"amounts_cents":{"2025":20000},"name":"Gemeente Een"'

    def change(rows):
        state = bytes(rows[position - 1][4])
        assert original in state, state
        rows[position - 1][4] = state.replace(original, original.replace(b"20000", b"29900"))
        return rows

    rechain(bg.ledger, change)
    with Ledger.open(str(bg.ledger)) as ledger:
        report = ledger.verify()
    assert not report.ok
    assert report.problems[0].startswith(f"position {position}:"), report.problems
    assert "mutations.1.split" in report.problems[0] and "2025" in report.problems[0], report.problems
    result = bg("verify", ok=False)
    assert result.exit_code != 0 and "split" in result.output and "2025" in result.output


def test_verify_catches_a_forged_split_naming_a_participant_of_no_key(gr3):
    bg = gr3
    bg.record("w1.yaml", """
        document: {id: w1, kind: begrotingswijziging, title: W1, date: 2025-03-01}
        mutations:
          - kind: wijziging
            line: a/l1
            amounts: {2025: 300}
            split: {participants: {Gemeente Een: {2025: 300}}}
        """)
    position = _document_position(bg.ledger, "w1")

    def change(rows):
        rows[position - 1][4] = bytes(rows[position - 1][4]).replace(b'"Gemeente Een"', b'"Gemeente Nul"')
        return rows

    rechain(bg.ledger, change)
    result = bg("verify", ok=False)
    assert result.exit_code != 0 and "Gemeente Nul" in result.output


# ---------------------------------------------------------------- 12. PostgreSQL

def _story(bg: Cli) -> None:
    bg("init", "--organisation", "GR Drie", "--years", "2025-2026")
    bg.record("base.yaml", CHART)
    set_key(bg, "algemeen", 2025, {P1: "33.3333", P2: "33.3333", P3: "33.3334"})
    set_key(bg, "bijzonder", 2025, {P1: "10", P2: "10", P3: "80"}, ["a/l2"])
    bg.record("fauna.yaml", WOLF)
    bg.record("fix.yaml", WOLF_FIX)


def test_contributions_json_on_postgresql_equals_sqlite(tmp_path):
    db = FreshDatabase()
    try:
        pg = Cli(db.url, tmp_path)
        _story(pg)
        assert pg.backend == "postgresql"
        lite = Cli(tmp_path / "lite.db", tmp_path)
        _story(lite)
        for args in (("--year", "2025"), ("--year", "2026", "--by", "category"), ("--year", "2025", "--round", "euro"),
                     ("--diff", "base", "wolf-fix")):
            got = pg.json("contributions", *args)
            assert got == lite.json("contributions", *args), args
        c = pg.json("contributions", "--year", "2025")
        assert sum(D(p["amount"]) for p in c["participants"]) == D(c["total"])
        assert [k["id"] for k in pg.json("key", "list")] == ["algemeen", "bijzonder"]
        e = pg.json("explain", "--contribution", P1, "--year", "2025")
        assert sum(D(s["share"]) for s in e["steps"]) == D(e["participant"]["amount"])
    finally:
        db.drop()
