"""Exports read back by independent readers (openpyxl, csv, json, Chromium), checked to the
cent against `show --json`; formula injection and markup injection neutralised; reconcile."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_core import VOORJAARSNOTA

INJECT = """
document:
  id: bw-inject
  kind: begrotingswijziging
  title: "=HYPERLINK(\\"http://x\\",\\"klik\\")"
  date: 2025-07-01
chart:
  - unit: beta
    name: Eenheid Beta
    lines:
      - {id: gevaar, name: "=1+2", type: lasten, cost: materieel}
mutations:
  - kind: wijziging
    line: beta/personeel
    amounts: {2025: 1234.56}
    reason: "=cmd|' /C calc'!A0"
    reference: "+1+1"
  - kind: wijziging
    line: beta/gevaar
    amounts: {2026: 10}
    reason: "<script>alert(1)</script><img src=x onerror=alert(2)>"
    reference: "@SUM(A1)"
"""


@pytest.fixture
def ledger(kaderbrief) -> Cli:
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    kaderbrief.record("inject.yaml", INJECT)
    return kaderbrief


def figures(show: dict) -> dict[tuple[str, str, str], Decimal]:
    return {(x["unit"], x["line"], y): Decimal(a) for x in show["lines"] for y, a in x["years"].items()}


def test_xlsx_has_every_figure_as_a_number_subtotals_as_formulas_and_a_trail_per_cell(ledger, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "b.xlsx"
    ledger("export", "--format", "xlsx", str(path))
    show = ledger.json("show")
    wb = load_workbook(path)
    assert set(wb.sheetnames) == {"2025", "2026", "2027", "Meerjarig", "Documenten", "Mutaties", "Mutatieregels", "Reserves"}
    names = {(x["unit_name"], x["line_name"]): (x["unit"], x["line"]) for x in show["lines"]}
    for year in show["years"]:
        ws = wb[year]
        seen, cells = {}, {}
        for row in ws.iter_rows(min_row=4):
            unit_name, line_name, kind, amount = (c.value for c in row[:4])
            cells[row[3].coordinate] = (kind, amount)
            if (unit_name, line_name) in names and kind in ("lasten", "baten", "reserve"):
                assert isinstance(amount, (int, float)) and row[3].number_format.startswith('"€"')
                seen[names[(unit_name, line_name)]] = Decimal(str(amount)).quantize(Decimal("0.01"))
                assert row[3].comment is not None
        assert seen == {(u, line): a for (u, line, y), a in figures(show).items() if y == year}
        # Subtotal formulas, recomputed here as Excel would, equal the ledger's unit totals.
        units = {u["unit_name"]: Decimal(u["lasten"][year]) for u in show["units"]}
        for row in ws.iter_rows(min_row=4):
            formula = row[3].value
            if isinstance(formula, str) and formula.startswith("=SUMIF") and row[1].value == "Totaal lasten":
                first, last = map(int, re.findall(r"C(\d+)", formula))
                total = sum(Decimal(str(cells[f"D{r}"][1])) for r in range(first, last + 1) if cells[f"D{r}"][0] == "lasten")
                assert total.quantize(Decimal("0.01")) == units[row[0].value]
    # The comment lists the mutations behind the cell, like explain.
    ws = wb["2025"]
    cell = next(r[3] for r in ws.iter_rows(min_row=4) if r[0].value == "Eenheid Alpha" and r[1].value == "Personele kosten")
    assert "kb-2025/1 wijziging € 1.000.000 (§1)" in cell.comment.text and "vjn-2025/1 correctie" in cell.comment.text
    assert [c.value for c in wb["Documenten"][1]][:3] == ["document", "soort", "titel"]
    assert wb["Documenten"].max_row == 4 and wb["Mutaties"].max_row == 1 + 4 + 4 + 2


def test_xlsx_never_stores_document_text_as_a_formula(ledger, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "b.xlsx"
    ledger("export", str(path))
    wb = load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert c.value.startswith(("=SUMIF(", "=D")), f"{ws.title}!{c.coordinate} is a formula: {c.value}"
                elif c.data_type == "s":
                    texts.append(c.value)
    assert "=cmd|' /C calc'!A0" in texts and "+1+1" in texts and "=1+2" in texts and "@SUM(A1)" in texts
    assert any(t.startswith("=HYPERLINK") for t in texts)


def test_csv_has_a_row_per_line_and_year_with_dot_decimals_and_an_injection_guard(ledger, tmp_path):
    path = tmp_path / "b.csv"
    ledger("export", str(path), "--bom")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    show = ledger.json("show")
    assert {(r["unit"], r["line"], r["year"]): Decimal(r["amount"]) for r in rows} == figures(show)
    assert len(rows) == len(show["lines"]) * 3
    assert next(r for r in rows if r["line"] == "gevaar")["line_name"] == "'=1+2"
    assert "481234.56" in raw.decode("utf-8-sig")
    ledger("export", str(tmp_path / "plain.csv"))
    assert not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_json_export_round_trips_into_an_empty_ledger(ledger, tmp_path):
    ledger("key", "set", ledger.write("k.yaml", "key: {id: k, from: 2025, participants: [{name: A, percentage: 60}, {name: B, percentage: 40}]}"))
    ledger("withdraw", "bw-inject", "--reason", "Test")
    ledger("extend", "--to", "2028")
    ledger.record("idx.yaml", """
        document: {id: idx, kind: begrotingswijziging, title: Indexatie, date: 2025-09-01}
        mutations: [{kind: indexatie, year: 2025, rates: {personeel: 5.2, materieel: 3.9}, structural: true}]
        """)
    path = tmp_path / "b.json"
    ledger("export", str(path))
    data = json.loads(path.read_text())
    show = ledger.json("show")
    assert (data["lines"], data["units"], data["totals"]) == (show["lines"], show["units"], show["totals"])
    assert [d["document"] for d in data["documents"]] == ["kb-2025", "vjn-2025", "bw-inject", "idx"]
    assert len(data["mutations"]) == 4 + 4 + 2 + 1

    copy = Cli(tmp_path / "copy.db", tmp_path)
    assert "Imported" in copy("import", str(path)).stdout
    again = copy.json("show")
    assert (again["lines"], again["units"], again["totals"]) == (show["lines"], show["units"], show["totals"])
    assert copy.json("contributions", "--year", "2026") == ledger.json("contributions", "--year", "2026")
    assert [r["kind"] for r in copy.json("history")] == [r["kind"] for r in ledger.json("history")]


def chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium package")
    return found


def test_html_report_renders_shows_trails_on_click_and_runs_no_injected_markup(ledger, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    ledger("report", "--html", str(path))
    text = path.read_text()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not re.search(r"""<(script|img|iframe|link)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", text)
    digest = ledger("digest").stdout.strip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        # The tables render with the figures of show --json.
        assert page.locator("#begroting tbody tr").count() > 10
        assert "481.234,56" in page.locator("#begroting").inner_text()
        assert page.locator("#digest").inner_text() == digest
        assert page.locator("#documenten tbody tr").count() == 3
        assert page.locator("figure svg").count() == 2
        # Clicking a figure shows its trail.
        link = page.locator("a.figure", has_text="481.234,56")
        anchor = link.get_attribute("href")
        assert not page.locator(anchor).is_visible()
        link.click()
        trail = page.locator(anchor)
        assert trail.is_visible() and "kb-2025/3" in trail.inner_text() and "bw-inject/1" in trail.inner_text()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        # Injected markup shows as text and runs nothing.
        page.goto(path.as_uri() + "#trail-beta-gevaar-2026")
        assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in page.locator("#trail-beta-gevaar-2026").inner_text()
        page.wait_for_timeout(300)
        b.close()
    assert dialogs == []
    assert all(u.startswith("file://") for u in requests)
    assert (tmp_path / "report.png").stat().st_size > 10_000


