"""Auditors' navigation: history filters alone and combined, accent-insensitive search,
one document with a later correction pointing at it, and read-only SQL."""

from __future__ import annotations

import pytest

from tests.test_core import VOORJAARSNOTA

NAJAARSNOTA = """
document:
  id: njn-2025
  kind: najaarsnota
  title: Najaarsnota 2025 Fryslân
  date: 2025-10-15
mutations:
  - kind: correctie
    corrects: kb-2025/3
    line: beta/personeel
    amounts: {2025: -5000}
    reason: Inhuur Fryslân lager uitgevallen
    reference: "§6.1.8"
  - kind: verschuiving
    reason: Informatieveiligheid naar Alpha
    reference: "§6.10"
    legs:
      - {line: beta/personeel, amounts: {2026: -1000}}
      - {line: alpha/uitvoering, amounts: {2026: 1000}}
"""


@pytest.fixture
def audited(kaderbrief):
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    kaderbrief("adopt", "vjn-2025", "--date", "2025-06-01", "--decision", "AB 01-06-2025")
    kaderbrief.record("njn.yaml", NAJAARSNOTA)
    return kaderbrief


def mutations(rows):
    return [f"{r['document']}/{r['seq']}" for r in rows if r["seq"]]


def test_each_filter_alone(audited):
    h = audited.json
    assert mutations(h("history", "--kind", "verschuiving")) == ["vjn-2025/2", "njn-2025/2"]
    assert mutations(h("history", "--unit", "beta")) == ["kb-2025/3", "kb-2025/4", "vjn-2025/2", "vjn-2025/4",
                                                        "njn-2025/1", "njn-2025/2"]
    assert mutations(h("history", "--line", "alpha/uitvoering")) == ["kb-2025/2", "vjn-2025/3", "njn-2025/2"]
    assert mutations(h("history", "--document-kind", "najaarsnota")) == ["njn-2025/1", "njn-2025/2"]
    assert mutations(h("history", "--from", "2025-05-01", "--to", "2025-06-30")) == \
        ["vjn-2025/1", "vjn-2025/2", "vjn-2025/3", "vjn-2025/4"]
    # "§6.1" is cited by §6.1.8, not by §6.10.
    assert mutations(h("history", "--reference", "§6.1")) == ["njn-2025/1"]
    assert mutations(h("history", "--document", "vjn-2025")) == ["vjn-2025/1", "vjn-2025/2", "vjn-2025/3", "vjn-2025/4"]
    lifecycle = [r for r in h("history", "--kind", "document_adopted") if not r["seq"]]
    assert [r["document"] for r in lifecycle] == ["kb-2025", "vjn-2025"]


def test_filters_compose(audited):
    h = audited.json
    assert mutations(h("history", "--kind", "verschuiving", "--unit", "alpha", "--document-kind", "voorjaarsnota")) == ["vjn-2025/2"]
    assert mutations(h("history", "--unit", "beta", "--from", "2025-10-01")) == ["njn-2025/1", "njn-2025/2"]
    assert mutations(h("history", "--reference", "§6.1", "--grep", "inhuur")) == ["njn-2025/1"]
    assert mutations(h("history", "--reference", "§6.1", "--grep", "informatieveiligheid")) == []
    # With --as-of, only what had been recorded by then.
    assert mutations(h("history", "--kind", "verschuiving", "--as-of", "vjn-2025")) == ["vjn-2025/2"]


def test_grep_is_case_and_accent_insensitive(audited):
    for term in ("fryslan", "FRYSLÂN", "Frysla\u0302n"):
        assert mutations(audited.json("history", "--grep", term)) == ["njn-2025/1", "njn-2025/2"]


def test_corrections_show_what_they_correct(audited):
    rows = audited.json("history", "--corrections")
    assert mutations(rows) == ["vjn-2025/1", "njn-2025/1"]
    assert rows[1]["corrects"] == "kb-2025/3"
    assert rows[1]["corrected"] == {"mutation": "kb-2025/3", "kind": "wijziging", "reason": "Tijdelijke inhuur",
                                    "reference": "§3", "lines": ["beta/personeel"], "amount": "500000.00"}


