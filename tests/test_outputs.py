"""Files the CLI writes — exports, the HTML report, the waterfall SVG — never land on the
ledger or its read models, and are written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHART, Cli

# (how to write an output named FILE, the option the refusal names)
OUTPUTS = {
    "json": (["export", "--format", "json", "FILE"], "FILE"),
    "csv": (["export", "--format", "csv", "FILE"], "FILE"),
    "xlsx": (["export", "--format", "xlsx", "FILE"], "FILE"),
    "html": (["report", "--html", "FILE"], "--html"),
    "svg": (["explain", "alpha/personeel", "--year", "2025", "--svg", "FILE"], "--svg"),
}


@pytest.fixture
def ledger(tmp_path: Path) -> Cli:
    bg = Cli(tmp_path / "ledger.db", tmp_path)
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    return bg


def _write(bg: Cli, kind: str, target: str, ok: bool = True):
    args, _ = OUTPUTS[kind]
    return bg(*[target if a == "FILE" else a for a in args], ok=ok)


def _targets(bg: Cli) -> dict[str, str]:
    """Every way of naming a file that belongs to the ledger."""
    folder = bg.folder
    (folder / "sub").mkdir(exist_ok=True)
    os.symlink(folder / "ledger.db", folder / "alias.db")
    os.link(folder / "ledger.db", folder / "hardlink.db")
    return {
        "the ledger": str(folder / "ledger.db"),
        "the read models": str(folder / "ledger.views.db"),
        "the ledger's WAL": str(folder / "ledger.db-wal"),
        "the read models' shared memory": str(folder / "ledger.views.db-shm"),
        "the ledger's journal": str(folder / "ledger.db-journal"),
        "a relative path": os.path.relpath(folder / "sub" / ".." / "ledger.db"),
        "a symbolic link": str(folder / "alias.db"),
        "a hard link": str(folder / "hardlink.db"),
    }


@pytest.mark.parametrize("kind", OUTPUTS)
def test_no_output_overwrites_the_ledger_or_its_read_models(ledger: Cli, kind: str):
    before = ledger.json("show")
    events = ledger.event_count()
    for what, target in _targets(ledger).items():
        existed = Path(target).exists()
        size = Path(target).stat().st_size if existed else None
        result = _write(ledger, kind, target, ok=False)
        # Refused, in one line naming the option and the file it would have overwritten.
        assert result.exit_code == 1, (what, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (what, result.output)
        assert OUTPUTS[kind][1] in lines[0] and "ledger" in lines[0], (what, lines[0])
        assert "Wrote" not in result.output
        if existed and not Path(target).name.endswith(("-wal", "-shm")):
            assert Path(target).stat().st_size == size, what
    # Nothing changed: the ledger answers with the same figures and the same events.
    assert ledger.json("show") == before
    assert ledger.event_count() == events
    ledger("verify")


@pytest.mark.parametrize("kind", OUTPUTS)
def test_an_output_is_written_whole_through_a_temporary_file(ledger: Cli, kind: str):
    target = ledger.folder / f"out.{kind}"
    _write(ledger, kind, str(target))
    assert target.stat().st_size > 0
    assert [p.name for p in ledger.folder.iterdir() if "out" in p.name] == [f"out.{kind}"]


@pytest.mark.parametrize("kind", OUTPUTS)
def test_an_output_failing_half_way_leaves_the_old_file_and_no_partial_one(ledger: Cli, kind: str, monkeypatch):
    target = ledger.folder / f"out.{kind}"
    target.write_text("the previous export\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    # The whole export is written, then the disk fills up as it is flushed.
    monkeypatch.setattr(os, "fsync", disk_full)
    result = _write(ledger, kind, str(target), ok=False)
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "internal error" not in result.output
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in ledger.folder.iterdir() if "out" in p.name] == [f"out.{kind}"]


# ------------------------------------------------------------------ the demo writes only its own ledger


def test_the_demo_refuses_to_write_into_an_organisations_ledger(bg: Cli):
    # A real ledger, with a document of its own.
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    before, shown = bg.event_count(), bg.json("show")
    # `demo` pointed at it refuses in one line and records nothing.
    result = bg("demo", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: ") and len(result.output.strip().splitlines()) == 1
    assert "not a demo ledger" in result.output
    assert bg.event_count() == before and bg.json("show") == shown


def test_the_demo_refuses_a_fresh_ledger_of_the_same_organisation(bg: Cli):
    # Even an empty BIJ12 ledger is somebody's: the demo never adds its documents to it.
    bg("init", "--organisation", "BIJ12", "--years", "2024-2027")
    before = bg.event_count()
    result = bg("demo", ok=False)
    assert result.exit_code == 1 and "not a demo ledger" in result.output
    assert bg.event_count() == before


def test_the_demo_refuses_its_own_ledger_once_a_user_recorded_into_it(tmp_path: Path):
    bg = Cli(tmp_path / "demo.db", tmp_path)
    bg("demo")
    bg.record("extra.yaml", CHART.replace("alpha", "gamma").replace("beta", "delta").replace("kb-2025", "extra")
              .replace("2025:", "2024:").replace("2026:", "2025:").replace("2027:", "2026:"))
    before = bg.event_count()
    result = bg("demo", ok=False)
    assert result.exit_code == 1 and "not a demo ledger" in result.output
    assert bg.event_count() == before
