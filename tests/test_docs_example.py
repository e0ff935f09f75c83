"""docs/contributions.md works through GR Voorbeeld (three made-up gemeenten): this test runs
its commands on a fresh ledger and holds every figure the doc states against the ledger's."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Cli, FreshDatabase

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "contributions.md"
FILES = ROOT / "docs" / "example-gr"
GEMEENTEN = ("Gemeente Aa", "Gemeente Bee", "Gemeente Cee")
# The doc's columns, in order, and the documents they stand for.
DOCUMENTS = ("bw-1-2026", "bw-2-2026")


def euros(text: str) -> Decimal:
    """A figure as the doc writes it: Dutch thousands dots, decimal comma, a real minus sign."""
    return Decimal(text.strip().replace("€", "").replace(" ", "").replace(".", "").replace(",", ".")
                   .replace("−", "-"))


def doc_table(name: str) -> dict[str, list[Decimal]]:
    """The markdown table after `<!-- table: NAME -->` in the doc: {first cell: figures}."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- table: {name} -->") + 3  # skip the marker, header and rule
    rows: dict[str, list[Decimal]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        first, *figures = [c.strip() for c in line.strip("|").split("|")]
        rows[first] = [euros(f) for f in figures]
    return rows


def amount(text: str) -> Decimal:
    return Decimal(str(text))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gr(request, tmp_path_factory):
    """The ledger the doc builds, command by command: built once per backend, since every test
    here only reads it (`--backend` picks the backends as for the other tests)."""
    if request.config.getoption("backend") not in ("both", request.param):
        pytest.skip(f"--backend {request.config.getoption('backend')}")
    folder = tmp_path_factory.mktemp("gr-voorbeeld")
    database = FreshDatabase() if request.param == "postgresql" else None
    bg = Cli(database.url if database else folder / "gr-voorbeeld.db", folder)
    try:
        bg("init", "--organisation", "GR Voorbeeld", "--years", "2026-2029", "--kind", "gr")
        bg("record", str(FILES / "begroting-2026.yaml"))
        bg("key", "set", str(FILES / "verdeelsleutel-inwoners-2026.yaml"))
        bg("key", "set", str(FILES / "verdeelsleutel-leerlingen-2026.yaml"))
        bg("record", str(FILES / "bw-1-2026.yaml"))
        bg("record", str(FILES / "bw-2-2026.yaml"))
        yield bg
    finally:
        if database:
            database.drop()


def test_the_published_difference_tables_are_the_ledgers_to_the_euro(gr):
    rounded = gr.json("contributions", "--diff", "begroting-2026", "bw-2-2026", "--round", "euro")
    exact = gr.json("contributions", "--diff", "begroting-2026", "bw-2-2026")
    assert [p["name"] for p in rounded["participants"]] == list(GEMEENTEN)

    def by_document(diff: dict, year: int) -> dict[str, dict[str, Decimal]]:
        return {p["name"]: {c["document"]: amount(c["amount"]) for c in p["changes"] if c["year"] == year}
                for p in diff["participants"]}

    # 2028 and 2029 are stated to equal 2027 ("en 2028, 2029").
    for table, year in (("verschil-2026", 2026), ("verschil-2027", 2027), ("verschil-2027", 2028),
                        ("verschil-2027", 2029)):
        stated = doc_table(table)
        ours, cents = by_document(rounded, year), by_document(exact, year)
        for name in GEMEENTEN:
            *columns, totaal = stated[name]
            assert columns == [ours[name][d] for d in DOCUMENTS], (table, year, name)
            assert totaal == amount(next(p for p in rounded["participants"] if p["name"] == name)["total"][str(year)])
            # The whole euros are the exact change rounded, never more than half a euro off.
            assert all(abs(ours[name][d] - cents[name][d]) <= Decimal("0.5") for d in DOCUMENTS)
        afronding = {a["document"]: amount(a["amount"]) for a in rounded["afronding"] if a["year"] == year}
        assert stated["Afronding"] == [afronding[d] for d in DOCUMENTS] + [sum(afronding.values())], (table, year)
        # Totaal is the sum of the gemeenten's whole euros; with the afronding it is the exact change.
        assert stated["Totaal"] == [sum(stated[n][i] for n in GEMEENTEN) for i in range(3)]
        for i, document in enumerate(DOCUMENTS):
            assert stated["Totaal"][i] + stated["Afronding"][i] == sum(cents[n][document] for n in GEMEENTEN)


def test_each_document_falls_on_the_gemeenten_in_its_own_shares(gr):
    # The doc: Bee pays 41,0 % of the 1e begrotingswijziging in 2026, 34,6 % of the autonome
    # ontwikkelingen, 33,5 % of the 1e begrotingswijziging from 2027, 34,9068 % of the whole.
    exact = gr.json("contributions", "--diff", "begroting-2026", "bw-2-2026")
    bee = next(p for p in exact["participants"] if p["name"] == "Gemeente Bee")

    def share(document: str, year: int) -> Decimal:
        mine = sum(amount(c["amount"]) for c in bee["changes"] if c["document"] == document and c["year"] == year)
        every = sum(amount(c["amount"]) for p in exact["participants"] for c in p["changes"]
                    if c["document"] == document and c["year"] == year)
        return (mine * 100 / every).quantize(Decimal("0.1"))

    assert share("bw-1-2026", 2026) == Decimal("41.0")
    assert share("bw-2-2026", 2026) == Decimal("34.6")
    assert share("bw-1-2026", 2027) == Decimal("33.5")
    c = gr.json("contributions", "--year", "2026")
    assert {p["name"]: p["weighted_percentage"] for p in c["participants"]} == {
        "Gemeente Aa": "46.8773", "Gemeente Bee": "34.9068", "Gemeente Cee": "18.2159"}
    assert amount(c["total"]) == Decimal("6316145.35")


def test_the_rounded_bijdragen_and_their_afronding_are_the_docs(gr):
    # docs/contributions.md, "Bijdragen 2026, in whole euros".
    r = gr.json("contributions", "--year", "2026", "--round", "euro")
    assert {p["name"]: amount(p["amount"]) for p in r["participants"]} == {
        "Gemeente Aa": Decimal("2960837"), "Gemeente Bee": Decimal("2204763"), "Gemeente Cee": Decimal("1150545")}
    assert amount(r["afronding"]) == Decimal("0.35")
    assert sum(amount(p["amount"]) for p in r["participants"]) + amount(r["afronding"]) == amount(r["total"])


def test_the_explained_bijdrage_adds_up_and_names_the_split(gr):
    # docs/contributions.md, "Why Bee pays what it pays".
    e = gr.json("explain", "--contribution", "Gemeente Bee", "--year", "2026")
    assert len(e["steps"]) == 20
    assert sum(amount(s["share"]) for s in e["steps"]) == amount(e["participant"]["amount"]) == Decimal("2204763.40")
    per_document: dict[str, Decimal] = {}
    for s in e["steps"]:
        document = s["mutation"].split("/")[0]
        per_document[document] = per_document.get(document, Decimal(0)) + amount(s["share"])
    assert per_document["bw-1-2026"] == Decimal("99540.12")
    assert per_document["bw-2-2026"] == Decimal("68255.78")  # a cent off the diff's 68255.79, as the doc says
    split = next(s for s in e["steps"] if s["mutation"] == "bw-1-2026/3")
    assert (amount(split["share"]), split["basis"]) == (Decimal("58400.00"), "own split WOZ-bezwaren")


def test_the_gr_is_in_evenwicht_and_the_published_bijdragen_reconcile(gr):
    b = gr.json("balance", "--year", "2026")
    assert b["in_balance"] is True
    assert (amount(b["structural_contributions"]), amount(b["structural_saldo"])) == (Decimal("6076145.35"), 0)
    result = gr("reconcile", "--contributions", str(FILES / "bijdragen-2026.csv"), ok=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"12 rows: 0 mismatches, 0 warnings", result.output)
    # The CSV holds the bijdragen stated in the doc's to-the-cent table.
    c = gr.json("contributions", "--year", "2026")
    published = {line.split(",")[0]: Decimal(line.split(",")[2])
                 for line in (FILES / "bijdragen-2026.csv").read_text().splitlines()[1:] if ",2026," in line}
    assert published == {p["name"]: amount(p["amount"]) for p in c["participants"]}
