"""`balance` and the participants' contributions as of any point come from the figures kept
per point (their structural part, and the parts splits send elsewhere in split_figures)
instead of summing every effect of the year. Proven here equal to that sum at every position
of random histories of a joint body — keys, splits by key and in the participants' own
amounts, structural and incidental mutations, kasschuiven, adoptions, withdrawals and a
horizon extension — for proposals included and adopted only, on both backends (issue 19)."""

from __future__ import annotations

import random
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.keys import key_from_mapping
from ledger.parsing import document_from_mapping
from projections.answers import EarlierIncidental, Incidental
from projections.common import CARRIES, counts_at
from projections.contributions import ContributionQueries, distribute
from projections.distribution import SIGN, Item
from projections.errors import NoKeyInForce
from projections.rules import Rules
from tests.conftest import RESERVE_BASE

PARTICIPANTS = ("Gemeente Een", "Gemeente Twee", "Gemeente Drie")
LINES = ("a/l1", "a/l2", "a/l3", "a/bt", "b/m1", "b/res")
LASTEN = ("a/l1", "a/l2", "a/l3", "b/m1")
CHART = [
    {"unit": "a", "name": "Uitvoering", "lines": [
        {"id": "l1", "name": "Algemene taken", "type": "lasten", "cost": "materieel"},
        {"id": "l2", "name": "Bijzondere taak", "type": "lasten", "cost": "materieel"},
        {"id": "l3", "name": "Overige taak", "type": "lasten", "cost": "materieel"},
        {"id": "bt", "name": "Opbrengsten", "type": "baten"}]},
    {"unit": "b", "name": "Bedrijfsvoering", "lines": [
        {"id": "m1", "name": "Huisvesting", "type": "lasten", "cost": "materieel"},
        {"id": "res", "name": "Algemene reserve", "type": "reserve", "opening_balance": "100000"}]},
]


def euros(rng: random.Random) -> str:
    return f"{rng.randint(-50_000, 200_000) / 100:.2f}"


def mutation(rng: random.Random, years: list[int]) -> dict:
    """One random mutation: a change with or without a split (by a key, or in the participants'
    own amounts), a shift between two lasten lines, or a kasschuif."""
    year = rng.choice(years)
    choice = rng.random()
    if choice < 0.15:
        a, b = rng.sample(LASTEN, 2)
        cents = euros(rng)
        return {"kind": "verschuiving", "structural": rng.random() < 0.5, "reason": "Schuif",
                "legs": [{"line": a, "amounts": {year: cents}}, {"line": b, "amounts": {year: f"-{cents}".replace("--", "")}}]}
    if choice < 0.25 and len(years) > 1:
        cents = euros(rng)
        return {"kind": "kasschuif", "line": rng.choice(LASTEN), "reason": "Kasschuif",
                "amounts": {years[0]: cents, years[1]: f"-{cents}".replace("--", "")}}
    m = {"kind": "wijziging", "line": rng.choice(LINES), "amounts": {year: euros(rng)},
         "structural": rng.random() < 0.5, "reason": f"Wijziging {rng.randint(1, 999)}"}
    if m["line"] == "b/res":
        return {**m, "kind": "reserve"}
    if choice < 0.45:
        m["split"] = {"key": "apart", "category": rng.choice(["", "Wolf"])}
    elif choice < 0.6:
        total = round(float(m["amounts"][year]) * 100)
        first = rng.randint(-10_000, 10_000)
        m["split"] = {"category": rng.choice(["Eigen", "Wolf"]), "participants": {
            "Gemeente Een": {year: f"{first / 100:.2f}"}, "Gemeente Drie": {year: f"{(total - first) / 100:.2f}"}}}
    return m


def random_history(ledger: Ledger, seed: int, documents: int) -> None:
    rng = random.Random(seed)
    ledger.record_input(document_from_mapping({
        "document": {"id": "base", "kind": "begroting", "title": "Begroting", "date": "2024-11-01"},
        "chart": CHART, "mutations": [{"kind": "wijziging", "line": line, "amounts": {2025: "5000.00"},
                                       "structural": True, "reason": "basis"} for line in LASTEN]}, "base"))
    for key, scope, shares in (("algemeen", None, ("50", "30", "20")), ("eenheid", ["b"], ("20", "20", "60")),
                               ("apart", ["a/l3"], ("33.3333", "33.3333", "33.3334"))):
        ledger.set_key_input(key_from_mapping({"key": {
            "id": key, "from": 2025, **({"scope": scope} if scope else {}),
            "participants": [{"name": n, "percentage": p} for n, p in zip(PARTICIPANTS, shares, strict=True)]}}, key))
    ids = ["base"]
    for n in range(documents):
        years = list(ledger.views.horizon())
        doc = {"document": {"id": f"d{n}", "kind": "begrotingswijziging", "title": f"Wijziging {n}", "date": "2025-03-01"},
               "mutations": [mutation(rng, years) for _ in range(rng.randint(1, 5))]}
        try:
            ledger.record_input(document_from_mapping(doc, f"d{n}"))
            ids.append(f"d{n}")
        except LedgerError:
            continue  # a shift or split the rules refuse: the history goes on without it
        if n == documents // 2:
            ledger.extend(2027)
        target, choice = rng.choice(ids), rng.random()
        try:
            if choice < 0.4:
                ledger.adopt(target, date(2025, 6, 1), "Besluit")
            elif choice < 0.55:
                ledger.withdraw(target, date(2025, 7, 1), "Vervangen")
        except LedgerError:
            pass  # adopted already, withdrawn already, …


