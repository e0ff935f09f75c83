"""The workbook and the audit report of the demo begroting (BIJ12 2024-2027), read back by
openpyxl and as HTML text: the multi-year sheet and the te dekken rows agree to the cent with
`show --json` and `balance --json`, the reserves with `reserves --json`, a shift's two legs
are in the workbook, every table has a frozen header and a filter, dates are dates, and
nothing is left in English."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli

ENGLISH = re.compile(r"\b(brought forward|key in force|earlier mutations|no mutations|adopted|proposed|withdrawn|"
                     r"unavailable|not available)\b", re.I)
TABLE_SHEETS = ("2024", "2025", "2026", "2027", "Meerjarig", "Documenten", "Mutaties", "Mutatieregels", "Reserves")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Cli, Path, Path]:
    """The demo ledger, its workbook and its report, made once for these tests."""
    folder = tmp_path_factory.mktemp("demo")
    bg = Cli(folder / "demo.db", folder)
    bg("demo")
    bg("export", "--format", "xlsx", str(folder / "demo.xlsx"))
    bg("report", "--html", str(folder / "demo.html"))
    return bg, folder / "demo.xlsx", folder / "demo.html"


@pytest.fixture(scope="module")
def wb(demo):
    from openpyxl import load_workbook

    return load_workbook(demo[1])


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def rows_by_label(ws, column: int = 2) -> dict[str, tuple]:
    """The summary rows of a sheet by their label (no unit in column A)."""
    return {row[column - 1].value: row for row in ws.iter_rows(min_row=4) if row[0].value is None and row[column - 1].value}


def expected_totals(balance: dict) -> dict[str, Decimal]:
    """Lasten, baten, mutatie reserves, saldo and te dekken as `balance --json` gives them; a
    joint body's (the demo's) baten there include its participants' contributions, which are
    what it has to cover, not baten lines of the sheet."""
    lasten = Decimal(balance["structural_lasten"]) + Decimal(balance["incidental_lasten"])
    baten = Decimal(balance["structural_baten"]) + Decimal(balance["incidental_baten"])
    baten -= Decimal(balance.get("structural_contributions", 0)) + Decimal(balance.get("incidental_contributions", 0))
    reserves = Decimal(balance["reserves"])
    return {"Lasten": lasten, "Baten": baten, "Mutatie reserves": reserves, "Saldo": baten - lasten,
            "Te dekken": lasten - baten + reserves}


def label(rows: dict[str, tuple], start: str) -> tuple:
    found = [row for text, row in rows.items() if text.startswith(start)]
    assert len(found) == 1, f"one row starting {start!r}, found {len(found)}"
    return found[0]


def test_the_multi_year_sheet_has_every_year_side_by_side_with_show_and_balance_to_the_cent(demo, wb):
    bg = demo[0]
    show = bg.json("show")
    ws = wb["Meerjarig"]
    heads = [c.value for c in ws[3]]
    assert heads == ["Eenheid", "Regel", "Soort", "2024", "2025", "2026", "2027"]
    # Every line, every year, as show has it.
    names = {(x["unit_name"], x["line_name"]): x["years"] for x in show["lines"]}
    seen = {}
    for row in ws.iter_rows(min_row=4):
        if (row[0].value, row[1].value) in names:
            seen[(row[0].value, row[1].value)] = {h: str(cents(c.value)) for h, c in zip(heads[3:], row[3:], strict=True)}
    assert seen == names
    # Each unit's baten total, as show has it.
    units = {u["unit_name"]: u for u in show["units"]}
    baten = [row for row in ws.iter_rows(min_row=4) if row[1].value == "Totaal baten"]
    assert baten and all(cents(c.value) == Decimal(units[row[0].value]["baten"][h])
                         for row in baten for h, c in zip(heads[3:], row[3:], strict=True))
    # The totals down to te dekken, per year, as balance --json and show --json give them.
    rows = rows_by_label(ws)
    for col, year in enumerate(heads[3:], start=3):
        expected = expected_totals(bg.json("balance", "--year", year))
        for start, amount in expected.items():
            assert cents(label(rows, start)[col].value) == amount, (start, year)
        assert expected["Te dekken"] == Decimal(show["totals"]["te_dekken"][year])
    assert cents(label(rows, "Te dekken")[3].value) == Decimal("97597339.00")  # 2024, as the demo prints it
    assert cents(label(rows, "Mutatie reserves")[3].value) == Decimal("-300000.00")


def sumif(ws, formula: str) -> Decimal:
    """Excel's SUMIF over our own subtotal formulas, as openpyxl does not compute them."""
    kinds, kind, amounts = re.fullmatch(r'=SUMIF\((C\d+:C\d+),"(\w+)",(D\d+:D\d+)\)', formula).groups()
    pairs = zip((c[0].value for c in ws[kinds]), (c[0].value for c in ws[amounts]), strict=True)
    return sum((Decimal(str(a)) for k, a in pairs if k == kind), Decimal(0))