PUBLISHED = Path(__file__).parent / "data" / "bij12-2024-published.csv"


def test_the_demo_reconciles_clean_against_the_seeds_published_tables(tmp_path):
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    result = bg.json("reconcile", str(PUBLISHED))
    assert result["mismatches"] == 0 and result["warnings"] == 0 and len(result["rows"]) >= 23 + 7
    # Figures the seed gives in millions (53,9 and 57,16) agree to the precision published.
    rounded = {r["figure"]: r for r in result["rows"] if r["status"] == "rounded"}
    assert set(rounded) == {"faunazaken/open-eind", "faunazaken"}
    assert rounded["faunazaken/open-eind"]["ledger"] == "53916908.00"
    assert all(r["status"] == "ok" for r in result["rows"] if r["figure"] not in rounded)


def test_a_figure_in_millions_is_compared_at_the_precision_it_was_published(tmp_path):
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    table = bg.write("mln.csv", "unit,line,year,amount,measure\n"
                                "faunazaken,open-eind,2024,53.92,millions\n"    # 53.916.908 rounds to 53,92
                                "faunazaken,open-eind,2024,53.91,millions\n"    # … not to 53,91
                                "faunazaken,open-eind,2024,53917,thousands\n")  # … and to 53.917 thousand
    rows = json.loads(bg("reconcile", table, "--json", ok=False).stdout)["rows"]
    assert [r["status"] for r in rows] == ["rounded", "mismatch", "rounded"]
    text = bg("reconcile", table, ok=False).stdout
    assert "53,92 mln" in text and "€ 53.916.908" in text and "53917" not in text and "53.917 duizend" in text


