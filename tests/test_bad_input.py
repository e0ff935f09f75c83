"""Every kind of bad input is refused with one clear line per problem naming the file and
the field, exit code 1, no traceback, and not a single event added."""

from __future__ import annotations

import time

import pytest

HEAD = """
document:
  id: bw-1
  kind: begrotingswijziging
  title: Begrotingswijziging 1
  date: 2025-06-01
mutations:
"""


def wijziging(amount: str = "5000", line: str = "alpha/personeel", year: str = "2025", extra: str = "") -> str:
    return HEAD + f"""
  - kind: wijziging
    line: {line}
    amounts: {{{year}: {amount}}}
    reason: Test{extra}
"""


CASES = {
    "malformed yaml": ("document: [unclosed\n  - x", "malformed YAML"),
    "truncated yaml": (HEAD + "  - kind: wijziging\n    line: alpha/personeel\n    amounts: {2025: 5", "malformed YAML"),
    "not a mapping": ("- just\n- a list\n", "must be a mapping"),
    "unknown line": (wijziging(line="gamma/personeel"), "mutations.1.line: unknown line 'gamma/personeel'"),
    "not a line address": (wijziging(line="personeel"), "is not a line address"),
    "three decimals": (wijziging("100.005"), "has more than 2 decimals"),
    "exponent": (wijziging("1e3"), "'1e3' is not a plain number"),
    "nan": (wijziging("NaN"), "'NaN' is not a plain number"),
    "infinity": (wijziging(".inf"), "'.inf' is not a plain number"),
    "dutch format": (wijziging("'1.234,56'"), "'1.234,56' is not a plain number"),
    "english thousands": (wijziging("'1,234.56'"), "'1,234.56' is not a plain number"),
    "euro sign": (wijziging("'€ 1.234,56'"), "is not a plain number"),
    "accounting negative": (wijziging("'(1.234,56)'"), "is not a plain number"),
    "unicode minus": (wijziging("'\u22121234'"), "is not a plain number"),
    "no-break space": (wijziging("'1\u00a0234'"), "is not a plain number"),
    "dutch decimal comma": (wijziging("'0,005'"), "is not a plain number"),
    "beyond 10^15": (wijziging("1000000000000000"), "beyond 10^15 euro"),
    "zero in every year": (wijziging("0"), "amounts are zero in every year"),
    "year outside horizon": (wijziging(year="2030"), "mutations.1.amounts.2030: year 2030 is outside the horizon 2025-2027"),
    "not a year": (wijziging(year="'25'"), "is not a year"),
    "impossible date": (HEAD.replace("2025-06-01", "2024-02-31") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                        "document.date: '2024-02-31' is not a valid date"),
    "dutch date": (HEAD.replace("2025-06-01", "31-02-2024") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                   "document.date: '31-02-2024' is not a date"),
    "unbalanced shift": (HEAD + """
  - kind: verschuiving
    reason: Scheef
    legs:
      - {line: alpha/personeel, amounts: {2025: -10000}}
      - {line: beta/personeel, amounts: {2025: 9999.99}}
""", "mutations.1.legs: the shift does not net to zero in 2025: off by € -0,01"),
    "shift that unbalances when carried": (HEAD + """
  - kind: verschuiving
    structural: true
    legs:
      - {line: alpha/personeel, amounts: {2025: -100}}
      - {line: beta/personeel, amounts: {2025: 100, 2026: 50}}
""", "does not net to zero in 2026"),
    "shift with one leg": (HEAD + "  - {kind: verschuiving, legs: [{line: alpha/personeel, amounts: {2025: 1}}]}",
                           "a verschuiving needs at least two legs"),
    "kasschuif not netting": (HEAD + "  - {kind: kasschuif, line: alpha/uitvoering, amounts: {2025: -100, 2026: 99}}",
                              "does not net to zero over the years"),
    "structural kasschuif": (HEAD + "  - {kind: kasschuif, structural: true, line: alpha/uitvoering, amounts: {2025: -1, 2026: 1}}",
                             "never carries"),
    "dangling corrects document": (HEAD + "  - {kind: correctie, corrects: nope/1, line: alpha/personeel, amounts: {2025: 1}}",
                                   "mutations.1.corrects: nope/1: document 'nope' is not in the ledger"),
    "dangling corrects number": (HEAD + "  - {kind: correctie, corrects: kb-2025/9, line: alpha/personeel, amounts: {2025: 1}}",
                                 "document 'kb-2025' has no mutation 9"),
    "correction without target": (HEAD + "  - {kind: correctie, line: alpha/personeel, amounts: {2025: 1}}",
                                  "must name a mutation as document-id/number"),
    "correction on another line": (HEAD + "  - {kind: correctie, corrects: kb-2025/1, line: beta/personeel, amounts: {2025: 1}}",
                                   "is not a line of the corrected mutation kb-2025/1"),
    "unknown kind": (HEAD + "  - {kind: toverij, line: alpha/personeel, amounts: {2025: 1}}", "'toverij' is not one of"),
    "unknown field": (wijziging(extra="\n    colour: blue"), "mutations.1.colour: is not a known field"),
    "missing title": (HEAD.replace("  title: Begrotingswijziging 1\n", "") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                      "document.title: is required"),
    "bad document kind": (HEAD.replace("begrotingswijziging", "wensenlijst") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                          "document.kind: 'wensenlijst' is not one of"),
    "duplicate year key": (HEAD + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1, 2025: 2}}", "duplicate key"),
    "right-to-left override": (wijziging(extra=" \u202eevil"), "bidirectional control character"),
    "control character": (HEAD + '  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}, reason: "bell\\a"}',
                          "mutations.1.reason: contains a control character"),
    "ten thousand character reason": (wijziging(extra=" " + "x" * 10000), "characters long; at most 2000"),
    "reserve below zero": (HEAD + "  - {kind: reserve, line: beta/reserve, amounts: {2025: -1000.01}}",
                           "reserve beta/reserve would go below zero in 2025"),
    "lasten change on a reserve line": (wijziging(line="beta/reserve"), "is a reserve line"),
    "adopted without decision": (HEAD.replace("date: 2025-06-01", "date: 2025-06-01\n  status: adopted") +
                                 "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                                 "document.decision: is required when status is adopted"),
    "chart line redefined": (HEAD.replace("mutations:", """chart:
  - unit: alpha
    name: Eenheid Alpha
    lines:
      - {id: personeel, name: Andere naam, type: lasten, cost: personeel}
mutations:""") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}", "already exists with another definition"),
    "lasten line without cost kind": (HEAD.replace("mutations:", """chart:
  - unit: gamma
    name: Gamma
    lines:
      - {id: x, name: X, type: lasten}
mutations:""") + "  - {kind: wijziging, line: gamma/x, amounts: {2025: 1}}", "needs cost personeel or materieel"),
    "no mutations": (HEAD + "  []\n", "mutations: must be a non-empty list"),
    "indexation rate with five decimals": (HEAD + "  - {kind: indexatie, year: 2025, rates: {personeel: 5.12345}}",
                                           "has more than 4 decimals"),
    # YAML tags: a document file holds plain scalars, lists and mappings; a tag would
    # send an amount through a float (!!float), read hex (!!int 0x1F4) or make a set.
    "float tag": (wijziging("!!float 99999999999999.99"), "mutations.1.amounts.2025: the tag tag:yaml.org,2002:float is not allowed"),
    "int tag with hex": (wijziging("!!int 0x1F4"), "mutations.1.amounts.2025: the tag tag:yaml.org,2002:int is not allowed"),
    "set tag on the title": (HEAD.replace("title: Begrotingswijziging 1", "title: !!set {a, b}")
                             + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                             "document.title: the tag tag:yaml.org,2002:set is not allowed"),
    "str tag": (wijziging("!!str 5"), "mutations.1.amounts.2025: the tag tag:yaml.org,2002:str is not allowed"),
    "non-specific tag": (wijziging("! 5"), "mutations.1.amounts.2025: the tag ! is not allowed"),
    "local tag on a mapping": (HEAD + "  - !thing {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                               "mutations.1: the tag !thing is not allowed"),
    "binary tag": (wijziging(extra="\n    reference: !!binary aGVsbG8="), "mutations.1.reference: the tag tag:yaml.org,2002:binary"),
    # Anchors and aliases: a document file has no need for them; refusing them refuses alias bombs.
    "alias": (HEAD + "  - {kind: wijziging, line: &l alpha/personeel, amounts: {2025: 1}}\n  - {kind: wijziging, line: *l, amounts: {2025: 1}}",
              "mutations.1.line: anchors (&l) are not allowed"),
    "alias bomb": ("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
                   + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
                   + "document: {id: *a8, kind: voorjaarsnota, title: T, date: 2025-05-01}\nmutations: []\n",
                   "a0: anchors (&a0) are not allowed in a document file (line 1)"),
    "alias to an undefined anchor": (wijziging("*nothing"), "aliases (*nothing) are not allowed"),
    # Shapes no document file has.
    "nesting 5000 deep": (HEAD + "  - " + "[" * 5000 + "]" * 5000, "nested deeper than 20 levels"),
    "complex key": (HEAD + "  - {kind: wijziging, line: alpha/personeel, amounts: {? [2025] : 1}}",
                    "mutations.1.amounts: a key must be a plain value, not a list or mapping"),
    "lone surrogate": (HEAD + '  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}, reason: "\\ud800"}',
                       "mutations.1.reason: contains a lone surrogate"),
    "lone surrogate in a key": (HEAD + '  - {kind: wijziging, line: alpha/personeel, "\\udfff": 1, amounts: {2025: 1}}',
                                "contains a lone surrogate"),
    # Digits other than ASCII 0-9: int(), Decimal() and \\d take them all.
    "Bengali digit in an amount": (wijziging('"\u09ea000"'), "mutations.1.amounts.2025: amount '\u09ea000' is not a plain number"),
    "fullwidth digits in an amount": (wijziging('"\uff15\uff10"'), "is not a plain number"),
    "Arabic-Indic digits in an amount": (wijziging('"\u0665\u0660.\u0660\u0661"'), "is not a plain number"),
    "Arabic-Indic digits in a year": (wijziging(year='"\u0662\u0660\u0662\u0665"'), "is not a year"),
    "fullwidth digits in a year": (wijziging(year="\uff12\uff10\uff12\uff15"), "is not a year"),
    "superscript two in a year": (wijziging(year="202\u00b2"), "is not a year"),
    "Arabic-Indic digits in a date": (HEAD.replace("2025-06-01", "\u0662\u0660\u0662\u0665-06-01")
                                      + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                                      "document.date: "),
    "Bengali digits in a rate": (HEAD + '  - {kind: indexatie, year: 2025, rates: {personeel: "\u09eb.\u09e8"}}',
                                 "mutations.1.rates.personeel: "),
    "superscript number in corrects": (HEAD + "  - {kind: correctie, corrects: kb-2025/\u00b2, line: alpha/personeel, amounts: {2025: 1}}",
                                       "must name a mutation as document-id/number"),
    # Invisible characters in names and titles are refused like bidi overrides.
    "zero-width space in the title": (HEAD.replace("Begrotingswijziging 1", "Begroting\u200bswijziging")
                                      + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                                      "document.title: contains an invisible format character (U+200B)"),
    "tag character in a unit name": (HEAD.replace("mutations:", """chart:
  - unit: gamma
    name: "Gamma\U000e0041"
    lines: [{id: x, name: X, type: baten}]
mutations:""") + "  - {kind: wijziging, line: gamma/x, amounts: {2025: 1}}", "chart.1.name: contains an invisible format character (U+E0041)"),
    "Arabic letter mark in a line name": (HEAD.replace("mutations:", """chart:
  - unit: gamma
    name: Gamma
    lines: [{id: x, name: "X\u061c", type: baten}]
mutations:""") + "  - {kind: wijziging, line: gamma/x, amounts: {2025: 1}}", "chart.1.lines.1.name: contains a right-to-left"),
    "soft hyphen in a reference": (wijziging(extra="\n    reference: \"\u00a7\u00ad1\""), "mutations.1.reference: contains an invisible format character"),
    "unknown line with a near miss": (wijziging(line="alpha/personel"), "unknown line 'alpha/personel': not in the ledger "
                                      "or this document's chart (closest: alpha/personeel"),
    # Budget-neutral means the saldo stays: a baten leg counts against the lasten legs.
    "verschuiving across lasten and baten": (HEAD + """
  - kind: verschuiving
    legs: [{line: alpha/personeel, amounts: {2025: 100000}}, {line: beta/subsidie, amounts: {2025: -100000}}]
""", "mutations.1.legs: the shift does not net to zero in 2025: off by € 200.000"),
    # Document ids that --as-of would read as a position or a date.
    "document id that reads as a position": (HEAD.replace("id: bw-1", "id: '3'") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                                             "document.id: '3' reads as a ledger position or a date"),
    "document id that reads as a date": (HEAD.replace("id: bw-1", "id: 2020-01-01") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}",
                                         "document.id: '2020-01-01' reads as a ledger position or a date"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rejects_bad_input_with_a_clear_message_and_records_nothing(kaderbrief, name):
    text, message = CASES[name]
    before = kaderbrief.event_count()
    result = kaderbrief("record", kaderbrief.write("bad.yaml", text), ok=False)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert "bad.yaml" in result.stderr
    assert "Traceback" not in result.output
    assert kaderbrief.event_count() == before


def test_nul_bytes_are_refused(kaderbrief):
    path = kaderbrief.folder / "nul.yaml"
    path.write_bytes(wijziging().encode() + b"\x00")
    before = kaderbrief.event_count()
    result = kaderbrief("record", str(path), ok=False)
    assert result.exit_code == 1 and "NUL" in result.stderr
    assert kaderbrief.event_count() == before


def test_every_problem_in_a_file_is_reported(kaderbrief):
    text = HEAD + """
  - {kind: wijziging, line: gamma/x, amounts: {2025: 1}}
  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1.001}}
  - {kind: wijziging, line: alpha/personeel, amounts: {2031: 1}}
"""
    result = kaderbrief("record", kaderbrief.write("many.yaml", text), ok=False)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert [line.split(": ")[2] for line in lines] == ["mutations.1.line", "mutations.2.amounts.2025", "mutations.3.amounts.2031"]


def test_a_document_id_reused_for_other_content_is_an_error(kaderbrief):
    before = kaderbrief.event_count()
    text = wijziging().replace("bw-1", "kb-2025")
    result = kaderbrief("record", kaderbrief.write("reuse.yaml", text), ok=False)
    assert result.exit_code == 1
    assert "'kb-2025' is already recorded with different content" in result.stderr
    assert kaderbrief.event_count() == before


def test_csv_with_a_missing_column_is_refused(kaderbrief):
    path = kaderbrief.write("bad.csv", "document_id,document_kind,document_title,document_date,mutation,kind,2025\nx,begroting,X,2025-01-01,1,wijziging,5\n")
    before = kaderbrief.event_count()
    result = kaderbrief("record", path, ok=False)
    assert result.exit_code == 1 and "bad.csv: column line: is missing" in result.stderr
    assert kaderbrief.event_count() == before


def test_missing_file_and_missing_ledger_give_one_line(bg, tmp_path):
    result = bg("show", ok=False)
    assert result.exit_code == 1 and "no ledger at" in result.stderr and "Traceback" not in result.output
    bg("init", "--organisation", "T", "--years", "2025-2026")
    result = bg("record", str(tmp_path / "nope.yaml"), ok=False)
    assert result.exit_code == 1 and "cannot read file" in result.stderr
    assert bg("init", "--organisation", "T", "--years", "2025-2026", ok=False).exit_code == 1
    assert bg("init", "--organisation", "T", "--years", "2026-2025", ok=False).exit_code == 1


def test_names_are_normalised_to_nfc_as_documented(kaderbrief):
    nfd = "Provincie Frysla\u0302n"
    kaderbrief.record("fry.yaml", f"""
        document: {{id: fry, kind: begrotingswijziging, title: "{nfd}", date: 2025-01-01}}
        chart:
          - unit: fryslan
            name: "{nfd}"
            lines: [{{id: bijdrage, name: "Bijdrage {nfd}", type: baten}}]
        mutations: [{{kind: wijziging, line: fryslan/bijdrage, amounts: {{2025: 10}}, reason: "{nfd}"}}]
        """)
    unit = next(u for u in kaderbrief.json("show")["units"] if u["unit"] == "fryslan")
    assert unit["unit_name"] == "Provincie Fryslân" and unit["unit_name"] != nfd
    # Either form, or none of the accents, finds it.
    for name in ("Provincie Fryslân", nfd, "provincie fryslan"):
        assert kaderbrief.json("explain", name, "--year", "2025")["figure"] == "fryslan"


# ---------------------------------------------------------------- CSV document files

CSV_HEAD = "document_id,document_kind,document_title,document_date,mutation,kind,line,reason,2025,2026\n"


def csv_row(mutation: str = "1", kind: str = "wijziging", line: str = "alpha/personeel", reason: str = "r",
            y2025: str = "5", y2026: str = "") -> str:
    return f"bw-1,begrotingswijziging,T,2025-06-01,{mutation},{kind},{line},{reason},{y2025},{y2026}\n"


CSV_CASES = {
    "duplicate year column": (CSV_HEAD.replace(",2026", ",2025") + csv_row(y2026="7"),
                              "column 10 (2025): repeats column 9"),
    "year column with a trailing space beside the plain one": (CSV_HEAD.replace(",2026", ",2025 ") + csv_row(y2026="7"),
                                                               "column 10 (2025): repeats column 9"),
    "duplicate reason column": (CSV_HEAD.replace("reason,", "reason,reason,") + csv_row(reason="a,b"),
                                "column 9 (reason): repeats column 8"),
    "one mutation number with two kinds": (CSV_HEAD + csv_row() + csv_row(kind="kasschuif", line="alpha/uitvoering"),
                                           "row 3, column kind: mutation 1 is a 'wijziging' in row 2, not 'kasschuif'"),
    "two reasons for one mutation": (CSV_HEAD + csv_row(kind="verschuiving", y2025="-5")
                                     + csv_row(kind="verschuiving", line="beta/personeel", reason="other"),
                                     "row 3, column reason: differs from an earlier row of mutation 1"),
    "mutation number zero": (CSV_HEAD + csv_row(mutation="0"), "row 2, column mutation: '0' is not a mutation number"),
    "negative mutation number": (CSV_HEAD + csv_row(mutation="-1"), "row 2, column mutation: '-1' is not a mutation number"),
    "superscript mutation number": (CSV_HEAD + csv_row(mutation="\u00b2"), "row 2, column mutation: '²' is not a mutation number"),
    "fractional mutation number": (CSV_HEAD + csv_row(mutation="1.5"), "row 2, column mutation: '1.5' is not a mutation number"),
    "mutation number of 20 digits": (CSV_HEAD + csv_row(mutation="9" * 20), "row 2, column mutation:"),
    "Bengali digit in a CSV amount": (CSV_HEAD + csv_row(y2025="\u09ea000"), "mutations.1.amounts.2025: amount '৪000' is not a plain number"),
    "Arabic-Indic year column": (CSV_HEAD.replace("2026", "\u0662\u0660\u0662\u0666") + csv_row(y2026="3"),
                                 "column 10 (٢٠٢٦): is not a known column"),
    "more cells than the header": (CSV_HEAD + csv_row().rstrip("\n") + ",9,9\n", "row 2: has 12 cells; the header has 10"),
    "unclosed quote in a CSV": (CSV_HEAD + 'bw-1,begrotingswijziging,"T\n', "malformed CSV" ),
}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_rejects_bad_csv_naming_row_and_column_and_records_nothing(kaderbrief, name):
    text, message = CSV_CASES[name]
    before = kaderbrief.event_count()
    result = kaderbrief("record", kaderbrief.write("bad.csv", text), ok=False)
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr
    assert "bad.csv" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert kaderbrief.event_count() == before


def test_a_csv_keeps_its_own_mutation_numbers(kaderbrief):
    # Mutation numbers 10 and 20 stay 10 and 20: a later document corrects csv21/20.
    kaderbrief.record("csv21.csv", CSV_HEAD.replace("bw-1", "csv21")
                      + csv_row(mutation="10").replace("bw-1", "csv21")
                      + csv_row(mutation="20", line="alpha/uitvoering").replace("bw-1", "csv21"))
    kaderbrief.record("fix.yaml", HEAD + "  - {kind: correctie, corrects: csv21/20, line: alpha/uitvoering, amounts: {2025: 1}}")
    rows = kaderbrief.json("history", "--document", "csv21")
    assert [r["seq"] for r in rows if r["seq"]] == [10, 20]
    assert kaderbrief.json("history", "--corrections")[0]["corrects"] == "csv21/20"


def test_a_csv_header_with_spaces_after_the_commas_is_read(kaderbrief):
    header = CSV_HEAD.replace(",", ", ")
    kaderbrief.record("spaced.csv", header + csv_row(y2025="12.50"))
    assert kaderbrief.line(kaderbrief.json("show"), "alpha/personeel")["2025"] == "1000012.50"


def test_one_syntax_problem_and_one_unknown_line_are_reported_together(kaderbrief):
    # The file's own problem (a date that is no date) and the ledger's (a line it does not
    # have) come in one answer, not in two rounds.
    text = HEAD.replace("2025-06-01", "2025-13-01") + "  - {kind: wijziging, line: gamma/personeel, amounts: {2025: 1}}"
    before = kaderbrief.event_count()
    result = kaderbrief("record", kaderbrief.write("both.yaml", text), ok=False)
    assert result.exit_code == 1
    assert "document.date: '2025-13-01' is not a valid date" in result.stderr
    assert "mutations.1.line: unknown line 'gamma/personeel'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2
    assert kaderbrief.event_count() == before


def test_a_csv_row_problem_and_an_unknown_line_are_reported_together(kaderbrief):
    text = CSV_HEAD + csv_row(mutation="x") + csv_row(mutation="2", line="gamma/personeel")
    result = kaderbrief("record", kaderbrief.write("both.csv", text), ok=False)
    assert result.exit_code == 1
    assert "row 2, column mutation: 'x' is not a mutation number" in result.stderr
    assert "mutations.2.line: unknown line 'gamma/personeel'" in result.stderr


# ---------------------------------------------------------------- options and other doors

PUBLISHED = "unit,line,year,amount\nalpha,personeel,2025,1000000\n"
KEY = """key:
  id: key-2025
  from: {year}
  participants:
    - {{name: "{name}", percentage: "{first}"}}
    - {{name: Provincie B, percentage: "{second}"}}
"""
BIG = HEAD + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}\n" + ("# " + "x" * 98 + "\n") * 12_000
ADOPT = ["adopt", "bw-0", "--date", "2025-06-01", "--decision"]
WITHDRAW = ["withdraw", "bw-0", "--date", "2025-06-01", "--reason"]
EXPLAIN = ["explain", "alpha/personeel", "--year"]

# name: (files to write {name: text}, arguments ({dir} is the test folder), message)
OPTION_CASES = {
    "control characters in --decision": ({}, [*ADOPT, "AB\x01\x07\x1b[31mRED"], "--decision: contains a control character (U+0001)"),
    "right-to-left override in --decision": ({}, [*ADOPT, "Besluit \u202eevil"], "--decision: contains a right-to-left"),
    "--decision of 501 characters": ({}, [*ADOPT, "d" * 501], "--decision: is 501 characters long; at most 500"),
    "--reason of 100,000 characters": ({}, [*WITHDRAW, "r" * 100_000], "--reason: is 100000 characters long; at most 2000"),
    "OSC escape in --reason": ({}, [*WITHDRAW, "weg\x1b]0;pwned\x07"], "--reason: contains a control character (U+001B)"),
    "zero-width space in --reason": ({}, [*WITHDRAW, "weg\u200b"], "--reason: contains an invisible format character (U+200B)"),
    "OSC escape in --organisation": ({}, ["--ledger", "{dir}/new.db", "init", "--organisation", "Org\x1b]0;pwned\x07",
                                          "--years", "2025-2026"], "--organisation: contains a control character"),
    "right-to-left override in --organisation": ({}, ["--ledger", "{dir}/new.db", "init", "--organisation", "Org\u202e",
                                                      "--years", "2025-2026"], "--organisation: contains a right-to-left"),
    "fullwidth digits in --years": ({}, ["--ledger", "{dir}/new.db", "init", "--organisation", "Org",
                                         "--years", "\uff12\uff10\uff12\uff15-\uff12\uff10\uff12\uff16"], "--years: "),
    "--as-of superscript two": ({}, ["show", "--as-of", "\u00b2"], "--as-of '²' is not a document id, a position or a date"),
    "--as-of a fullwidth position": ({}, ["show", "--as-of", "pos:\uff11"], "--as-of 'pos:１': a position is a whole number"),
    "--as-of pos: beyond the ledger": ({}, ["history", "--as-of", "pos:999"], "--as-of pos:999: the ledger has positions 1 to"),
    "--as-of doc: of an unknown document": ({}, ["show", "--as-of", "doc:kb-2026"], "no such document; closest: kb-2025"),
    "--limit 10**20": ({}, [*EXPLAIN, "2025", "--limit", "1" + "0" * 20], "--limit '100000000000000000000': give a whole number from 1"),
    "--limit in Arabic-Indic digits": ({}, [*EXPLAIN, "2025", "--limit", "\u0665"], "--limit '٥': give a whole number"),
    "--year with a superscript": ({}, [*EXPLAIN, "202\u00b2"], "--year '202²': give a whole number"),
    "show --year outside the horizon": ({}, ["show", "--year", "2031"], "--year 2031 is outside the horizon 2025-2027"),
    "contributions --year in fullwidth digits": ({}, ["contributions", "--year", "\uff12\uff10\uff12\uff15"], "--year '２０２５'"),
    "balance --year outside the horizon": ({}, ["balance", "--year", "2031"], "--year 2031 is outside the horizon 2025-2027"),
    "history --kind with a typo": ({}, ["history", "--kind", "verschuiveng"], "--kind 'verschuiveng': no such kind; closest: verschuiving"),
    "history --unit with a typo": ({}, ["history", "--unit", "alphaa"], "--unit 'alphaa': no such unit; closest: alpha"),
    "history --line with a typo": ({}, ["history", "--line", "alpha/personel"], "--line 'alpha/personel': no such line; closest: alpha/personeel"),
    "history --document-kind with a typo": ({}, ["history", "--document-kind", "voorjaarsnot"], "closest: voorjaarsnota"),
    "history --document with a typo": ({}, ["history", "--document", "kb-2026"], "--document 'kb-2026': no such document; closest: kb-2025"),
    "show --unit with a typo": ({}, ["show", "--unit", "bta"], "--unit 'bta': no such unit; closest: beta"),
    "--ledger with port 99999": ({}, ["--ledger", "postgresql://postgres@127.0.0.1:99999/x", "show"], "--ledger: cannot read '127.0.0.1:99999/x'"),
    "--ledger in an unknown home folder": ({}, ["--ledger", "~nosuchuser/x.db", "show"], "--ledger: cannot read '~nosuchuser/x.db'"),
    "reconcile NaN": ({"pub.csv": PUBLISHED.replace("1000000", "NaN")}, ["reconcile", "{dir}/pub.csv"],
                      "pub.csv: row 2, column amount: 'NaN' is not a plain number"),
    "reconcile 1e999999999": ({"pub.csv": PUBLISHED.replace("1000000", "1e999999999")}, ["reconcile", "{dir}/pub.csv"],
                              "pub.csv: row 2, column amount: '1e999999999' is not a plain number"),
    "reconcile a year in Arabic-Indic digits": ({"pub.csv": PUBLISHED.replace("2025", "\u0662\u0660\u0662\u0665")},
                                                ["reconcile", "{dir}/pub.csv"], "pub.csv: row 2, column year"),
    "reconcile --tolerance NaN": ({"pub.csv": PUBLISHED}, ["reconcile", "{dir}/pub.csv", "--tolerance", "NaN"],
                                  "--tolerance 'NaN': give a plain non-negative number"),
    "reconcile --tolerance Infinity": ({"pub.csv": PUBLISHED}, ["reconcile", "{dir}/pub.csv", "--tolerance", "Infinity"],
                                       "--tolerance 'Infinity'"),
    "key participant with a right-to-left override": ({"key.yaml": KEY.format(year=2025, name="Provincie \u202eA", first=60, second=40)},
                                                      ["key", "set", "{dir}/key.yaml"], "key.participants.1.name: contains a right-to-left"),
    "key participant with a zero-width joiner": ({"key.yaml": KEY.format(year=2025, name="Provincie\u200dA", first=60, second=40)},
                                                 ["key", "set", "{dir}/key.yaml"], "key.participants.1.name: contains an invisible"),
    "key percentage in fullwidth digits": ({"key.yaml": KEY.format(year=2025, name="A", first="\uff16\uff10", second=40)},
                                           ["key", "set", "{dir}/key.yaml"], "key.participants.1.percentage: '６０' is not a percentage"),
    "key year in Arabic-Indic digits": ({"key.yaml": KEY.format(year="\u0662\u0660\u0662\u0665", name="A", first=60, second=40)},
                                        ["key", "set", "{dir}/key.yaml"], "key.from: '٢٠٢٥' is not a year"),
    "key file with an alias": ({"key.yaml": KEY.format(year=2025, name="A", first=60, second=40).replace("id: key-2025", "id: &k key-2025")},
                               ["key", "set", "{dir}/key.yaml"], "key.id: anchors (&k) are not allowed"),
    "a file over --max-size": ({"big.yaml": BIG}, ["record", "{dir}/big.yaml", "--max-size", "1"], "big.yaml: the file is 1.2 MB; at most 1 MB"),
    "an imported organisation name with a right-to-left override": (
        {"h.json": '{"format": "begroting-history/1", "organisation": "Org \\u202e", "first_year": 2025, '
                   '"last_year": 2026, "events": []}'},
        ["--ledger", "{dir}/new.db", "import", "{dir}/h.json"], "--organisation: contains a right-to-left"),
    "--max-size that is no number": ({"x.yaml": HEAD}, ["record", "{dir}/x.yaml", "--max-size", "lots"], "--max-size 'lots': give a whole number"),
}


@pytest.mark.parametrize("name", sorted(OPTION_CASES))
def test_rejects_bad_options_with_one_line_and_records_nothing(kaderbrief, name):
    files, args, message = OPTION_CASES[name]
    kaderbrief.record("bw-0.yaml", HEAD.replace("bw-1", "bw-0") + "  - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1}}")
    for file, text in files.items():
        (kaderbrief.folder / file).write_text(text, encoding="utf-8")
    before = kaderbrief.event_count()
    result = kaderbrief(*[a.replace("{dir}", str(kaderbrief.folder)) for a in args], ok=False)
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert kaderbrief.event_count() == before
    assert not (kaderbrief.folder / "new.db").exists()


def test_a_file_over_50_mb_is_refused_before_it_is_read(kaderbrief):
    path = kaderbrief.folder / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(60_000_000)  # sparse: 60 MB by its size, nothing on disk
    before, started = kaderbrief.event_count(), time.monotonic()
    result = kaderbrief("record", str(path), ok=False)
    assert result.exit_code == 1
    assert "huge.yaml: the file is 60.0 MB; at most 50 MB (record --max-size MB allows more)" in result.stderr
    assert time.monotonic() - started < 5
    assert kaderbrief.event_count() == before