def test_every_year_sheet_ends_in_te_dekken_and_its_formulas_give_balance_to_the_cent(demo, wb):
    bg = demo[0]
    for year in ("2024", "2025", "2026", "2027"):
        ws = wb[year]
        rows = rows_by_label(ws)
        d = {start: label(rows, start)[3] for start in ("Lasten", "Baten", "Mutatie reserves", "Saldo", "Te dekken")}
        values = {k: sumif(ws, d[k].value) for k in ("Lasten", "Baten", "Mutatie reserves")}
        assert d["Saldo"].value == f"=D{d['Baten'].row}-D{d['Lasten'].row}"
        assert d["Te dekken"].value == f"=D{d['Lasten'].row}-D{d['Baten'].row}+D{d['Mutatie reserves'].row}"
        values["Saldo"] = values["Baten"] - values["Lasten"]
        values["Te dekken"] = values["Lasten"] - values["Baten"] + values["Mutatie reserves"]
        assert {k: v.quantize(Decimal("0.01")) for k, v in values.items()} == expected_totals(
            bg.json("balance", "--year", year))
        assert "= te dekken € " in d["Te dekken"].comment.text


def test_the_reserves_sheet_has_the_verloop_of_reserves_json(demo, wb):
    bg = demo[0]
    ws = wb["Reserves"]
    assert [c.value for c in ws[3]][:8] == ["Eenheid", "Reserve", "Jaar", "Regel", "Beginsaldo", "Toevoegingen",
                                            "Onttrekkingen", "Eindsaldo"]
    for year in ("2024", "2025"):
        (reserve,) = bg.json("reserves", "--year", year)
        (row,) = [r for r in ws.iter_rows(min_row=4) if r[1].value == reserve["name"] and r[2].value == int(year)
                  and r[3].value == "verloop"]
        assert [cents(c.value) for c in row[4:8]] == [Decimal(reserve[k]) for k in ("opening", "toevoegingen",
                                                                                   "onttrekkingen", "closing")]
    (moved,) = [r for r in ws.iter_rows(min_row=4) if r[3].value == "onttrekking"]
    assert moved[8].value == "begroting-2024/18" and moved[10].value == "vastgesteld"
    assert cents(moved[6].value) == Decimal("-300000.00") and moved[2].value == 2024


def test_the_mutatieregels_sheet_has_both_legs_of_a_shift(demo, wb):
    bg = demo[0]
    shift = next(r for r in bg.json("history") if r["kind"] == "verschuiving" and len(r["legs"]) == 2)
    mutation = f"{shift['document']}/{shift['seq']}"
    ws = wb["Mutatieregels"]
    assert [c.value for c in ws[1]][:8] == ["positie", "mutatie", "soort", "status", "regel", "naam", "jaar", "bedrag"]
    rows = {(r[4].value, r[6].value): cents(r[7].value) for r in ws.iter_rows(min_row=2) if r[1].value == mutation}
    legs = {(leg["line"], int(y)): Decimal(a) for leg in shift["legs"] for y, a in leg["amounts"].items()}
    assert rows == legs and len({line for line, _ in rows}) == 2
    assert sum(rows.values()) == 0  # a shift nets to zero
    # Every mutation's every leg and year is there.
    expected = sum(len(leg["amounts"]) for r in bg.json("history") if "legs" in r for leg in r["legs"])
    assert ws.max_row - 1 == expected


def test_every_table_sheet_freezes_its_header_and_has_a_filter(wb):
    for name in TABLE_SHEETS:
        ws = wb[name]
        header = 1 if name in ("Documenten", "Mutaties", "Mutatieregels") else 3
        assert ws.freeze_panes is not None and int(re.sub(r"\D", "", ws.freeze_panes)) == header + 1, name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{header}:"), name
        first, last = ws.auto_filter.ref.split(":")
        assert int(re.sub(r"\D", "", last)) > header, name


def test_dates_in_documenten_and_mutaties_are_real_dates(demo, wb):
    bg = demo[0]
    docs = wb["Documenten"]
    heads = [c.value for c in docs[1]]
    (row,) = [r for r in docs.iter_rows(min_row=2) if r[0].value == "kaderbrief-2024"]
    when = row[heads.index("datum")]
    (document,) = bg.json("sql", "select date, recorded_at from documents where document = 'kaderbrief-2024'")
    assert isinstance(when.value, (date, datetime)) and when.is_date
    assert when.value.date().isoformat() == document["date"] and when.number_format == "dd-mm-yyyy"
    recorded = row[heads.index("vastgelegd (UTC)")]
    assert isinstance(recorded.value, datetime) and recorded.is_date
    assert recorded.value.isoformat()[:19] == document["recorded_at"][:19]
    assert row[heads.index("status")].value == "vastgesteld"
    muts = wb["Mutaties"]
    heads = [c.value for c in muts[1]]
    assert all(isinstance(r[heads.index("vastgelegd (UTC)")].value, datetime) for r in muts.iter_rows(min_row=2))
    assert {r[heads.index("status")].value for r in muts.iter_rows(min_row=2)} == {"vastgesteld"}


