"""BBV and Iv3: classification as events checked against the real CBS code lists, the
overviews per programma, the Iv3 delivery, on both backends."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import codelists
from tests.conftest import Cli

SHARED_IV3 = Path(__file__).resolve().parents[2] / "shared" / "iv3"

# A gemeente-style begroting: two programma's, an algemene uitkering (algemene dekkingsmiddelen),
# overhead, and a reserve with an incidental onttrekking.
GEMEENTE = """
document: {id: begroting-2025, kind: begroting, title: Begroting 2025, date: 2024-11-07, status: adopted, decision: Raad 07-11-2024}
programmas:
  - {id: veilig, name: Veiligheid}
  - {id: financien, name: Financiën en algemene dekkingsmiddelen}
chart:
  - unit: vz
    name: Veiligheid
    lines:
      - {id: brandweer, name: Bijdrage veiligheidsregio, type: lasten, cost: materieel, programma: veilig, taakveld: "1.1", categorie: "4.3.3"}
      - {id: handhaving, name: Handhaving, type: lasten, cost: personeel, programma: veilig, taakveld: "1.2", categorie: "1.1"}
  - unit: fin
    name: Financiën
    lines:
      - {id: uitkering, name: Algemene uitkering, type: baten, programma: financien, taakveld: "0.7", categorie: "4.3.1"}
      - {id: overhead, name: Overhead, type: lasten, cost: personeel, programma: financien, taakveld: "0.4", categorie: "1.1"}
      - {id: reserve, name: Algemene reserve, type: reserve, opening_balance: 50000, programma: financien, taakveld: "0.10", categorie: "7.1"}
mutations:
  - {kind: wijziging, line: vz/brandweer, amounts: {2025: 40000}, structural: true, reason: bijdrage}
  - {kind: wijziging, line: vz/handhaving, amounts: {2025: 25000}, structural: true, reason: formatie}
  - {kind: wijziging, line: vz/handhaving, amounts: {2025: 5000}, reason: eenmalig project}
  - {kind: wijziging, line: fin/uitkering, amounts: {2025: 90000}, structural: true, reason: meicirculaire}
  - {kind: wijziging, line: fin/overhead, amounts: {2025: 30000}, structural: true, reason: overhead}
  - {kind: reserve, line: fin/reserve, amounts: {2025: -5000}, reason: dekking eenmalig project}