# ---------------------------------------------------------------- the answers summed from the effects


def summed_balance(conn, year: int, p: int, adopted_only: bool) -> tuple[dict, list[Incidental]]:
    """Structural and incidental sums per line type, and every incidental item, from the effects."""
    sums = {(t, s): 0 for t in ("lasten", "baten", "reserve") for s in (0, 1)}
    items = []
    for r in conn.execute(
        "SELECT e.seq, e.unit, e.line, e.amount_cents, l.type, "
        f"{CARRIES} AS structural, d.document, m.kind, m.reason "
        "FROM effects e JOIN mutations m USING (position, seq) JOIN documents d ON d.position = e.position "
        "JOIN lines l ON l.unit = e.unit AND l.line = e.line "
        f"WHERE e.year = :year AND {counts_at(':p', adopted_only=adopted_only)} "
        "ORDER BY e.position, e.seq, e.leg", {"year": year, "p": p},
    ):
        sums[(r["type"], r["structural"])] += r["amount_cents"]
        if not r["structural"] and r["amount_cents"]:
            items.append(Incidental(mutation=f"{r['document']}/{r['seq']}", kind=r["kind"],
                                    line=f"{r['unit']}/{r['line']}", type=r["type"], reason=r["reason"],
                                    amount_cents=r["amount_cents"]))
    return sums, items


def summed_items(queries: ContributionQueries, year: int, p: int, adopted_only: bool) -> list[Item]:
    """The parts of te dekken per line, split key, category and participant, summed from the
    effects (per document, as ``--by document`` reads them, then over the documents)."""
    out: dict[tuple, int] = {}
    for i in queries.items([year], p, adopted_only=adopted_only, grain="document"):
        key = (i.year, i.unit, i.line, i.type, i.split_key, i.category, i.participant)
        out[key] = out.get(key, 0) + i.cents
    return [Item(year=k[0], unit=k[1], line=k[2], type=k[3], cents=c, split_key=k[4], category=k[5], participant=k[6])
            for k, c in out.items()]


def ordered(items: list[Item]) -> list[tuple]:
    return sorted((i.year, i.unit, i.line, i.type, i.split_key or "", i.category, i.participant or "", i.cents)
                  for i in items)


def assert_every_point_agrees(ledger: Ledger) -> int:
    views, checked = ledger.views, 0
    rules, queries = Rules(views), ContributionQueries(views)
    for p in range(1, views.head() + 1):
        for adopted_only in (False, True):
            for year in views.horizon(p):
                sums, items = summed_balance(ledger.conn, year, p, adopted_only)
                found = rules.balance(year, p, adopted_only=adopted_only)
                assert found.incidental == tuple(items), (p, year, adopted_only)
                assert (found.incidental_lasten_cents, found.reserves_cents) == (
                    sums[("lasten", 0)], sums[("reserve", 0)] + sums[("reserve", 1)]), (p, year, adopted_only)
                contributions = found.structural_contributions_cents or 0
                assert (found.structural_lasten_cents, found.structural_baten_cents - contributions) == (
                    sums[("lasten", 1)], sums[("baten", 1)]), (p, year, adopted_only)
                for limit in (0, 1, 3):
                    short = rules.balance(year, p, adopted_only=adopted_only, limit=limit)
                    cut = max(0, len(items) - limit)  # the latest ``limit`` items are listed
                    assert short.incidental == tuple(items[cut:])
                    earlier = {t: sum(i.amount_cents for i in items[:cut] if i.type == t)
                               for t in ("lasten", "baten", "reserve")}
                    assert short.earlier_incidental == (EarlierIncidental(*earlier.values()) if cut else None)
                    assert short.structural_saldo_cents == found.structural_saldo_cents
                flat = queries.items([year], p, adopted_only=adopted_only)
                summed = summed_items(queries, year, p, adopted_only)
                assert ordered(flat) == ordered(summed), (p, year, adopted_only)
                try:
                    expected = distribute(year, summed, queries.rules(p))
                except NoKeyInForce:
                    with pytest.raises(NoKeyInForce):
                        queries.contributions(year, p, adopted_only=adopted_only)
                    continue
                c = queries.contributions(year, p, adopted_only=adopted_only)
                assert {s.name: s.amount_cents for s in c.participants} == {
                    n: expected.amount(n) for n in expected.names}, (p, year, adopted_only)
                assert c.lasten_cents == sum(i.cents * SIGN[i.type] for i in summed if i.type == "lasten")
                checked += 1
    return checked


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), documents=st.integers(1, 10))
def test_balance_and_contributions_at_every_point_equal_the_sum_of_their_effects(seed, documents):
    with tempfile.TemporaryDirectory() as folder, \
            Ledger.init(str(Path(folder) / "l.db"), "GR", 2025, 2026, kind="gr") as ledger:
        random_history(ledger, seed, documents)
        assert assert_every_point_agrees(ledger) > 0
        before = {p: ledger.views.year_cells(2025, p) for p in range(1, ledger.views.head() + 1)}
        ledger.rebuild()
        assert {p: ledger.views.year_cells(2025, p) for p in before} == before