def test_a_cell_comment_lists_each_step_with_its_reason_and_is_sized_to_its_text(demo, wb):
    bg = demo[0]
    explained = bg.json("explain", "expertiseteam/personeel", "--year", "2024")
    ws = wb["2024"]
    unit_name, line_name = explained["name"].split("/", 1)
    (cell,) = [r[3] for r in ws.iter_rows(min_row=4) if (r[0].value, r[1].value) == (unit_name, line_name)]
    assert cell.comment is not None and len(explained["steps"]) > 1
    for step in explained["steps"]:
        assert " ".join(step["reason"].split()) in cell.comment.text
    assert "verschuiving € 444.000" in cell.comment.text
    # The VML Excel draws the comments from: sizes follow the text, not one default box.
    with zipfile.ZipFile(demo[1]) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    sizes = set(re.findall(r"width:(\d+)px;height:(\d+)px", vml))
    assert len(sizes) > 3 and all(160 <= int(w) <= 520 and 40 <= int(h) <= 720 for w, h in sizes)


def test_a_comment_grows_with_its_text_within_bounds():
    from cli.workbook import comment

    short, long = comment("kb/1 wijziging € 5"), comment("\n".join(["x" * 200] * 10))
    assert short.width < long.width <= 520 and short.height < long.height <= 720


def test_amounts_carry_the_euro_format_with_the_minus_after_the_euro_sign(wb):
    from cli.exports import EURO_FORMAT

    positive, negative = EURO_FORMAT.split(";")
    assert positive == '"€" #,##0.00' and negative == '[Red]"€" -#,##0.00'
    saldo = label(rows_by_label(wb["Meerjarig"]), "Saldo")[3]
    assert saldo.value < 0 and saldo.number_format == EURO_FORMAT


def test_nothing_in_the_workbook_is_left_in_english(wb):
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                for text in (c.value if isinstance(c.value, str) else None, c.comment.text if c.comment else None):
                    if text and ENGLISH.search(text):
                        found.append((ws.title, c.coordinate, ENGLISH.search(text).group(0)))
    assert found == []


def visible_text(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_the_report_shows_reserves_te_dekken_and_links_every_figure_back_and_forth(demo):
    from projections.notation import euro

    bg, _, path = demo
    page = path.read_text(encoding="utf-8")
    show = bg.json("show")
    ids = set(re.findall(r"\bid='([^']+)'", page))
    targets = re.findall(r"href='#([^']+)'", page)
    assert targets and set(targets) <= ids
    # Lasten, Baten, Saldo, Mutatie reserves and Te dekken, in that order, each year a link.
    grand = re.findall(r"<tr class='grand' id='rij-([\w-]+)'><td>([^<]+)</td>(.*?)</tr>", page)
    assert [k for k, _, _ in grand] == ["lasten", "baten", "saldo", "reserves", "te-dekken"]
    te_dekken = grand[-1][2]
    for year, amount in show["totals"]["te_dekken"].items():
        cents_ = int(Decimal(amount) * 100)
        assert f"href='#totaal-te-dekken-{year}'>" in te_dekken and euro(cents_) in te_dekken
        # … and its make-up: minus the saldo plus the reserves.
        section = page[page.index(f"<section class='trail' id='totaal-te-dekken-{year}'>"):]
        section = section[:section.index("</section>")]
        assert f"href='#totaal-saldo-{year}'" in section and f"href='#totaal-reserves-{year}'" in section
        assert f"href='#cel-totaal-te-dekken-{year}'>terug naar de tabel" in section
    # Every trail or make-up links back to the cell of its figure.
    sections = re.findall(r"<section class='trail' id='([^']+)'>.*?<a class='terug' href='#([^']+)'>terug naar de tabel",
                          page, flags=re.S)
    assert len(sections) == page.count("<section class='trail'") and all(back == f"cel-{a}" for a, back in sections)
    # Unit totals are links too: a unit's baten to its baten lines.
    assert "<tr class='total'><td>Totaal baten</td>" in page and "<tr class='total'><td>Totaal mutatie reserves</td>" in page
    assert "href='#eenheid-ninb-baten-2024'" in page and "href='#eenheid-ninb-lasten-2024'" in page
    # The verloop of the reserves.
    reserve = bg.json("reserves", "--year", "2024")[0]
    row = re.search(r"<tr class='reserve total' id='reserve-ninb-reserve-vegetatiekarteringen-2024'>(.*?)</tr>", page)
    assert row and [euro(int(Decimal(reserve[k]) * 100)) for k in ("opening", "toevoegingen", "onttrekkingen", "closing")] \
        == re.findall(r"<span[^>]*>([^<]+)</span>", row.group(1))
    assert "onttrekking begroting-2024/18" in page
    # All in Dutch.
    assert not ENGLISH.search(visible_text(page)), ENGLISH.search(visible_text(page))
