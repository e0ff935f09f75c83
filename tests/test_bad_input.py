"""Every kind of bad input is refused with one clear line per problem naming the file and
the field, exit code 1, no traceback, and not a single event added."""

from __future__ import annotations

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
""", "mutations.1.legs: the shift does not net to zero in 2025: off by -€ 0,01"),
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
