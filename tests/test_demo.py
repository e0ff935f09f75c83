"""The BIJ12 Begroting 2024 demo reproduces every published 2024 figure of the seed."""

from __future__ import annotations

from decimal import Decimal

import pytest

# Tables 1.3, 2.5, 3.3, 4.3, 5.3, 6.3 and 7.3 of the BIJ12 Begroting 2024 (lasten, euros).
PUBLISHED_2024 = {
    "expertiseteam": (9_988_994, {
        "personeel": 2_232_145, "stelpost-ipsn": 5_056_000, "aerius": 1_980_770,
        "uitvoering": 295_623, "informatiepunt": 424_456}),
    "ninb": (13_547_396, {
        "personeel": 4_164_813, "uitvoering-natuurinformatie": 3_228_492,
        "uitvoering-natuurbeheer": 2_634_091, "uitvoering-ndff": 3_520_000}),
    "faunazaken": (57_163_226, {
        "personeel": 1_669_198, "uitvoering": 1_292_255, "open-eind": 53_916_908, "aewa": 284_865}),
    "acsg": (1_032_227, {"personeel": 664_464, "uitvoering": 367_763}),
    "drugs": (970_000, {"personeel": 47_010, "subsidies": 922_990}),
    "gbo": (11_182_979, {"personeel": 5_094_998, "uitvoering": 6_087_981}),
    "interne-organisatie": (6_940_993, {
        "personeel": 4_777_793, "huisvesting-ict": 1_691_685, "communicatie": 65_239, "overig": 406_276}),
}
# §8.1: the baten, and the withdrawal from the reserve vegetatiekarteringen.
BATEN_2024 = {
    "expertiseteam/baten-informatiepunt": 424_456, "drugs/baten-rijksbijdrage": 1_000_000,
    "ninb/baten-ndff": 800_000, "ninb/baten-upn": 404_020, "gbo/baten-risicokaart": 300_000,
}


def euros(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, backend):
    from tests.conftest import Cli, FreshDatabase

    folder = tmp_path_factory.mktemp("demo")
    db = FreshDatabase() if backend == "postgresql" else None
    bg = Cli(db.url if db else folder / "demo.db", folder)
    out = bg("demo")
    assert "Lasten" in out.stdout
    yield bg
    if db:
        db.drop()


def test_every_published_line_and_unit_total_of_2024(demo):
    show = demo.json("show", "--year", "2024")
    checked = 0
    for unit, (total, lines) in PUBLISHED_2024.items():
        for line, amount in lines.items():
            assert euros(demo.line(show, f"{unit}/{line}")["2024"]) == amount, f"{unit}/{line}"
            checked += 1
        u = next(x for x in show["units"] if x["unit"] == unit)
        assert euros(u["lasten"]["2024"]) == total, unit
        assert sum(lines.values()) == total  # the seed's own tables add up
    assert checked == 23  # the seven tables hold 23 lines between them
    assert euros(show["totals"]["lasten"]["2024"]) == 100_825_815
    assert euros(show["totals"]["baten"]["2024"]) == 2_928_476
    for address, amount in BATEN_2024.items():
        assert euros(demo.line(show, address)["2024"]) == amount
    assert euros(demo.line(show, "ninb/reserve-vegetatiekarteringen")["2024"]) == -300_000


def test_the_summary_figure_without_open_end_regeling_and_drugs_subsidy_is_about_46_million(demo):
    show = demo.json("show", "--year", "2024")
    rest = (euros(show["totals"]["lasten"]["2024"]) - euros(demo.line(show, "faunazaken/open-eind")["2024"])
            - euros(demo.line(show, "drugs/subsidies")["2024"]))
    assert rest == Decimal("45985917.00")
    assert round(rest / 1_000_000) == 46


def test_explain_open_end_regeling_shows_kaderbrief_and_correction(demo):
    e = demo.json("explain", "Faunazaken/Open-eind-regeling afhandelen faunaschades", "--year", "2024")
    assert e["amount"] == "53916908.00"
    assert [(s["mutation"], s["kind"], s["amount"]) for s in e["steps"]] == [
        ("kaderbrief-2024/1", "wijziging", "52716908.00"),
        ("begroting-2024/1", "correctie", "1200000.00"),
    ]
    assert e["steps"][1]["corrects"] == "kaderbrief-2024/1"
    assert e["steps"][-1]["running_total"] == "53916908.00"
    assert all(s["status"] == "adopted" for s in e["steps"])
    assert round(euros(e["steps"][0]["amount"]) / 100_000) / 10 == 52.7


def test_every_budget_neutral_shift_nets_to_zero(demo):
    rows = [r for r in demo.json("history") if r["kind"] == "verschuiving"]
    assert len(rows) == 8
    assert all(euros(r["amount"]) == 0 for r in rows)


def test_every_demo_mutation_cites_the_seed(demo):
    rows = [r for r in demo.json("history") if r["seq"]]
    assert rows and all(r["reference"] for r in rows)
    opening = [r for r in rows if r["document"] == "opening-2024"]
    assert opening and all("Afgeleide basis" in r["reason"] for r in opening)


def test_later_years_follow_only_from_structural_and_incidental_flags(demo):
    show = demo.json("show")
    # BM5 (§6.1.9) is incidental: GBO uitvoeringskosten drop by € 100.000 after 2024.
    gbo = demo.line(show, "gbo/uitvoering")
    assert euros(gbo["2024"]) - euros(gbo["2025"]) == 100_000
    assert gbo["2025"] == gbo["2026"] == gbo["2027"]
    # The drugs regeling runs to 2024 only (§5.4).
    assert demo.line(show, "drugs/subsidies")["2025"] == "0.00"
    assert demo.line(show, "faunazaken/open-eind")["2027"] == "53916908.00"


def test_running_the_demo_again_is_harmless(demo):
    before = demo.event_count()
    out = demo("demo")
    assert "already recorded" in out.stderr
    assert demo.event_count() == before