def test_document_view_shows_everything_including_later_corrections(audited):
    doc = audited.json("document", "kb-2025")
    assert (doc["document"], doc["kind"], doc["status"], doc["decision"]) == ("kb-2025", "kaderbrief", "adopted", "Bestuur 21-03-2024")
    assert [e["event"] for e in doc["lifecycle"]] == ["adopted"]
    assert [m["seq"] for m in doc["mutations"]] == [1, 2, 3, 4]
    assert doc["mutations"][1]["legs"] == [{"line": "alpha/uitvoering", "amounts": {"2025": "250015.00", "2027": "300000.00"}}]
    assert [(c["document"], c["seq"], c["corrects"]) for c in doc["corrected_by"]] == \
        [("vjn-2025", 1, "kb-2025/1"), ("njn-2025", 1, "kb-2025/3")]
    effect = {(e["unit"], e["type"]): e["amounts"] for e in doc["effect"]}
    assert effect[("alpha", "lasten")] == {"2025": "1250015.00", "2026": "1250015.00", "2027": "1300000.00"}
    # Beta's lasten and baten apart (the old "net effect" added them to 400000.00).
    assert (effect[("beta", "lasten")]["2026"], effect[("beta", "baten")]["2026"]) == ("100000.00", "300000.00")
    assert doc["totals"]["te_dekken"]["2026"] == "1050015.00" and doc["totals"]["saldo"]["2026"] == "-1050015.00"
    text = audited("document", "kb-2025").stdout
    assert "Corrected later by" in text and "njn-2025/1" in text
    # As of before the Najaarsnota, that correction did not exist yet.
    assert len(audited.json("document", "kb-2025", "--as-of", "vjn-2025")["corrected_by"]) == 1
    assert audited("document", "nope", ok=False).exit_code == 1


def test_sql_reads_the_read_models(audited):
    rows = audited.json("sql", "select unit, year, sum(amount_cents) as cents from figures where year = 2025 group by 1, 2 order by 1")
    assert rows == [{"unit": "alpha", "year": 2025, "cents": 114001500}, {"unit": "beta", "year": 2025, "cents": 77500000}]
    assert "42" in audited("sql", "select 41 + 1").stdout
    assert audited("sql", "select 1 as a, 2 as b", "--csv").stdout.splitlines() == ["a,b", "1,2"]


@pytest.mark.parametrize("statement", [
    "delete from figures",
    "update figures set amount_cents = 0",
    "insert into ledger values ('x', 'y')",
    "drop table effects",
    "create table probe (a)",
    "attach database 'other.db' as other",
    "pragma journal_mode = delete",
    "pragma user_version = 7",
    "select 1; delete from figures",
])
def test_sql_refuses_anything_that_writes(audited, statement):
    before = audited.json("sql", "select count(*) as n, sum(amount_cents) as s from figures")
    result = audited("sql", statement, ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("error: sql:") and "Traceback" not in result.output
    assert audited.json("sql", "select count(*) as n, sum(amount_cents) as s from figures") == before
    assert not (audited.folder / "other.db").exists()


def test_the_documented_schema_lists_every_table_and_column():
    from pathlib import Path

    from projections import schema

    doc = Path(__file__).parent.parent.joinpath("docs", "read-models.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")}
    assert set(rows) == set(schema.TABLES)
    for table, spec in schema.TABLES.items():
        for column in spec["columns"]:
            assert f"`{column}`" in rows[table], f"{table}.{column} is not documented"


def test_every_command_is_documented_with_an_example():
    from cli.main import cli

    for name, command in cli.commands.items():
        assert command.help and "Example:" in command.help, f"`begroting {name}` has no example in its help"


def test_as_of_a_document_its_file_adopted_includes_that_adoption(kaderbrief):
    """`--as-of DOC` is the state right after the document was recorded: when its own file
    adopted it (status: adopted, one save), that adoption is part of it, so --adopted-only
    shows its figures (hostile review, stop 24); a later, separate adoption is not."""
    shown = kaderbrief.json("show", "--as-of", "kb-2025", "--adopted-only")
    assert kaderbrief.line(shown, "alpha/personeel")["2025"] == "1000000.00"
    kaderbrief.record("vjn.yaml", VOORJAARSNOTA)
    kaderbrief("adopt", "vjn-2025", "--date", "2025-06-01", "--decision", "AB")
    at_recording = kaderbrief.json("show", "--as-of", "vjn-2025", "--adopted-only")
    assert at_recording == kaderbrief.json("show", "--as-of", "kb-2025", "--adopted-only") | {
        "position": at_recording["position"]}
