"""Stored text is shown as it was written, whatever it looks like; searches are literal;
two rebuilds at once both end with every event in the read models."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.storage import Location
from projections.db import rebuild_lock

ROOT = Path(__file__).resolve().parent.parent

MARKED = r"""
document: {id: markup, kind: begrotingswijziging, title: "[/bold] titel", date: 2025-05-01}
chart:
  - unit: gamma
    name: "Eenheid [red]Gamma"
    lines:
      - {id: regel, name: "Regel [/x] einde", type: lasten, cost: materieel}
      - {id: baten, name: "Baten :smile: [bold]", type: baten}
  - unit: delta
    name: '$\undefinedcmd$ delta'
    lines:
      - {id: tex, name: '$\frac{a}{$ regel', type: lasten, cost: personeel}
mutations:
  - {kind: wijziging, line: gamma/regel, amounts: {2025: 100}, reason: "reden [/x] einde", structural: true}
  - {kind: wijziging, line: delta/tex, amounts: {2025: 50}, reason: "reden $\\alpha$"}
  - {kind: wijziging, line: gamma/baten, amounts: {2025: 20}, reason: "baten [/]"}
"""

KEY = """
key:
  id: key-2025
  from: 2025
  participants:
    - {name: "[/x] Provincie", percentage: "60"}
    - {name: "Provincie [bold]B", percentage: "40"}
"""


@pytest.fixture
def marked(bg):
    """A ledger whose organisation, units, lines, title, reasons and participants hold markup."""
    bg("init", "--organisation", "Org [/x]", "--years", "2025-2026")
    bg.record("markup.yaml", MARKED)
    bg("key", "set", bg.write("key.yaml", KEY))
    bg("adopt", "markup", "--date", "2025-05-02", "--decision", "Besluit [/x]")
    return bg


# command: texts it must print literally
RENDER_CASES = {
    "show": (["show"], ["Begroting Org [/x]", "Eenheid [red]Gamma", "Regel [/x] einde", "Baten :smile: [bold]"]),
    "show as of the document": (["show", "--as-of", "doc:markup"], ["Regel [/x] einde"]),
    "explain a line": (["explain", "gamma/regel", "--year", "2025"], ["Eenheid [red]Gamma/Regel [/x] einde", "reden [/x] einde",
                                                                       "[/bold] titel"]),
    "explain a unit": (["explain", "gamma", "--year", "2025"], ["Eenheid [red]Gamma", "Regel [/x] einde"]),
    "explain the total": (["explain", "--total", "--year", "2025"], ["Totaal Org [/x]", "$\\undefinedcmd$ delta"]),
    "explain with a waterfall": (["explain", "delta/tex", "--year", "2025", "--waterfall"], ["$\\frac{a}{$ regel"]),
    "document": (["document", "markup"], ["[/bold] titel", "reden [/x] einde", "Besluit [/x]"]),
    "history": (["history"], ["reden [/x] einde", "baten [/]", "Besluit [/x]"]),
    "history --grep with markup": (["history", "--grep", "[/x]"], ["reden [/x] einde"]),
    "contributions": (["contributions", "--year", "2025"], ["[/x] Provincie", "Provincie [bold]B"]),
    "a participant's contribution": (["explain", "--contribution", "[/x] Provincie", "--year", "2025"], ["[/x] Provincie"]),
    "balance": (["balance", "--year", "2025"], ["reden $\\alpha$"]),
    "diff": (["diff", "pos:1", "markup"], ["Eenheid [red]Gamma/Regel [/x] einde", "reden [/x] einde"]),
    "sql": (["sql", "select '[/x]' as markup, name from units"], ["[/x]", "Eenheid [red]Gamma"]),
    "record --dry-run": (["record", "--dry-run", "{dir}/more.yaml"], ["Would record more"]),
}


@pytest.mark.parametrize("name", sorted(RENDER_CASES))
def test_stored_text_is_printed_literally(marked, name):
    args, texts = RENDER_CASES[name]
    (marked.folder / "more.yaml").write_text(
        "document: {id: more, kind: begrotingswijziging, title: T, date: 2025-06-01}\n"
        "mutations: [{kind: wijziging, line: gamma/regel, amounts: {2025: 1}}]\n", encoding="utf-8")
    result = marked(*[a.replace("{dir}", str(marked.folder)) for a in args], ok=False)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for text in texts:
        assert text in result.stdout, f"{text!r} not in:\n{result.stdout}"


def test_names_with_tex_draw_an_svg_and_an_html_report(marked, tmp_path):
    svg = tmp_path / "delta.svg"
    marked("explain", "delta", "--year", "2025", "--svg", str(svg))
    assert "<svg" in svg.read_text(encoding="utf-8")
    report = tmp_path / "report.html"
    marked("report", "--html", str(report))
    page = report.read_text(encoding="utf-8")
    assert "Org [/x]" in page and "$\\undefinedcmd$ delta" in page


def test_grep_is_literal_text_not_a_like_pattern(kaderbrief):
    # % and _ are LIKE wildcards; in --grep they are the characters themselves.
    assert kaderbrief.json("history", "--grep", "%") == []
    assert kaderbrief.json("history", "--grep", "_") == []
    kaderbrief.record("pct.yaml", """
        document: {id: pct, kind: begrotingswijziging, title: Procenten, date: 2025-06-01}
        mutations: [{kind: wijziging, line: alpha/personeel, amounts: {2025: 1}, reason: "Groei 100% van basis_a", reference: "§7_1"}]
        """)
    assert [r["document"] for r in kaderbrief.json("history", "--grep", "100%")] == ["pct"]
    assert [r["document"] for r in kaderbrief.json("history", "--grep", "basis_a")] == ["pct"]
    assert kaderbrief.json("history", "--grep", "groei%basis") == []
    assert kaderbrief.json("history", "--grep", "basis_") != []
    assert kaderbrief.json("history", "--grep", "basis__") == []
    assert kaderbrief.json("history", "--reference", "§7%") == []


def test_as_of_names_its_form_when_an_old_id_reads_as_a_position(kaderbrief):
    # Plain forms keep working; doc:, pos: and date: say which is meant.
    kb = kaderbrief.json("show", "--as-of", "kb-2025")
    assert kaderbrief.json("show", "--as-of", "doc:kb-2025") == kb
    position = kb["position"]
    assert kaderbrief.json("show", "--as-of", f"pos:{position}")["position"] == position
    assert kaderbrief.json("show", "--as-of", "date:9999-12-31")["position"] == kaderbrief.json("show")["position"]
    assert kaderbrief.json("show", "--as-of", "9999-12-31")["position"] == kaderbrief.json("show")["position"]


def _rebuild(address: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "--ledger", str(address), "rebuild"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_second_rebuild_waits_for_the_first(kaderbrief):
    events = kaderbrief.event_count()
    with rebuild_lock(Location.parse(str(kaderbrief.ledger))):
        waiting = _rebuild(kaderbrief.ledger)
        time.sleep(3)  # long enough to start, open the ledger and reach the lock
        assert waiting.poll() is None, waiting.communicate()  # still waiting for the lock
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "another rebuild is running" in err
    assert f"Rebuilt the read models from {events} events." in out


@pytest.mark.slow
def test_two_rebuilds_at_once_both_replay_every_event(kaderbrief):
    events = kaderbrief.event_count()
    before = kaderbrief.json("show")
    runs = [_rebuild(kaderbrief.ledger) for _ in range(2)]
    outcomes = [r.communicate(timeout=120) for r in runs]
    for run, (out, err) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0, err
        assert f"Rebuilt the read models from {events} events." in out, (out, err)
    assert kaderbrief.json("show") == before
