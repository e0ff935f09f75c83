"""The history shows what a mutation names, leg by leg and year by year: a shift is the
amounts it moves, not "€ 0", and ``--json`` carries the legs (issue 18, item 5)."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.fixture(scope="module")
def demo(demo_ledger: Cli) -> Cli:
    return demo_ledger


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


def test_a_documents_effect_keeps_lasten_baten_and_reserves_apart(demo):
    """NINB 2024 in the Begroting: lasten -202.830, baten +1.204.020, reserve -300.000 — not
    one "net effect" of € 701.190 (issue 18, item 6)."""
    doc = demo.json("document", "begroting-2024")
    ninb = {e["type"]: e["amounts"]["2024"] for e in doc["effect"] if e["unit"] == "ninb"}
    assert ninb == {"lasten": "-202830.00", "baten": "1204020.00", "reserve": "-300000.00"}
    totals = doc["totals"]
    lasten, baten, reserves = (sum(int(e["amounts"]["2024"][:-3]) for e in doc["effect"] if e["type"] == t)
                               for t in ("lasten", "baten", "reserve"))
    assert totals["lasten"]["2024"] == f"{lasten}.00" and totals["baten"]["2024"] == f"{baten}.00"
    assert totals["saldo"]["2024"] == f"{baten - lasten}.00"
    assert totals["te_dekken"]["2024"] == f"{lasten - baten + reserves}.00"
    text = demo("document", "begroting-2024").stdout
    assert "Effect per unit" in text and "Te dekken" in text and "€ 701.190" not in text


def test_a_dry_run_shows_the_effect_on_the_totals_and_records_nothing(demo):
    """Issue 18, item 11: besides the lines, what lasten, baten, saldo, reserves and te dekken
    become in each year — and they agree with `show` once the document is recorded."""
    source = demo.write("extra.yaml", """
        document:
          id: extra-2024
          kind: begrotingswijziging
          title: Extra
          date: 2024-05-01
        mutations:
          - kind: wijziging
            line: ninb/personeel
            amounts: {2026: 1000.00}
            reason: Inhuur
          - kind: wijziging
            line: ninb/baten-ndff
            amounts: {2026: 400}
            reason: Bijdrage
    """)
    before = demo.json("show", "--year", "2026")["totals"]
    (dry,) = demo.json("record", "--dry-run", source)
    totals = {t["total"]: t for t in dry["totals"] if t["year"] == "2026"}
    assert {k: (t["before"], t["after"]) for k, t in totals.items()} == {
        "lasten": (before["lasten"]["2026"], _plus(before["lasten"]["2026"], 1000)),
        "baten": (before["baten"]["2026"], _plus(before["baten"]["2026"], 400)),
        "saldo": (before["saldo"]["2026"], _plus(before["saldo"]["2026"], -600)),
        "reserves": (before["reserves"]["2026"], before["reserves"]["2026"]),
        "te_dekken": (before["te_dekken"]["2026"], _plus(before["te_dekken"]["2026"], 600)),
    }
    assert demo.json("show", "--year", "2026")["totals"] == before  # nothing recorded
    text = demo("record", "--dry-run", source).stdout
    assert "on the totals" in text and "Te dekken" in text and "€ 600" in text
    demo("record", source)
    after = demo.json("show", "--year", "2026")["totals"]
    assert after["te_dekken"]["2026"] == totals["te_dekken"]["after"]


def _plus(euros: str, add: int) -> str:
    """Whole euros as JSON gives them ("-98531359.00") plus ``add`` euros."""
    whole, cents = euros.split(".")
    assert cents == "00"
    return f"{int(whole) + add}.00"


def test_history_pages_from_the_newest_and_json_is_never_cut_silently(tmp_path):
    """Issue 19 item 2: `history --limit N` is the latest N rows (a terminal shows 200 by
    default and says when earlier rows are left out); --json lists every row unless --limit."""
    from tests.conftest import Cli

    bg = Cli(tmp_path / "l.db", tmp_path)
    bg("init", "--organisation", "O", "--years", "2025-2026")
    rows = "".join(f"  - {{kind: wijziging, line: u/p, amounts: {{2025: {n}}}, reason: r{n}}}\n" for n in range(1, 231))
    bg.write("d.yaml", "document: {id: d, kind: begroting, title: D, date: 2025-01-01}\n"
                       "chart: [{unit: u, name: U, lines: [{id: p, name: P, type: lasten, cost: personeel}]}]\nmutations:\n" + rows)
    bg("record", str(tmp_path / "d.yaml"))
    every = [r for r in bg.json("history") if r["seq"]]  # the mutations, after "ledger opened"
    assert [r["seq"] for r in every] == list(range(1, 231))
    latest = bg.json("history", "--limit", "5")
    assert [r["seq"] for r in latest] == [226, 227, 228, 229, 230]
    assert [r["seq"] for r in bg.json("history", "--limit", "3", "--grep", "r1")] == [197, 198, 199]  # the latest r1…
    text = bg("history").stdout
    assert "Earlier rows are not shown: the latest 200" in text and "d/31" in text and "d/30 " not in text
    assert "Earlier rows" not in bg("history", "--all").stdout


def test_a_withdrawn_documents_effect_says_it_no_longer_counts_and_a_dry_run_of_two_files_says_how_each_is_checked(
        tmp_path):
    """Hostile review, stop 24 (D7, D8)."""
    from tests.conftest import Cli

    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    one = bg.write("one.yaml", "document: {id: one, kind: begrotingswijziging, title: Een, date: 2024-05-01}\n"
                               "mutations: [{kind: wijziging, line: ninb/personeel, amounts: {2024: 100}}]\n")
    two = bg.write("two.yaml", "document: {id: two, kind: begrotingswijziging, title: Twee, date: 2024-05-02}\n"
                               "mutations: [{kind: wijziging, line: ninb/personeel, amounts: {2024: 200}}]\n")
    assert "checked against the ledger as it is" in bg("record", "--dry-run", one, two).stdout
    assert "checked against the ledger as it is" not in bg("record", "--dry-run", one).stdout
    bg("record", one)
    assert "no longer counts" not in bg("document", "one").stdout
    bg("withdraw", "one", "--date", "2024-06-01", "--reason", "Vervangen")
    assert "withdrawn: none of it counts any more" in bg("document", "one").stdout
