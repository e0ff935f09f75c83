"""The budget cycle in small: a Kaderbrief, then a Voorjaarsnota with a correction, a
shift, a kasschuif and a reserve withdrawal; every figure of `show --json` to the cent."""

from __future__ import annotations

from tests.conftest import Cli

VOORJAARSNOTA = """
document:
  id: vjn-2025
  kind: voorjaarsnota
  title: Voorjaarsnota 2025
  date: 2025-05-15
mutations:
  - kind: correctie
    corrects: kb-2025/1
    line: alpha/personeel
    amounts: {2025: 20000}
    structural: true
    reason: Rekenfout in formatie
    reference: "§5"
  - kind: verschuiving
    reason: Functie naar Beta
    reference: "§6"
    structural: true
    legs:
      - {line: alpha/personeel, amounts: {2025: -80000}}
      - {line: beta/personeel, amounts: {2025: 80000}}
  - kind: kasschuif
    line: alpha/uitvoering
    amounts: {2025: -50000, 2026: 50000}
    reason: Bestedingsritme
    reference: "§7"
  - kind: reserve
    line: beta/reserve
    amounts: {2026: -1000}
    reason: Onttrekking
"""


def test_records_the_cycle_and_shows_every_figure_to_the_cent(kaderbrief):
    bg = kaderbrief
    # The Voorjaarsnota corrects the Kaderbrief, shifts a post to Beta and moves cash to 2026.
    out = bg.record("vjn.yaml", VOORJAARSNOTA)
    assert "Recorded vjn-2025 (4 mutations)" in out.stdout

    show = bg.json("show")
    assert show["years"] == ["2025", "2026", "2027"]
    assert bg.line(show, "alpha/personeel") == {"2025": "940000.00", "2026": "940000.00", "2027": "940000.00"}
    # structural {2025: 250015, 2027: 300000}, then the kasschuif on 2025/2026
    assert bg.line(show, "alpha/uitvoering") == {"2025": "200015.00", "2026": "300015.00", "2027": "300000.00"}
    # incidental 2025/2026 plus the structural shift leg carrying into 2027
    assert bg.line(show, "beta/personeel") == {"2025": "480000.00", "2026": "180000.00", "2027": "80000.00"}
    assert bg.line(show, "beta/subsidie") == {"2025": "300000.00", "2026": "300000.00", "2027": "300000.00"}
    assert bg.line(show, "beta/reserve") == {"2025": "0.00", "2026": "-1000.00", "2027": "0.00"}

    units = {u["unit"]: u for u in show["units"]}
    assert units["alpha"]["lasten"] == {"2025": "1140015.00", "2026": "1240015.00", "2027": "1240000.00"}
    assert units["beta"]["lasten"] == {"2025": "480000.00", "2026": "180000.00", "2027": "80000.00"}
    assert units["beta"]["baten"] == {"2025": "300000.00", "2026": "300000.00", "2027": "300000.00"}
    assert units["alpha"]["unit_name"] == "Eenheid Alpha"

    totals = show["totals"]
    assert totals["lasten"] == {"2025": "1620015.00", "2026": "1420015.00", "2027": "1320000.00"}
    assert totals["baten"] == {"2025": "300000.00", "2026": "300000.00", "2027": "300000.00"}
    assert totals["saldo"] == {"2025": "-1320015.00", "2026": "-1120015.00", "2027": "-1020000.00"}
    assert totals["te_dekken"] == {"2025": "1320015.00", "2026": "1119015.00", "2027": "1020000.00"}


def test_proposals_are_marked_and_left_out_with_adopted_only(kaderbrief):
    bg = kaderbrief
    bg.record("vjn.yaml", VOORJAARSNOTA)
    # The Voorjaarsnota is only proposed: show marks it and --adopted-only leaves it out.
    assert bg.line(bg.json("show"), "alpha/personeel")["2025"] == "940000.00"
    pending = next(x for x in bg.json("show")["lines"] if x["unit"] == "alpha" and x["line"] == "personeel")["pending"]
    assert pending == {"2025": "-60000.00", "2026": "-60000.00", "2027": "-60000.00"}
    assert "*" in bg("show").stdout
    adopted = bg.json("show", "--adopted-only")
    assert bg.line(adopted, "alpha/personeel")["2025"] == "1000000.00"

    # Once adopted, both views agree.
    bg("adopt", "vjn-2025", "--date", "2025-06-01", "--decision", "AB 01-06-2025")
    assert bg.json("show", "--adopted-only")["lines"] == bg.json("show")["lines"]


def test_show_filters_by_year_and_unit(kaderbrief):
    show = kaderbrief.json("show", "--year", "2026", "--unit", "beta")
    assert {x["unit"] for x in show["lines"]} == {"beta"}
    assert show["years"] == ["2026"]
    assert kaderbrief.line(show, "beta/personeel") == {"2026": "100000.00"}
    assert kaderbrief("show", "--unit", "gamma", ok=False).exit_code == 1


