"""`export --format csv --dutch` (or `--sep ';' --decimal ,`): a CSV that Dutch Excel opens as
numbers, read back with an independent reader and checked to the cent against the plain CSV
(issue 18 item 10). Bad option combinations fail on one line, exit 1 and write nothing."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_core import VOORJAARSNOTA
from tests.test_exports import INJECT

BOM = b"\xef\xbb\xbf"
HEADER = ["unit", "unit_name", "line", "line_name", "type", "year", "amount"]

# Accents in names, a ';' inside a name (the Dutch separator), cents, a negative amount, and an
# amount above a thousand (so a thousands separator would show).
ACCENTS = """
document:
  id: bw-accent
  kind: begrotingswijziging
  title: Coördinatie
  date: 2025-08-01
chart:
  - unit: gamma
    name: Eenheid Café
    lines:
      - {id: coord, name: "Coördinatie; één loket", type: lasten, cost: materieel}
      - {id: naive, name: Naïeve baten, type: baten}
mutations:
  - kind: wijziging
    line: gamma/coord
    amounts: {2025: 1234567.89, 2026: -0.05, 2027: -4321.10}
    reason: Coördinatie
  - kind: wijziging
    line: gamma/naive
    amounts: {2025: 0.07}
    reason: Café
"""


@pytest.fixture
def ledger(kaderbrief: Cli) -> Cli:
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    kaderbrief.record("inject.yaml", INJECT)
    kaderbrief.record("accent.yaml", ACCENTS)
    return kaderbrief


def cents(amount: str, mark: str) -> int:
    """Whole cents from "-1234,56" (mark ',') or "-1234.56" (mark '.'), without floats; exactly
    two decimals, digits only before them."""
    match = re.fullmatch(rf"(-?)([0-9]+){re.escape(mark)}([0-9]{{2}})", amount)
    assert match, f"{amount!r} is not an amount with decimal mark {mark!r} and two decimals"
    sign, whole, rest = match.groups()
    return (-1 if sign else 1) * (int(whole) * 100 + int(rest))


def read(path: Path, delimiter: str) -> list[list[str]]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    return list(csv.reader(text.splitlines(), delimiter=delimiter))


def test_dutch_csv_has_semicolons_decimal_commas_a_bom_and_the_same_cents_as_the_plain_csv(ledger: Cli, tmp_path: Path):
    plain, dutch = tmp_path / "plain.csv", tmp_path / "nl.csv"
    ledger("export", str(plain))
    result = ledger("export", "--format", "csv", "--dutch", str(dutch))
    assert f"Wrote {dutch}." in result.stdout
    raw = dutch.read_bytes()

    assert raw.startswith(BOM) and not raw[3:].startswith(BOM)
    assert not plain.read_bytes().startswith(BOM)
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(HEADER)
    assert text.splitlines()[1].endswith(",00") and "\r\n" in text  # CRLF, as the plain CSV
    # The acceptance contract, read as it reads it (text mode: CRLF becomes \n).
    with open(dutch, encoding="utf-8-sig") as f:
        contract = f.read()
    assert ";" in contract.splitlines()[0]
    assert re.search(r"(^|;)-?[0-9.]+,[0-9]{2}(;|$)", contract, re.M)

    rows, plain_rows = read(dutch, ";"), read(plain, ",")
    assert rows[0] == HEADER and plain_rows[0] == HEADER
    assert len(rows) == len(plain_rows) > 1
    for row, plain_row in zip(rows[1:], plain_rows[1:], strict=True):
        assert len(row) == len(HEADER), row
        assert row[:-1] == plain_row[:-1]  # the texts and the year as in the plain CSV
        assert "." not in row[-1]  # no thousands separator, no decimal point
        assert cents(row[-1], ",") == cents(plain_row[-1], ".")

    # ... and to the cent what `show --json` says.
    show = ledger.json("show")
    expected = {(x["unit"], x["line"], y): int(Decimal(a) * 100) for x in show["lines"] for y, a in x["years"].items()}
    assert {(r[0], r[2], r[5]): cents(r[6], ",") for r in rows[1:]} == expected

    by_line = {(r[0], r[2], r[5]): r for r in rows[1:]}
    coord = by_line[("gamma", "coord", "2025")]
    assert coord[1] == "Eenheid Café" and coord[3] == "Coördinatie; één loket"  # accents and a ';' survive
    assert coord[6] == "1234567,89"
    assert by_line[("gamma", "coord", "2026")][6] == "-0,05"
    assert by_line[("gamma", "coord", "2027")][6] == "-4321,10"
    assert by_line[("gamma", "naive", "2025")][6] == "0,07"
    assert by_line[("gamma", "naive", "2025")][3] == "Naïeve baten"
    assert "Eenheid Café".encode() in raw  # UTF-8, not cp1252
    # The injection guard still holds in the Dutch CSV.
    assert next(r for r in rows if r[2] == "gevaar")[3] == "'=1+2"


def test_the_explicit_form_is_exactly_dutch_and_the_plain_csv_is_unchanged(ledger: Cli, tmp_path: Path):
    ledger("export", "--format", "csv", "--dutch", str(tmp_path / "nl.csv"))
    ledger("export", "--format", "csv", "--sep", ";", "--decimal", ",", str(tmp_path / "explicit.csv"))
    ledger("export", "--dutch", "--sep", ";", "--decimal", ",", str(tmp_path / "both.csv"))  # format from the name
    nl = (tmp_path / "nl.csv").read_bytes()
    assert (tmp_path / "explicit.csv").read_bytes() == nl
    assert (tmp_path / "both.csv").read_bytes() == nl

    # The defaults spelled out give today's plain CSV: comma, dot decimals, no BOM.
    ledger("export", str(tmp_path / "plain.csv"))
    ledger("export", "--format", "csv", "--sep", ",", "--decimal", ".", str(tmp_path / "defaults.csv"))
    plain = (tmp_path / "plain.csv").read_bytes()
    assert (tmp_path / "defaults.csv").read_bytes() == plain
    assert plain.decode("utf-8").splitlines()[0] == ",".join(HEADER)
    assert "1234567.89" in plain.decode("utf-8")
    # --bom on the plain CSV adds only the BOM.
    ledger("export", "--bom", str(tmp_path / "bom.csv"))
    assert (tmp_path / "bom.csv").read_bytes() == BOM + plain

    # Another separator with dot decimals (say a tab) reads back the same.
    ledger("export", "--sep", "\t", str(tmp_path / "tab.csv"))
    rows = read(tmp_path / "tab.csv", "\t")
    assert rows == read(tmp_path / "plain.csv", ",")


BAD = [
    (["--format", "json", "--dutch"], "x.json", "--dutch: only for --format csv"),
    (["--dutch"], "x.json", "--dutch: only for --format csv"),
    (["--format", "xlsx", "--sep", ";", "--decimal", ","], "x.xlsx", "--sep and --decimal: only for --format csv"),
    (["--format", "csv", "--sep", ";;"], "x.csv", "give exactly one character"),
    (["--format", "csv", "--sep", ""], "x.csv", "give exactly one character"),
    (["--format", "csv", "--sep", "\\t"], "x.csv", "give exactly one character"),
    (["--format", "csv", "--sep", '"', "--decimal", ","], "x.csv", "the quote character"),
    (["--format", "csv", "--sep", "\n", "--decimal", ","], "x.csv", "a line break"),
    (["--format", "csv", "--sep", ";", "--decimal", "x"], "x.csv", "--decimal 'x': give '.' or ','"),
    (["--format", "csv", "--sep", ";", "--decimal", ",,"], "x.csv", "give '.' or ','"),
    (["--format", "csv", "--sep", ";", "--decimal", ";"], "x.csv", "give '.' or ','"),
    (["--format", "csv", "--sep", ",", "--decimal", ","], "x.csv", "the separator cannot be the decimal mark"),
    (["--format", "csv", "--sep", ".", "--decimal", "."], "x.csv", "the separator cannot be the decimal mark"),
    (["--format", "csv", "--sep", "."], "x.csv", "the separator cannot be the decimal mark"),
    (["--format", "csv", "--decimal", ","], "x.csv", "give a --sep too"),
    (["--format", "csv", "--dutch", "--sep", ","], "x.csv", "--dutch means --sep ';' --decimal ','"),
    (["--format", "csv", "--dutch", "--decimal", "."], "x.csv", "--dutch means --sep ';' --decimal ','"),
]


@pytest.mark.parametrize(("options", "name", "message"), BAD, ids=[" ".join(o) for o, _, _ in BAD])
def test_bad_options_fail_on_one_line_with_exit_1_and_write_nothing(kaderbrief: Cli, tmp_path: Path,
                                                                     options: list[str], name: str, message: str):
    target = tmp_path / name
    result = kaderbrief("export", *options, str(target), ok=False)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not target.exists()

    # An existing file stays as it was, and no temporary file is left beside it.
    target.write_text("the previous export\n")
    assert kaderbrief("export", *options, str(target), ok=False).exit_code == 1
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []


def test_a_dutch_csv_never_overwrites_the_ledger_and_replaces_an_old_export_whole(tmp_path: Path):
    bg = Cli(tmp_path / "ledger.db", tmp_path)
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("accent.yaml", ACCENTS)
    before = (tmp_path / "ledger.db").read_bytes()
    for target in ("ledger.db", "ledger.views.db", "ledger.db-wal"):
        result = bg("export", "--format", "csv", "--dutch", str(tmp_path / target), ok=False)
        assert result.exit_code == 1 and "refused" in result.stderr and len(result.stderr.splitlines()) == 1
    assert (tmp_path / "ledger.db").read_bytes() == before
    bg("show")

    old = tmp_path / "nl.csv"
    old.write_text("the previous export\n")
    bg("export", "--format", "csv", "--dutch", str(old))
    assert old.read_bytes().startswith(BOM + b"unit;unit_name;")
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_export_filters_by_year_and_unit(tmp_path):
    """Issue 18 item 1: --year and --unit narrow an xlsx or csv export (json is the whole
    ledger and refuses them); a unit that does not exist is refused and nothing is written."""
    import csv as csvlib

    from openpyxl import load_workbook

    demo = Cli(tmp_path / "demo.db", tmp_path)
    demo("demo")
    path = tmp_path / "ninb.csv"
    demo("export", str(path), "--unit", "ninb", "--year", "2025")
    rows = list(csvlib.DictReader(path.open(encoding="utf-8")))
    assert rows and {(r["unit"], r["year"]) for r in rows} == {("ninb", "2025")}
    book = tmp_path / "ninb.xlsx"
    demo("export", str(book), "--unit", "ninb", "--year", "2024", "--year", "2025")
    wb = load_workbook(book)
    assert {"2024", "2025"} <= set(wb.sheetnames) and "2026" not in wb.sheetnames
    muts = wb["Mutaties"]
    assert all("ninb/" in (row[6].value or "") for row in muts.iter_rows(min_row=2))
    one = tmp_path / "line.csv"
    demo("export", str(one), "--line", "ninb/personeel")
    rows = list(csvlib.DictReader(one.open(encoding="utf-8")))
    assert {(r["unit"], r["line"]) for r in rows} == {("ninb", "personeel")} and len(rows) == 4
    lined = tmp_path / "line.xlsx"
    demo("export", str(lined), "--line", "ninb/personeel", "--year", "2024")
    wb = load_workbook(lined)
    texts = {c.value for row in wb["2024"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "Personele kosten" in " ".join(texts) and not any("Uitvoeringskosten" in t for t in texts)
    wrong = demo("export", str(tmp_path / "x.csv"), "--unit", "nope", ok=False)
    assert wrong.exit_code == 1 and "closest" in wrong.output and not (tmp_path / "x.csv").exists()
    refused = demo("export", str(tmp_path / "x.json"), "--year", "2024", ok=False)
    assert refused.exit_code == 1 and "whole ledger" in refused.output and not (tmp_path / "x.json").exists()


def test_a_line_of_another_unit_is_refused_and_an_empty_workbook_has_no_formula_over_itself(tmp_path):
    """Hostile review, stop 24: `--unit gbo --line ninb/personeel` contradicts itself and is
    refused (export, history, show, diff); a ledger without lines exports totals of zero, not a
    SUMIF whose range holds its own cell (a circular reference in Excel)."""
    from openpyxl import load_workbook

    demo = Cli(tmp_path / "demo.db", tmp_path)
    demo("demo")
    for args in (("export", str(tmp_path / "x.csv")), ("history",), ("show",),
                 ("diff", "kaderbrief-2024", "begroting-2024")):
        wrong = demo(*args, "--unit", "gbo", "--line", "ninb/personeel", ok=False)
        assert wrong.exit_code == 1 and "is not a line of --unit 'gbo'" in wrong.output, args
    assert not (tmp_path / "x.csv").exists()
    empty = Cli(tmp_path / "empty.db", tmp_path)
    empty("init", "--organisation", "O", "--years", "2025-2026")
    empty("export", str(tmp_path / "empty.xlsx"))
    sheet = load_workbook(tmp_path / "empty.xlsx")["2025"]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                assert cell.coordinate not in cell.value.replace("$", ""), (cell.coordinate, cell.value)


def test_an_export_of_some_years_lists_the_mutations_that_count_in_them(tmp_path):
    """Hostile review, stop 24: `export --year 2025` lists the mutations that count in 2025 —
    structural ones named in 2024 carry into it, an incidental 2024 amount does not."""
    from openpyxl import load_workbook

    demo = Cli(tmp_path / "demo.db", tmp_path)
    demo("demo")
    demo("export", str(tmp_path / "gbo.xlsx"), "--unit", "gbo", "--year", "2025")
    listed = {row[1].value for row in load_workbook(tmp_path / "gbo.xlsx")["Mutaties"].iter_rows(min_row=2)}
    assert "begroting-2024/12" in listed  # web-bvb: structural, 2024 on
    assert "begroting-2024/17" not in listed  # risicokaart: 2024 only
    demo("export", str(tmp_path / "all.xlsx"), "--unit", "gbo")
    every = {row[1].value for row in load_workbook(tmp_path / "all.xlsx")["Mutaties"].iter_rows(min_row=2)}
    assert "begroting-2024/17" in every and listed < every