"""


def record(bg: Cli, name: str, text: str, *, ok: bool = True):
    return bg("record", bg.write(name, text), ok=ok)


@pytest.fixture
def gemeente(bg: Cli) -> Cli:
    bg("init", "--organisation", "Gemeente Test", "--years", "2025-2026", "--overheidslaag", "gemeente",
       "--overheidsnummer", "0999")
    bg.record("begroting.yaml", GEMEENTE)
    return bg


def test_the_overviews_of_a_gemeente(gemeente: Cli) -> None:
    o = gemeente.json("bbv", "--year", "2025")
    rows = {r["programma"]: r for r in o["programmas"]}
    assert [r["programma"] for r in o["programmas"]] == ["veilig", "financien"]
    assert rows["veilig"] | {} == {"programma": "veilig", "name": "Veiligheid", "lasten": "70000.00", "baten": "0.00",
                                   "saldo": "-70000.00", "toevoegingen": "0.00", "onttrekkingen": "0.00"}
    assert (rows["financien"]["lasten"], rows["financien"]["baten"], rows["financien"]["onttrekkingen"]) == \
        ("30000.00", "90000.00", "5000.00")
    apart = {p["part"]: p for p in o["apart"]}
    assert apart["algemene_dekkingsmiddelen"]["baten"] == "90000.00"
    assert apart["overhead"]["lasten"] == "30000.00"
    assert apart["vpb"]["lasten"] == apart["onvoorzien"]["lasten"] == "0.00"
    # saldo van baten en lasten 90.000 − 100.000; the onttrekking of 5.000 brings the result to −5.000.
    assert o["saldo_van_baten_en_lasten"] == "-10000.00"
    assert o["geraamd_resultaat"] == "-5000.00"
    # Incidental: the project's 5.000 of lasten and the onttrekking that covers it.
    incidental = {r["programma"]: r for r in o["incidenteel"]}
    assert incidental["veilig"]["lasten"] == "5000.00" and incidental["financien"]["onttrekkingen"] == "5000.00"
    assert o["incidenteel_saldo"] == "0.00"
    assert o["structureel_saldo"] == "-5000.00" and o["structureel_evenwicht"] is False
    # Consistent with `balance`, which has no structural reserve mutation to differ by here.
    balance = gemeente.json("balance", "--year", "2025")
    assert balance["structural_saldo"] == o["structureel_saldo"]
    assert balance["in_balance"] == o["structureel_evenwicht"]
    assert [(y["year"], y["structureel_saldo"]) for y in o["per_year"]] == [(2025, "-5000.00"), (2026, "-5000.00")]


def test_the_iv3_delivery_validates_and_adds_up(gemeente: Cli, tmp_path: Path) -> None:
    import jsonschema

    out = tmp_path / "iv3.json"
    gemeente("iv3", "--year", "2025", "--out", str(out), "--contact-name", "P. Controller",
             "--contact-email", "p.controller@gemeente.nl", "--contact-phone", "0301234567")
    text = out.read_text(encoding="utf-8")
    delivery = json.loads(text, parse_float=Decimal)
    jsonschema.validate(json.loads(text), codelists.delivery_schema())
    if (SHARED_IV3 / "iv3_data_schema_v2_1_1.json").exists():  # and against CBS's own copy
        jsonschema.validate(json.loads(text), json.loads((SHARED_IV3 / "iv3_data_schema_v2_1_1.json").read_text()))
    assert delivery["metadata"] | {"datum": ""} == {
        "overheidslaag": "Gemeente", "overheidsnummer": "0999", "overheidsnaam": "Gemeente Test", "boekjaar": 2025,
        "periode": 0, "status": "Begroting", "datum": "", "details_openbaar": False,
        "financieel_pakket": "begroting (event-sourced ledger)", "export_software": delivery["metadata"]["export_software"]}
    cells = {(side, r["taakveld"], r["categorie"]): r["bedrag"] for side in ("lasten", "baten") for r in delivery["data"][side]}
    assert cells == {("lasten", "1.1", "4.3.3"): Decimal("40000.00"), ("lasten", "1.2", "1.1"): Decimal("30000.00"),
                     ("lasten", "0.4", "1.1"): Decimal("30000.00"), ("baten", "0.7", "4.3.1"): Decimal("90000.00"),
                     ("baten", "0.10", "7.1"): Decimal("5000.00")}
    report = gemeente.json("iv3", "--year", "2025", "--out", str(out), "--contact-name", "P", "--contact-email",
                           "p@gemeente.nl", "--contact-phone", "1")
    checks = {c["code"]: c for c in report["checks"]}
    assert checks["schema"]["passed"] and checks["grijze cellen"]["passed"] and checks["DF001/DF002"]["passed"]
    assert checks["PF006"]["passed"] is False and "5000.00" in checks["PF006"]["detail"]


def test_one_cell_explained(gemeente: Cli) -> None:
    trail = gemeente.json("explain", "--iv3", "1.2", "1.1", "--year", "2025")
    assert trail["lasten"] == "30000.00" and [c["lines"] for c in trail["lines"]] == [["vz/handhaving"]]
    assert [(s["document"], s["seq"], s["amount"]) for s in trail["steps"]] == \
        [("begroting-2025", 2, "25000.00"), ("begroting-2025", 3, "5000.00")]
    missing = gemeente("explain", "--iv3", "1.2", "3.8", "--year", "2025", ok=False)
    assert missing.exit_code == 1 and "no line is classified on that cell" in missing.output


REFUSED = [
    ('taakveld: "9.9"', 'categorie: "1.1"', "taakveld '9.9' is not in the Iv3 list"),
    ('taakveld: "1.2"', 'categorie: "9.9.9"', "categorie '9.9.9' is not a lasten categorie"),
    ('taakveld: "1.2"', 'categorie: "3.7"', "is not a lasten categorie"),  # leges: a baten categorie
    ('taakveld: "0.1"', 'categorie: "3.1"', "is a grijze cel for lasten"),
    ('taakveld: "0.10"', 'categorie: "3.8"', "is only for a reserve line"),
    ('taakveld: "1.2"', "", "taakveld and categorie go together"),
    ('taakveld: "1.2", programma: onbekend', 'categorie: "1.1"', "programma 'onbekend' is not declared"),
]


@pytest.mark.parametrize("taakveld, categorie, message", REFUSED)
def test_a_wrong_classification_is_refused_and_nothing_recorded(gemeente: Cli, taakveld: str, categorie: str,
                                                                message: str) -> None:
    before = gemeente.event_count()
    fields = ", ".join(f for f in (taakveld, categorie) if f)
    result = record(gemeente, "w.yaml", f"""
        document: {{id: w, kind: begrotingswijziging, title: W, date: 2025-02-01}}
        chart:
          - unit: vz
            name: Veiligheid
            lines:
              - {{id: nieuw, name: Nieuw, type: lasten, cost: materieel, {fields}}}
        mutations:
          - {{kind: wijziging, line: vz/nieuw, amounts: {{2025: 10}}, reason: x}}
        """, ok=False)
    assert result.exit_code == 1
    assert message in result.output and "w.yaml: chart.1.lines.1." in result.output
    assert "Traceback" not in result.output
    assert gemeente.event_count() == before


def test_a_reserve_line_sits_on_mutaties_reserves(gemeente: Cli) -> None:
    result = gemeente("classify", gemeente.write("c.yaml", """
        classify:
          from: 2025
          lines: [{line: fin/reserve, taakveld: "0.8", categorie: "7.1"}]
        """), ok=False)
    assert result.exit_code == 1 and "a reserve line is classified on taakveld 0.10" in result.output


def test_a_provincie_books_reserves_on_0_8(bg: Cli) -> None:
    bg("init", "--organisation", "Provincie Test", "--years", "2025-2025", "--overheidslaag", "provincie")

    def reserve_on(doc: str, categorie: str, *, ok: bool = True):
        return record(bg, f"{doc}.yaml", f"""
            document: {{id: {doc}, kind: begroting, title: P, date: 2024-11-01}}
            chart:
              - unit: u
                name: U
                lines:
                  - {{id: r, name: Reserve, type: reserve, taakveld: "0.8", categorie: "{categorie}"}}
            mutations:
              - {{kind: reserve, line: u/r, amounts: {{2025: 10}}, reason: x}}
            """, ok=ok)

    refused = reserve_on("p", "3.8", ok=False)
    assert refused.exit_code == 1 and "taakveld 0.8 (mutaties reserves) takes only categorie 7.1" in refused.output
    assert reserve_on("q", "7.1").exit_code == 0


def test_classification_needs_an_overheidslaag(bg: Cli) -> None:
    bg("init", "--organisation", "O", "--years", "2025-2025")
    result = record(bg, "a.yaml", """
        document: {id: a, kind: begroting, title: A, date: 2024-11-01}
        chart:
          - unit: u
            name: U
            lines: [{id: l, name: L, type: lasten, cost: personeel, taakveld: "0.1", categorie: "1.1"}]
        mutations:
          - {kind: wijziging, line: u/l, amounts: {2025: 10}, reason: x}
        """, ok=False)
    assert result.exit_code == 1 and "the ledger has no overheidslaag" in result.output
    # The organisation is described by a classify file; then the same document is recorded.
    bg("classify", bg.write("o.yaml", "organisation: {overheidslaag: gemeente}\n"))
    bg("record", str(bg.folder / "a.yaml"))
    changed = bg("classify", bg.write("p.yaml", "organisation: {overheidslaag: provincie}\n"), ok=False)
    assert changed.exit_code == 1 and "it cannot change" in changed.output


def test_reclassification_holds_from_its_year_and_as_of_sees_what_held(gemeente: Cli) -> None:
    gemeente("classify", gemeente.write("c.yaml", """
        classify:
          from: 2026
          programmas: [{id: bedrijf, name: Bedrijfsvoering}]
          lines:
            - {line: fin/overhead, programma: bedrijf}
        """))
    now = gemeente.json("show", "--by", "programma")
    rows = {r["programma"]: r for r in now["programmas"]}
    assert rows["bedrijf"]["lasten"] == {"2025": "0.00", "2026": "30000.00"}
    assert rows["financien"]["lasten"] == {"2025": "30000.00", "2026": "0.00"}
    before = gemeente.json("show", "--by", "programma", "--as-of", "begroting-2025")
    assert "bedrijf" not in {r["programma"] for r in before["programmas"]}
    assert {r["programma"]: r for r in before["programmas"]}["financien"]["lasten"]["2026"] == "30000.00"
    head = str(gemeente.json("show")["position"])
    change = gemeente.json("diff", "begroting-2025", head, "--by", "programma")
    moved = {r["programma"]: r["lasten"]["2026"] for r in change["change"]}
    assert moved["bedrijf"] == "30000.00" and moved["financien"] == "-30000.00"
    # The taakveld and categorie left out of the file kept what held: the Iv3 cell is unchanged.
    trail = gemeente.json("explain", "--iv3", "0.4", "1.1", "--year", "2026")
    assert trail["lasten"] == "30000.00"
    assert gemeente("verify").exit_code == 0


def test_a_document_states_its_effect_per_programma(gemeente: Cli) -> None:
    text = """
        document: {id: bw-1, kind: begrotingswijziging, title: Wijziging 1, date: 2025-03-01}
        mutations:
          - kind: verschuiving
            legs:
              - {line: vz/handhaving, amounts: {2025: -2000}}
              - {line: fin/overhead, amounts: {2025: 2000}}
            reason: herschikking
          - {kind: reserve, line: fin/reserve, amounts: {2025: -1000}, reason: extra onttrekking}
        """
    dry = json.loads(gemeente.record("bw.yaml", text, "--dry-run", "--json").stdout)[0]
    effect = {r["programma"]: r for r in dry["programmas"]}
    assert effect["veilig"]["lasten"]["2025"] == "-2000.00" and effect["financien"]["lasten"]["2025"] == "2000.00"
    assert effect["financien"]["onttrekkingen"]["2025"] == "1000.00"
    gemeente("record", str(gemeente.folder / "bw.yaml"))
    shown = gemeente.json("document", "bw-1")
    assert shown["programmas"] == dry["programmas"]
    assert "Effect per programma" in gemeente("document", "bw-1").output


def test_iv3_lists_every_unclassified_line_with_an_amount(bg: Cli, tmp_path: Path) -> None:
    bg("init", "--organisation", "O", "--years", "2025-2025", "--overheidslaag", "gr")
    bg.record("a.yaml", """
        document: {id: a, kind: begroting, title: A, date: 2024-11-01}
        chart:
          - unit: u
            name: U
            lines:
              - {id: l, name: L, type: lasten, cost: personeel, taakveld: "0.1", categorie: "1.1"}
              - {id: m, name: M, type: lasten, cost: personeel}
              - {id: n, name: N, type: baten}
        mutations:
          - {kind: wijziging, line: u/l, amounts: {2025: 10}, reason: x}
          - {kind: wijziging, line: u/m, amounts: {2025: 20}, reason: x}
          - {kind: wijziging, line: u/n, amounts: {2025: 30}, reason: x}
        """)
    result = bg("iv3", "--year", "2025", "--out", str(tmp_path / "x.json"), "--contact-name", "a",
                "--contact-email", "a@b.nl", "--contact-phone", "1", ok=False)
    assert result.exit_code == 1 and "2 lines have no taakveld and categorie in 2025: u/m, u/n" in result.output
    assert not (tmp_path / "x.json").exists()


def test_verify_refuses_a_forged_classification_on_a_grijze_cel(bg: Cli, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the forgery rewrites a SQLite file")
    from tests.forgery import rechain

    bg("init", "--organisation", "O", "--years", "2025-2025", "--overheidslaag", "gr")
    bg.record("a.yaml", """
        document: {id: a, kind: begroting, title: A, date: 2024-11-01}
        chart:
          - unit: u
            name: U
            lines: [{id: l, name: L, type: lasten, cost: materieel, taakveld: "0.1", categorie: "3.8"}]
        mutations:
          - {kind: wijziging, line: u/l, amounts: {2025: 10}, reason: x}
        """)
    assert bg("verify").exit_code == 0

    def forge(rows):
        for row in rows:
            if row[3] == "begroting:LinesClassified":
                row[4] = row[4].replace(b'"categorie":"3.8"', b'"categorie":"3.1"')
        return rows

    rechain(Path(bg.ledger), forge)
    result = bg("verify", ok=False)
    assert result.exit_code == 1 and "grijze cel" in result.output


def test_the_demo_is_classified_and_its_iv3_equals_the_seed(demo_ledger: Cli, tmp_path: Path) -> None:
    out = tmp_path / "iv3.json"
    demo_ledger("iv3", "--year", "2024", "--out", str(out), "--contact-name", "BIJ12", "--contact-email",
                "info@bij12.nl", "--contact-phone", "0303200100")
    data = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)["data"]
    reserve = [r for r in data["baten"] if (r["taakveld"], r["categorie"]) == ("0.10", "7.1")]
    assert sum(r["bedrag"] for r in data["lasten"]) == Decimal("100825815.00")
    assert sum(r["bedrag"] for r in data["baten"]) - sum(r["bedrag"] for r in reserve) == Decimal("2928476.00")
    assert [r["bedrag"] for r in reserve] == [Decimal("300000.00")]
    o = demo_ledger.json("bbv", "--year", "2024")
    assert o["geraamd_resultaat"] == "0.00" and o["structureel_evenwicht"] is True
    assert len(o["programmas"]) == 7 and o["contributions"] == "97597339.00"
    assert demo_ledger.json("balance", "--year", "2024")["in_balance"] is True


@pytest.mark.skipif(not SHARED_IV3.exists(), reason="CBS's files are not beside the project")
def test_the_shipped_code_lists_agree_with_cbs_files() -> None:
    for path in sorted(SHARED_IV3.glob("iv3_definities_*_*.json")):
        laag, year = path.stem.split("_")[2:4]
        ours = next(k for k, v in codelists.LAAG_NAMES.items() if v == laag)
        shipped = codelists.code_list(ours, int(year))
        cbs = codelists.compact(json.loads(path.read_text(encoding="utf-8")))
        assert shipped.taakvelden == cbs["taakvelden"]
        for side in codelists.SIDES:
            assert shipped.categorieen[side] == cbs[f"categorie_{side}"]
            assert shipped.grijze_cellen[side] == {tuple(pair) for pair in cbs["grijze_cellen"][side]}


def test_the_read_models_hold_the_classification(gemeente: Cli, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("read the SQLite read-model file directly")
    views = Path(str(gemeente.ledger)).with_suffix(".views.db")
    if not views.exists():
        views = next(Path(str(gemeente.ledger)).parent.glob("*views*"))
    with sqlite3.connect(views) as conn:
        rows = conn.execute("SELECT unit, line, from_year, programma, taakveld, categorie FROM classifications "
                            "ORDER BY unit, line").fetchall()
    assert ("fin", "reserve", 2025, "financien", "0.10", "7.1") in rows and len(rows) == 5


def test_the_readme_bbv_block_runs_on_the_demo(demo_ledger: Cli, monkeypatch) -> None:
    from tests.test_readme_tour import block_after, commands

    monkeypatch.chdir(demo_ledger.folder)
    ran = [args[0] for args in commands(block_after("## BBV and Iv3")) if demo_ledger(*args).exit_code == 0]
    assert {"show", "bbv", "iv3", "explain", "diff"} <= set(ran)
    assert (demo_ledger.folder / "iv3-2024.json").exists()


def test_the_readme_classify_example_classifies(tmp_path: Path, monkeypatch) -> None:
    """The classify file the README shows, on a ledger built as the README says."""
    import yaml

    from tests.test_readme_tour import block_after, commands

    text = "\n".join(block_after("## BBV and Iv3", nth=2))
    assert yaml.safe_load(text)["classify"]["from"] == 2025
    bg = Cli(tmp_path / "own.db", tmp_path)
    bg.write("indeling-2025.yaml", text)
    monkeypatch.chdir(tmp_path)
    ran = [args for args in commands(block_after("## BBV and Iv3", nth=3)) if bg(*args).exit_code == 0]
    assert [args[0] for args in ran] == ["init", "key", "record", "record", "classify", "iv3"]
    bg("record", str(Path(__file__).resolve().parents[1] / "ledger" / "demo" / "03-begroting-2024.yaml"))
    assert json.loads((tmp_path / "iv3-2025.json").read_text())["contact"]["naam"] == "P. Controller"
    trail = bg.json("explain", "--iv3", "5.7", "4.2", "--year", "2025")
    assert [c["lines"] for c in trail["lines"]] == [["faunazaken/open-eind"]]
    assert bg.json("explain", "--iv3", "5.7", "4.3.8", "--year", "2024")["lines"][0]["lines"] == ["faunazaken/open-eind"]
    programmas = {r["programma"]: r for r in bg.json("show", "--by", "programma")["programmas"]}
    assert programmas["natuur"]["lasten"]["2024"] == "0.00" and programmas["natuur"]["lasten"]["2025"] != "0.00"


def test_the_overviews_are_in_the_workbook_and_the_report_escaped(gemeente: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    gemeente("classify", gemeente.write("c.yaml", """
        classify:
          from: 2025
          programmas: [{id: veilig, name: "<script>alert(1)</script>"}]
        """))
    gemeente("export", str(tmp_path / "b.xlsx"))
    wb = load_workbook(tmp_path / "b.xlsx")
    rows = {r[1]: r for r in wb["Baten en lasten"].iter_rows(min_row=4, values_only=True)}
    assert Decimal(str(rows["Geraamd resultaat"][4])) == Decimal("-5000")
    assert [r[4] for r in wb["Structureel saldo"].iter_rows(min_row=4, values_only=True)] == ["nee", "nee"]
    gemeente("report", "--html", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h2>Overzicht van baten en lasten</h2>" in page and "Structureel begrotingssaldo" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_iv3_as_of_and_adopted_only(gemeente: Cli, tmp_path: Path) -> None:
    record(gemeente, "bw.yaml", """
        document: {id: bw-1, kind: begrotingswijziging, title: W, date: 2025-03-01}
        mutations:
          - {kind: wijziging, line: vz/brandweer, amounts: {2025: 1000}, reason: meer}
        """)
    contact = ("--contact-name", "P", "--contact-email", "p@gemeente.nl", "--contact-phone", "1")

    def brandweer(*extra: str) -> Decimal:
        gemeente("iv3", "--year", "2025", "--out", str(tmp_path / "x.json"), *contact, *extra)
        data = json.loads((tmp_path / "x.json").read_text(), parse_float=Decimal)["data"]["lasten"]
        return next(r["bedrag"] for r in data if (r["taakveld"], r["categorie"]) == ("1.1", "4.3.3"))

    assert brandweer() == Decimal("41000.00")
    assert brandweer("--adopted-only") == Decimal("40000.00")  # bw-1 is a proposal
    assert brandweer("--as-of", "begroting-2025") == Decimal("40000.00")


def test_a_documents_classification_problems_come_with_its_other_problems(gemeente: Cli) -> None:
    result = record(gemeente, "both.yaml", """
        document: {id: both, kind: begrotingswijziging, title: W, date: 2025-03-01}
        chart:
          - unit: vz
            name: Veiligheid
            lines:
              - {id: grond, name: Grond, type: lasten, cost: materieel, taakveld: "0.1", categorie: "3.1"}
        mutations:
          - {kind: wijziging, line: vz/grond, amounts: {2099: 50}, reason: x}
        """, ok=False)
    assert result.exit_code == 1
    assert "mutations.1.amounts.2099: year 2099 is outside the horizon" in result.output
    assert "chart.1.lines.1.taakveld: taakveld 0.1 × categorie 3.1 is a grijze cel" in result.output


# ---------------------------------------------------------------- the hostile review's findings


def test_iv3_never_writes_onto_the_ledger(gemeente: Cli, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("a PostgreSQL ledger has no files")
    for target in (str(gemeente.ledger), str(gemeente.ledger).replace(".db", ".views.db")):
        result = gemeente("iv3", "--year", "2025", "--out", target, "--contact-name", "a", "--contact-email",
                          "a@b.nl", "--contact-phone", "1", ok=False)
        assert result.exit_code == 1 and "--out" in result.output
    assert gemeente("verify").exit_code == 0


def test_the_social_domain_taakvelden_classify(gemeente: Cli) -> None:
    gemeente("classify", gemeente.write("wmo.yaml", """
        classify:
          from: 2025
          lines: [{line: vz/handhaving, taakveld: "6.711", categorie: "1.1"}]
        """))
    assert gemeente.json("explain", "--iv3", "6.711", "1.1", "--year", "2025")["lasten"] == "30000.00"


def test_only_a_reserve_line_sits_on_mutaties_reserves(gemeente: Cli) -> None:
    result = gemeente("classify", gemeente.write("c.yaml", """
        classify:
          from: 2025
          lines: [{line: fin/overhead, taakveld: "0.10", categorie: "7.1"}]
        """), ok=False)
    assert result.exit_code == 1 and "is only for a reserve line" in result.output


def forged(path: Path, change) -> None:
    """Append a copy of the last LinesClassified, changed, one second later, well chained."""
    from tests.forgery import rechain

    def append(rows):
        last = [r for r in rows if r[3] == "begroting:LinesClassified"][-1]
        state = json.loads(last[4])
        state = change(state)
        top = max(r[2] for r in rows if r[1] == last[1])
        return rows + [[len(rows) + 1, last[1], top + 1, last[3],
                        json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()]]

    rechain(path, append)


def test_verify_refuses_a_chart_classification_outside_its_documents_save(gemeente: Cli, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the forgery rewrites a SQLite file")
    forged(Path(gemeente.ledger), lambda s: {**s, "from_year": 2026, "programmas": [],
                                           "lines": [{**c, "programma": "veilig"} for c in s["lines"]]})
    result = gemeente("verify", ok=False)
    assert result.exit_code == 1 and "saved with" in result.output


def test_verify_refuses_a_classification_checked_against_another_years_list(gemeente: Cli, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the forgery rewrites a SQLite file")
    gemeente("classify", gemeente.write("c.yaml", """
        classify:
          from: 2026
          lines: [{line: vz/handhaving, programma: financien}]
        """))
    forged(Path(gemeente.ledger), lambda s: {**s, "list_year": 2024})
    result = gemeente("verify", ok=False)
    assert result.exit_code == 1 and "list" in result.output


def test_reserve_mutations_are_gross_per_part_and_the_verdicts_agree(bg: Cli) -> None:
    bg("init", "--organisation", "G", "--years", "2025-2025", "--overheidslaag", "gemeente")
    record(bg, "r.yaml", """
        document: {id: r, kind: begroting, title: R, date: 2024-11-01}
        chart:
          - unit: u
            name: U
            lines:
              - {id: b, name: B, type: baten, taakveld: "0.7", categorie: "4.3.1"}
              - {id: l, name: L, type: lasten, cost: personeel, taakveld: "0.1", categorie: "1.1"}
              - {id: r, name: R, type: reserve, opening_balance: 1000, taakveld: "0.10", categorie: "7.1"}
        mutations:
          - {kind: wijziging, line: u/b, amounts: {2025: 1000}, structural: true, reason: b}
          - {kind: wijziging, line: u/l, amounts: {2025: 950}, structural: true, reason: l}
          - {kind: reserve, line: u/r, amounts: {2025: 100}, structural: true, reason: toevoeging}
          - {kind: reserve, line: u/r, amounts: {2025: -300}, reason: onttrekking}
        """)
    o = bg.json("bbv", "--year", "2025")
    row = o["programmas"][0]
    assert (row["toevoegingen"], row["onttrekkingen"]) == ("100.00", "300.00")
    assert o["incidenteel"][0]["onttrekkingen"] == "300.00"
    balance = bg.json("balance", "--year", "2025")
    assert o["structureel_saldo"] == "-50.00" and o["structureel_evenwicht"] is False
    assert balance["in_balance"] is False and balance["structural_saldo"] == "-50.00"


def test_iv3_books_a_reserves_toevoegingen_and_onttrekkingen_apart(bg: Cli, tmp_path: Path) -> None:
    bg("init", "--organisation", "G", "--years", "2025-2025", "--overheidslaag", "gemeente")
    record(bg, "r.yaml", """
        document: {id: r, kind: begroting, title: R, date: 2024-11-01}
        chart:
          - unit: u
            name: U
            lines:
              - {id: r, name: R, type: reserve, opening_balance: 1000, taakveld: "0.10", categorie: "7.1"}
        mutations:
          - {kind: reserve, line: u/r, amounts: {2025: 100}, structural: true, reason: toevoeging}
          - {kind: reserve, line: u/r, amounts: {2025: -300}, reason: onttrekking}
        """)
    bg("iv3", "--year", "2025", "--out", str(tmp_path / "x.json"), "--contact-name", "a", "--contact-email", "a@b.nl",
       "--contact-phone", "1")
    data = json.loads((tmp_path / "x.json").read_text(), parse_float=Decimal)["data"]
    assert [(r["taakveld"], r["bedrag"]) for r in data["lasten"]] == [("0.10", Decimal("100.00"))]
    assert [(r["taakveld"], r["bedrag"]) for r in data["baten"]] == [("0.10", Decimal("300.00"))]


def test_a_document_keeps_its_effect_per_programma_as_recorded(gemeente: Cli) -> None:
    record(gemeente, "c.yaml", """
        document: {id: c, kind: begrotingswijziging, title: C, date: 2025-03-01}
        mutations:
          - {kind: wijziging, line: vz/handhaving, amounts: {2025: 7}, reason: x}
        """)
    before = gemeente.json("document", "c")["programmas"]
    gemeente("classify", gemeente.write("r.yaml", """
        classify:
          from: 2025
          lines: [{line: vz/handhaving, programma: financien}]
        """))
    assert gemeente.json("document", "c")["programmas"] == before
    assert before[0]["programma"] == "veilig"


def test_a_diff_by_programma_adds_up_when_a_line_gets_its_first_programma(bg: Cli) -> None:
    bg("init", "--organisation", "G", "--years", "2025-2025", "--overheidslaag", "gemeente")
    record(bg, "a.yaml", """
        document: {id: a, kind: begroting, title: A, date: 2024-11-01}
        programmas: [{id: p1, name: Een}]
        chart:
          - unit: u
            name: U
            lines: [{id: l, name: L, type: lasten, cost: personeel}]
        mutations:
          - {kind: wijziging, line: u/l, amounts: {2025: 100}, reason: x}
        """)
    bg("classify", bg.write("c.yaml", "classify: {from: 2025, lines: [{line: u/l, programma: p1}]}\n"))
    change = bg.json("diff", "a", str(bg.json("show")["position"]), "--by", "programma")["change"]
    assert {r["programma"]: r["lasten"]["2025"] for r in change} == {"p1": "100.00", "": "-100.00"}


def test_a_programma_keeps_the_name_it_had(gemeente: Cli) -> None:
    gemeente("classify", gemeente.write("c.yaml", "classify: {from: 2025, programmas: [{id: veilig, name: Veilig}]}\n"))
    names = {r["programma"]: r["name"] for r in gemeente.json("show", "--by", "programma", "--as-of",
                                                               "begroting-2025")["programmas"]}
    assert names["veilig"] == "Veiligheid"
    assert {r["programma"]: r["name"] for r in gemeente.json("show", "--by", "programma")["programmas"]}["veilig"] == "Veilig"


CLASSIFY_REFUSED = [
    ("classify: {from: 2025, lines: [{line: vz/handhaving, programma: veilig}, {line: vz/handhaving, programma: financien}]}",
     "classify.lines.2.line", "twice"),
    ("classify: {from: 2030, lines: [{line: vz/handhaving, programma: veilig}]}", "classify.from", "horizon"),
    ("organisation: {overheidsnummer: '12 34'}", "organisation.overheidsnummer", "not a CBS number"),
    ("organisation: {contact: {email: not an email}}", "organisation.contact.email", "e-mail"),
    ("classify: {from: 2025, programmas: [{id: veilig, name: A}, {id: veilig, name: B}]}", "classify.programmas.2.id",
     "twice"),
]


@pytest.mark.parametrize("text, where, message", CLASSIFY_REFUSED)
def test_a_bad_classify_file_names_its_field(gemeente: Cli, text: str, where: str, message: str) -> None:
    before = gemeente.event_count()
    result = gemeente("classify", gemeente.write("bad.yaml", text + "\n"), ok=False)
    assert result.exit_code == 1 and f"bad.yaml: {where}" in result.output and message in result.output
    assert gemeente.event_count() == before


def test_a_document_may_not_rename_a_programma(gemeente: Cli) -> None:
    result = record(gemeente, "x.yaml", """
        document: {id: x, kind: begrotingswijziging, title: X, date: 2025-02-01}
        programmas: [{id: veilig, name: Anders}]
        mutations:
          - {kind: wijziging, line: vz/handhaving, amounts: {2025: 1}, reason: x}
        """, ok=False)
    assert result.exit_code == 1 and "programmas.1.name" in result.output and "classify" in result.output


def test_the_contact_options_are_checked_as_text(gemeente: Cli, tmp_path: Path) -> None:
    for name, email in (("a\x1b[31m", "a@b.nl"), ("a", "a@b.nl\n")):
        result = gemeente("iv3", "--year", "2025", "--out", str(tmp_path / "x.json"), "--contact-name", name,
                          "--contact-email", email, "--contact-phone", "1", ok=False)
        assert result.exit_code == 1 and "--contact-" in result.output
    assert not (tmp_path / "x.json").exists()


def test_overheidsnummer_needs_an_overheidslaag(bg: Cli) -> None:
    result = bg("init", "--organisation", "O", "--years", "2025-2025", "--overheidsnummer", "0363", ok=False)
    assert result.exit_code == 1 and "--overheidslaag" in result.output


def test_a_line_without_an_amount_need_not_be_classified_for_iv3(gemeente: Cli, tmp_path: Path) -> None:
    record(gemeente, "w.yaml", """
        document: {id: w, kind: begrotingswijziging, title: W, date: 2025-02-01}
        chart:
          - unit: vz
            name: Veiligheid
            lines: [{id: nieuw, name: Nieuw, type: lasten, cost: materieel}]
        mutations:
          - {kind: wijziging, line: vz/nieuw, amounts: {2025: 10}, reason: x}
        """)
    gemeente("withdraw", "w", "--date", "2025-03-01", "--reason", "ingetrokken")
    gemeente("iv3", "--year", "2025", "--out", str(tmp_path / "x.json"), "--contact-name", "a", "--contact-email",
             "a@b.nl", "--contact-phone", "1")
