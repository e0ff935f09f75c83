"""The README's newcomer's path: the command after the set-up block points at the demo ledger,
every command of the Tour (and of the other example blocks) runs as written, and the waterfall
SVG's title fits its figure. Commands run in-process, in a temporary folder, never in the repo."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def block_after(heading: str, *, nth: int = 1) -> list[str]:
    """The lines of the nth fenced code block after the README heading `heading`."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert heading in lines, f"README.md has no heading {heading!r}"
    blocks, inside, current = [], False, []
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith("## ") and not inside:
            break  # the next section
        if line.startswith("```"):
            if inside:
                blocks.append(current)
                current = []
            inside = not inside
            continue
        if inside:
            current.append(line)
    assert len(blocks) >= nth, f"README.md: no code block {nth} under {heading!r}"
    return blocks[nth - 1]


def commands(lines: list[str]) -> list[list[str]]:
    """The arguments of every `begroting ...` line (comments dropped), with a path that exists in
    the repository (tests/data/…, ledger/demo/…, docs/…) made absolute."""
    found = []
    for line in lines:
        if not line.startswith("begroting "):
            continue
        args = shlex.split(line, comments=True)[1:]
        found.append([str(ROOT / a) if "/" in a and (ROOT / a).is_file() else a for a in args])
    return found


TOUR = commands(block_after("## Tour"))


@pytest.fixture(scope="module")
def demo(demo_ledger: Cli) -> Cli:
    return demo_ledger


def test_the_tour_is_there_and_shows_each_view():
    assert len(TOUR) >= 10, f"the README's Tour lists only {len(TOUR)} commands"
    views = {args[0] for args in TOUR}
    assert {"show", "explain", "diff", "history", "document", "balance", "reserves", "contributions",
            "reconcile", "verify", "export", "report"} <= views


@pytest.mark.parametrize("args", TOUR, ids=[" ".join(a[:3]) for a in TOUR])
def test_every_tour_command_runs_on_the_demo(demo, args, monkeypatch):
    monkeypatch.chdir(demo.folder)  # files the tour writes land beside the temporary ledger
    result = demo(*args)  # asserts exit code 0
    assert result.output.strip()


def test_what_the_tour_says_of_its_commands(demo, monkeypatch):
    monkeypatch.chdir(demo.folder)
    published = str(ROOT / "tests" / "data" / "bij12-2024-published.csv")
    assert ["reconcile", published] in TOUR and "--tolerance" not in str(TOUR)
    result = demo.json("reconcile", published)
    assert (result["mismatches"], result["warnings"]) == (0, 0)
    assert [r["status"] for r in result["rows"]].count("rounded") == 2
    for args in TOUR:
        if args[0] in ("export", "report"):
            demo(*args)
            assert (demo.folder / args[-1]).stat().st_size > 0
    dutch = next(a[-1] for a in TOUR if "--dutch" in a)
    text = (demo.folder / dutch).read_text(encoding="utf-8")
    assert text.startswith("\ufeffunit;") and re.search(r";-?\d+,\d\d\r?$", text.splitlines()[1])


