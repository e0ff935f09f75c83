"""The benchmark runs end to end at a small size (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from bench.peers import PAIRS, ratios  # noqa: E402
from bench.run import Progress, generated, record_history  # noqa: E402

FIGURES = ["record_mutations_per_s", "rebuild_mutations_per_s", "raw_sqlite_fold_per_s", "catch_up_ms_p50",
           "explain_ms_p50", "show_cli_ms_p50", "explain_cli_ms_p50", "help_cli_ms_p50", "history_filter_ms_p50",
           "rebuild_peak_mib", "hledger_bal_s",
           # issue 19: what ../shared/acceptance/performance reads, the balance and the contributions
           "as_of_ms_p50", "diff_ms_p50", "explain_total_ms_p50", "balance_ms_p50", "contributions_ms_p50",
           "verify_s", "rebuild_s",
           "views_bytes", "events_bytes", "document_cli_ms_p50", "history_kind_cli_ms_p50",
           # the peers side by side: as-of and a register for both tools, each with its ratio
           "history_line_cli_ms_p50", "hledger_bal_as_of_s", "hledger_reg_s", "ledger_bal_s", "ledger_bal_as_of_s",
           "ledger_reg_s", "hledger_bal_ratio", "hledger_bal_as_of_ratio", "hledger_reg_ratio", "ledger_bal_ratio",
           "ledger_bal_as_of_ratio", "ledger_reg_ratio"]


BENCH = Path(__file__).parent.parent / "bench"


@pytest.mark.slow
def test_the_benchmark_reports_every_figure_and_its_lower_bounds_run_on_its_ledger(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--mutations", "300", "--runs", "1",
                           "--json", str(out), "--dir", str(tmp_path / "work")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert set(FIGURES) <= set(result["figures"])
    assert result["figures"]["mutations"] == 300
    assert result["machine"]["cores"] >= 1
    assert "record_mutations_per_s" in done.stdout

    floors = subprocess.run([sys.executable, str(BENCH / "floors.py"), str(tmp_path / "work" / "bench.db")],
                            capture_output=True, text=True, timeout=300)
    assert floors.returncode == 0, floors.stderr[-2000:]
    lines = floors.stdout.splitlines()
    assert re.match(r"[\d,]+ mutations; raw fold [\d,]+/s$", lines[0])
    assert [line.split()[0] for line in lines[1:]] == ["decode_only", "fold_only", "one_row_per_mutation", "sqlite_json"]
    assert all(line.endswith("× raw fold") for line in lines[1:])


def test_a_ratio_is_the_peers_seconds_over_ours_and_none_without_either():
    figures = {"hledger_bal_s": 1.5, "show_cli_ms_p50": 300.0, "hledger_bal_as_of_s": None,
               "show_as_of_cli_ms_p50": 400.0, "ledger_bal_s": 0.15, "history_line_cli_ms_p50": None,
               "hledger_reg_s": 2.0}
    out = ratios(figures)
    assert set(out) == {peer.removesuffix("_s") + "_ratio" for peer in PAIRS}
    assert out["hledger_bal_ratio"] == 5.0
    assert out["ledger_bal_ratio"] == 0.5
    assert out["hledger_bal_as_of_ratio"] is None  # the peer not installed
    assert out["hledger_reg_ratio"] is None  # ours not measured


def test_a_reused_history_continues_with_the_documents_the_recorded_one_would(tmp_path):
    """`--history`: the generator rebuilt without recording draws the same catch-up documents.
    Seed 10 withdraws one of its seven documents, whose mutations are then never corrected."""
    _, _, gen = record_history(tmp_path / "bench.db", 3000, 10, Progress(False))
    again = generated(3000, 10)
    assert gen.wijzigingen == again.wijzigingen
    assert {w[0] for w in gen.wijzigingen} != {w[0] for w in generated(3000, 10, decide=False).wijzigingen}
    for _ in range(3):
        assert next(gen.documents(10, sizes=(10, 10))) == next(again.documents(10, sizes=(10, 10)))
