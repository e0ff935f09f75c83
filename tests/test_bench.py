"""The benchmark runs end to end at a small size (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

FIGURES = ["record_mutations_per_s", "rebuild_mutations_per_s", "raw_sqlite_fold_per_s", "catch_up_ms_p50",
           "explain_ms_p50", "show_cli_ms_p50", "explain_cli_ms_p50", "help_cli_ms_p50", "history_filter_ms_p50",
           "rebuild_peak_mib", "hledger_bal_s",
           # issue 19: what ../shared/acceptance/performance reads, the balance and the contributions
           "as_of_ms_p50", "diff_ms_p50", "explain_total_ms_p50", "balance_ms_p50", "contributions_ms_p50",
           "verify_s", "rebuild_s",
           "views_bytes", "events_bytes", "document_cli_ms_p50", "history_kind_cli_ms_p50"]


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