def test_withdrawn_proposal_stops_counting(kaderbrief):
    bg = kaderbrief
    bg.record("vjn.yaml", VOORJAARSNOTA)
    bg("withdraw", "vjn-2025", "--date", "2025-05-20", "--reason", "Teruggetrokken")
    assert bg.line(bg.json("show"), "alpha/personeel")["2025"] == "1000000.00"
    # A withdrawn document cannot be adopted; an adopted one cannot be withdrawn.
    assert bg("adopt", "vjn-2025", "--decision", "x", ok=False).exit_code == 1
    assert bg("withdraw", "kb-2025", "--reason", "x", ok=False).exit_code == 1


def test_history_lists_mutations_and_lifecycle_events_in_ledger_order(kaderbrief):
    bg = kaderbrief
    bg.record("vjn.yaml", VOORJAARSNOTA)
    bg("adopt", "vjn-2025", "--date", "2025-06-01", "--decision", "AB 01-06-2025")
    rows = bg.json("history")
    kinds = [r["kind"] for r in rows]
    assert kinds == ["ledger_opened"] + ["wijziging"] * 4 + ["document_adopted"] + \
        ["correctie", "verschuiving", "kasschuif", "reserve", "document_adopted"]
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    shift = rows[kinds.index("verschuiving")]
    assert shift["lines"] == ["alpha/personeel", "beta/personeel"]  # legs together in one row
    assert rows[kinds.index("correctie")]["corrects"] == "kb-2025/1"
    assert all({"position", "document", "document_kind", "kind", "recorded_at"} <= set(r) for r in rows)


def test_dry_run_shows_the_effect_and_records_nothing(kaderbrief):
    bg = kaderbrief
    before = bg.event_count()
    out = bg("record", bg.write("vjn.yaml", VOORJAARSNOTA), "--dry-run").stdout
    assert "Would record vjn-2025" in out and "€ -60.000" in out
    assert bg.event_count() == before
    assert bg.line(bg.json("show"), "alpha/personeel")["2025"] == "1000000.00"


def test_recording_identical_content_again_is_a_no_op(kaderbrief):
    bg = kaderbrief
    path = bg.write("vjn.yaml", VOORJAARSNOTA)
    bg("record", path)
    before = bg.event_count()
    # The same content under another name, with other layout and comments, is the same document.
    copy = bg.write("copy.yaml", "# a copy\n" + VOORJAARSNOTA.replace("{2025: 20000}", "{2025: 20000.00}"))
    out = bg("record", copy)
    assert "already recorded" in out.stdout
    assert bg.event_count() == before


def test_csv_records_the_same_document_as_yaml(bg, tmp_path):
    bg("init", "--organisation", "T", "--years", "2025-2027")
    csv_path = bg.write("kb.csv", """
        document_id,document_kind,document_title,document_date,mutation,kind,line,structural,reason,reference,unit_name,line_name,line_type,line_cost,2025,2026
        kb,kaderbrief,Kaderbrief,2024-03-21,1,wijziging,alpha/personeel,true,Basis,§1,Eenheid Alpha,Personele kosten,lasten,personeel,1000000,
        kb,kaderbrief,Kaderbrief,2024-03-21,2,wijziging,alpha/uitvoering,false,Eenmalig,§2,Eenheid Alpha,Uitvoeringskosten,lasten,materieel,4100.15,
        kb,kaderbrief,Kaderbrief,2024-03-21,3,verschuiving,alpha/personeel,true,Schuif,§3,,,,,-500,
        kb,kaderbrief,Kaderbrief,2024-03-21,3,verschuiving,alpha/uitvoering,true,Schuif,§3,,,,,500,
        """)
    bg("record", csv_path)
    show = bg.json("show")
    assert bg.line(show, "alpha/personeel") == {"2025": "999500.00", "2026": "999500.00", "2027": "999500.00"}
    assert bg.line(show, "alpha/uitvoering") == {"2025": "4600.15", "2026": "500.00", "2027": "500.00"}
    assert [r["kind"] for r in bg.json("history")][1:] == ["wijziging", "wijziging", "verschuiving"]
    # The same document as YAML, in a ledger of its own: the same figures, and the same content.
    yaml_ledger = Cli(tmp_path / "yaml.db", tmp_path)
    yaml_ledger("init", "--organisation", "T", "--years", "2025-2027")
    yaml_ledger("record", yaml_ledger.write("kb.yaml", """
        document: {id: kb, kind: kaderbrief, title: Kaderbrief, date: 2024-03-21}
        chart:
          - unit: alpha
            name: Eenheid Alpha
            lines:
              - {id: personeel, name: Personele kosten, type: lasten, cost: personeel}
              - {id: uitvoering, name: Uitvoeringskosten, type: lasten, cost: materieel}
        mutations:
          - {kind: wijziging, line: alpha/personeel, amounts: {2025: 1000000}, structural: true, reason: Basis, reference: §1}
          - {kind: wijziging, line: alpha/uitvoering, amounts: {2025: 4100.15}, reason: Eenmalig, reference: §2}
          - kind: verschuiving
            structural: true
            reason: Schuif
            reference: §3
            legs:
              - {line: alpha/personeel, amounts: {2025: -500}}
              - {line: alpha/uitvoering, amounts: {2025: 500}}
        """))
    assert yaml_ledger.json("show")["lines"] == show["lines"]
    assert "already recorded" in yaml_ledger("record", csv_path).stdout