def test_the_command_after_the_setup_block_reaches_the_demo(tmp_path, monkeypatch):
    """`begroting demo` with no --ledger writes ./begroting-demo.db; the README then exports
    BEGROTING_LEDGER so that the next bare `begroting` command reads that ledger."""
    setup = block_after("# begroting — an event-sourced ledger for budget amendments")
    assert len(setup) == 2 and setup[0].endswith(".venv/bin/begroting demo") and "pytest" in setup[1]
    go_on = block_after("# begroting — an event-sourced ledger for budget amendments", nth=2)
    exports = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups() for line in go_on if line.startswith("export "))
    assert exports.get("BEGROTING_LEDGER") == "begroting-demo.db"
    assert ". .venv/bin/activate" in go_on
    monkeypatch.chdir(tmp_path)
    bare = CliRunner(env={"BEGROTING_LEDGER": None, "COLUMNS": "200"})
    assert bare.invoke(cli, ["demo"], catch_exceptions=False).exit_code == 0
    assert (tmp_path / "begroting-demo.db").is_file()
    after = CliRunner(env={**exports, "COLUMNS": "200"})
    result = after.invoke(cli, ["show", "--year", "2024", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["organisation"] == "BIJ12"
    assert not (tmp_path / "begroting.db").exists()


def test_the_using_it_block_runs_as_written(tmp_path, monkeypatch):
    """'Using it' builds a ledger of its own from the demo's documents and runs every command."""
    monkeypatch.chdir(tmp_path)
    lines = block_after("## Using it")
    assert lines[0].startswith("unset BEGROTING_LEDGER")
    bg = Cli(tmp_path / "begroting.db", tmp_path)
    ran = 0
    for args in commands(lines):
        if any("$(" in a for a in args):
            digest = bg("digest").stdout.strip()
            args = [digest if "$(" in a else a for a in args]
        bg(*args)
        ran += 1
    assert ran >= 25


def test_the_export_block_runs_on_the_demo(demo, monkeypatch):
    monkeypatch.chdir(demo.folder)
    for args in commands(block_after("## Exports and reconciliation")):
        if args[0] == "--ledger":  # the import into a new ledger of its own
            result = CliRunner().invoke(cli, [args[0], str(demo.folder / args[1]), *args[2:]], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert Cli(demo.folder / args[1], demo.folder)("digest").stdout == demo("digest").stdout
        else:
            demo(*args)


# ---------------------------------------------------------------- the waterfall's title

LONG_TITLE = ("Expertiseteam Stikstof en Natura 2000/Informatiepunt Stikstof (subsidie LNV (inclusief "
              "Piekbelasters) en KPS) 2024: € 424.456")
STEPS = [SimpleNamespace(document="kaderbrief-2024", amount_cents=5271690800),
         SimpleNamespace(document="begroting-2024", amount_cents=120000000)]


@pytest.mark.parametrize("size", [(6, 4.5), (5, 3.2)])
def test_a_long_waterfall_title_wraps_inside_the_figure(size):
    import matplotlib.pyplot as plt

    from cli.charts import waterfall_figure

    fig = waterfall_figure(LONG_TITLE, STEPS, size=size)
    try:
        title = fig.axes[0].title
        lines = title.get_text().split("\n")
        assert " ".join(lines) == LONG_TITLE  # all of it, wrapped at spaces only
        assert 2 <= len(lines) <= 3 and all(len(line) <= 70 for line in lines)
        assert lines[-1].endswith("€ 424.456") and not any(line.endswith("€") for line in lines)
        box, page = title.get_window_extent(), fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and box.y1 <= page.y1
    finally:
        plt.close(fig)


def drawn_title(svg: str, title: str) -> str | None:
    """The title as the SVG draws it: matplotlib writes each text line it draws as a comment;
    the title is the run of one to three consecutive comments that, joined by spaces, is it."""
    comments = re.findall(r"<!-- (.*?) -->", svg)
    for i in range(len(comments)):
        for k in (1, 2, 3):
            if " ".join(comments[i:i + k]) == title:
                return "\n".join(comments[i:i + k])
    return None


def test_the_svg_carries_the_whole_title(demo, tmp_path):
    from cli.charts import waterfall_svg_text

    drawn = drawn_title(waterfall_svg_text(LONG_TITLE, STEPS, size=(5, 3.2)), LONG_TITLE)
    assert drawn is not None and "\n" in drawn
    # And as the CLI writes it for the figure the Tour explains.
    out = tmp_path / "open-eind.svg"
    demo("explain", "faunazaken/open-eind", "--year", "2024", "--waterfall", "--svg", str(out))
    title = "Faunazaken/Open-eind-regeling afhandelen faunaschades 2024: € 53.916.908"
    drawn = drawn_title(out.read_text(encoding="utf-8"), title)
    assert drawn is not None and all(len(line) <= 70 for line in drawn.split("\n"))
