"""The benchmark runs end to end at a small size (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIGURES = ["record_mutations_per_s", "rebuild_mutations_per_s", "raw_sqlite_fold_per_s", "catch_up_ms_p50",
           "explain_ms_p50", "show_cli_ms_p50", "explain_cli_ms_p50", "help_cli_ms_p50", "history_filter_ms_p50",
           "rebuild_peak_mib", "hledger_bal_s"]


def test_the_benchmark_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    script = Path(__file__).parent.parent / "bench" / "run.py"
    done = subprocess.run([sys.executable, str(script), "--mutations", "300", "--runs", "1", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert set(FIGURES) <= set(result["figures"])
    assert result["figures"]["mutations"] == 300
    assert result["machine"]["cores"] >= 1
    assert "record_mutations_per_s" in done.stdout