def test_reconcile_reports_a_real_mismatch_and_exits_1(tmp_path):
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    wrong = bg.write("wrong.csv", "unit,line,year,amount,measure\nfaunazaken,aewa,2024,284866,\nfaunazaken,open-eind,2024,53.9,millions\n")
    result = bg("reconcile", wrong, ok=False)
    assert result.exit_code == 1 and "mismatch" in result.stdout
    assert bg("reconcile", wrong, "--tolerance", "1").exit_code == 0  # within one euro / one million
    bad = bg.write("bad.csv", "unit,year,amount\nfaunazaken,2024,1\n")
    assert "column line: is missing" in bg("reconcile", bad, ok=False).stderr


def test_a_long_cell_history_lists_the_latest_steps_and_brings_the_rest_forward(kaderbrief, tmp_path):
    from openpyxl import load_workbook

    mutations = "".join(f"  - {{kind: wijziging, line: alpha/personeel, amounts: {{2025: {n}}}}}\n" for n in range(1, 45))
    kaderbrief.record("many.yaml", "document: {id: many, kind: begrotingswijziging, title: M, date: 2025-02-01}\nmutations:\n" + mutations)
    path = tmp_path / "b.xlsx"
    kaderbrief("export", str(path))
    ws = load_workbook(path)["2025"]
    comment = next(r[3] for r in ws.iter_rows(min_row=4) if r[0].value == "Eenheid Alpha" and r[1].value == "Personele kosten").comment.text
    lines = comment.splitlines()
    assert lines[0].startswith("5 eerdere stappen samen: € 1.000.010")
    assert len(lines) == 41 and lines[-1] == "many/44 wijziging € 44"


def test_a_long_trail_in_the_html_report_brings_its_earlier_steps_forward(kaderbrief, tmp_path):
    from cli.exports import MAX_REPORT_STEPS

    n = MAX_REPORT_STEPS + 5
    mutations = "".join(f"  - {{kind: wijziging, line: alpha/personeel, amounts: {{2025: {k}}}}}\n" for k in range(1, n + 1))
    kaderbrief.record("many.yaml", "document: {id: many, kind: begrotingswijziging, title: M, date: 2025-02-01}\nmutations:\n" + mutations)
    path = tmp_path / "report.html"
    kaderbrief("report", "--html", str(path))
    text = path.read_text()
    trail = text[text.index("<section class='trail' id='trail-alpha-personeel-2025'>"):]
    trail = trail[:trail.index("</section>")]
    earlier = re.search(r"<tr class='earlier'><td colspan='5'>(\d+) eerdere stappen", trail)
    kept = re.findall(r"many/(\d+)<br>", trail)
    # The kaderbrief's own step and the first five of `many` are brought forward; the rest listed.
    assert earlier and int(earlier.group(1)) == 6
    assert kept == [str(k) for k in range(6, n + 1)] and len(kept) == MAX_REPORT_STEPS
    assert "begroting explain alpha/personeel --year 2025 --all" in trail


def test_agreement_by_rounding_is_counted_shown_and_can_be_refused(tmp_path):
    """A figure published as "0" millions agrees with anything under half a million: the
    reconciliation counts such rows apart, and --strict refuses agreement by rounding, so an
    auditor's --tolerance is then the only allowance (hostile review, stop 24)."""
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    table = bg.write("coarse.csv", "unit,line,year,amount,measure\nninb,personeel,2024,4,millions\n"
                                   "faunazaken,open-eind,2024,53.9,millions\n")
    loose = json.loads(bg("reconcile", table, "--json").stdout)
    assert [r["status"] for r in loose["rows"]] == ["rounded", "rounded"] and loose["rounded"] == 2
    strict = bg("reconcile", table, "--strict", "--json", ok=False)
    assert strict.exit_code == 1 and json.loads(strict.stdout)["mismatches"] == 2
    within = json.loads(bg("reconcile", table, "--strict", "--tolerance", "0.2", "--json").stdout)
    assert [r["status"] for r in within["rows"]] == ["warning", "warning"] and within["mismatches"] == 0