@pytest.mark.parametrize("seed", [3, 2025])
def test_balance_and_contributions_at_every_point_on_each_backend(ledger_address, seed):
    with Ledger.init(str(ledger_address), "GR", 2025, 2026, kind="gr") as ledger:
        random_history(ledger, seed, 12)
        splits = ledger.conn.execute("SELECT COUNT(*) FROM split_figures WHERE steps > 0").fetchone()[0]
        assert splits > 0  # the history has split parts to keep
        assert assert_every_point_agrees(ledger) > 20


def test_balance_lists_the_latest_incidental_items_and_sums_the_earlier_ones_per_type(bg):
    """On a terminal the latest 50 (or --limit N), the earlier ones summed per line type; --json
    lists every item unless --limit is given, as `history` does."""
    bg("init", "--organisation", "T", "--years", "2025-2026")
    bg.record("base.yaml", RESERVE_BASE + "  - {kind: wijziging, line: u/b, amounts: {2025: 5000}, reason: eenmalig baten}\n"
              + "".join(f"  - {{kind: wijziging, line: u/p, amounts: {{2025: {n}00}}, reason: eenmalig {n}}}\n"
                        for n in range(1, 53)))
    every = bg.json("balance", "--year", "2025")
    assert [i["reason"] for i in every["incidental"]] == ["eenmalig baten"] + [f"eenmalig {n}" for n in range(1, 53)]
    assert "earlier_incidental" not in every and bg.json("balance", "--year", "2025", "--all") == every
    latest = bg.json("balance", "--year", "2025", "--limit", "1")
    assert [i["reason"] for i in latest["incidental"]] == ["eenmalig 52"]
    assert latest["earlier_incidental"] == {"lasten": "132600.00", "baten": "5000.00", "reserves": "0.00"}
    assert latest["incidental_lasten"] == "137800.00" and latest["incidental_baten"] == "5000.00"
    assert {k: v for k, v in latest.items() if "incidental" not in k} == {
        k: v for k, v in every.items() if "incidental" not in k}
    terminal = bg("balance", "--year", "2025").output  # the latest 50: eenmalig 3 to 52
    assert "earlier lasten" in terminal and "earlier baten" in terminal
    assert "eenmalig 3 " in terminal and "eenmalig 2 " not in terminal
    refused = bg("balance", "--year", "2025", "--limit", "many", ok=False)
    assert refused.exit_code == 1 and "--limit" in refused.output and "Traceback" not in refused.output


def test_a_cent_left_at_a_tie_in_a_breakdown_goes_to_the_line_first_in_the_begroting(bg):
    """The items per line come in chart order (not in the order their effects were recorded),
    so the tie rule of a breakdown follows the begroting: a/l1 before a/l2, though a/l2 was
    recorded first."""
    bg("init", "--organisation", "GR", "--years", "2025-2026", "--kind", "gr")
    bg.record("base.yaml", """
document: {id: base, kind: begroting, title: Begroting, date: 2024-11-01}
chart:
  - unit: a
    name: A
    lines:
      - {id: l1, name: Een, type: lasten, cost: materieel}
      - {id: l2, name: Twee, type: lasten, cost: materieel}
mutations:
  - {kind: wijziging, line: a/l2, amounts: {2025: 0.01}, structural: true, reason: eerst}
  - {kind: wijziging, line: a/l1, amounts: {2025: 0.01}, structural: true, reason: daarna}
""")
    bg("key", "set", bg.write("key.yaml", "key:\n  id: alg\n  from: 2025\n  participants:\n"
                                          "    - {name: P1, percentage: 50}\n    - {name: P2, percentage: 50}\n"))
    c = bg.json("contributions", "--year", "2025", "--by", "line")
    first = next(p for p in c["participants"] if p["name"] == "P1")
    assert [(r["line"], r["amount"]) for r in first["by"]] == [("a/l1", "0.01"), ("a/l2", "0.00")]
