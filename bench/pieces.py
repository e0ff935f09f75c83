"""Some figures of the benchmark again, on a ledger `bench/run.py --dir` kept (or a copy of
one), without recording the history again: for a size whose whole run takes too long, or to
measure again after a change. Each figure is written with the 1-minute load average beside
it, since other work on the machine skews it.

    python bench/pieces.py DIR/bench.db --mutations N --runs 3 --json pieces.json [--peers RUN.json]

``--peers``: a whole run's JSON on the same history; its peer times are set beside the
`begroting` processes measured here (the ratio peer ÷ ours), without running them again.
The ledger is written to (rebuilt, caught up, the 20 small documents of the catch-up
recorded): use a copy of one as recorded (`--dir`, before its catch-up documents).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peers import ratios  # noqa: E402
from bench.questions import Points, cli_ms, ms, timed, verify_s  # noqa: E402
from bench.run import EXPLAIN_LIMIT, YEARS, generated, rebuild_in_child  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.integrity import check_events  # noqa: E402
from ledger.parsing import document_from_mapping  # noqa: E402
from projections.queries import Figure  # noqa: E402


def load() -> float:
    return round(os.getloadavg()[0], 2)


def pieces(path: Path, mutations: int, seed: int, runs: int, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        out[name] = value
        out[f"{name}_load"] = load()
        say(f"{name} {value}  (load {out[f'{name}_load']})")

    cli, peak = rebuild_in_child(path)  # also brings read models of an older schema up to date
    put("rebuild_cli_s", round(cli, 2))
    put("rebuild_peak_mib", round(peak, 1))
    with Ledger.open(str(path)) as ledger:
        put("rebuild_s", round(statistics.median(timed(ledger.rebuild, runs)), 2))
        # verify's two halves, in-process: the rule fold of every event, then the read models
        # compared with a replay of the events into fresh ones
        report: Any = None

        def fold() -> None:
            nonlocal report
            report = check_events(ledger.writer.new_model(), ledger.location.chain_rows(),
                                  stamps=ledger.location.stamps(), orphan=ledger.location.orphan_links())
        put("verify_fold_s", round(statistics.median(timed(fold, runs)), 2))
        assert report is not None and not report.problems, report.problems if report else None
        put("verify_compare_s", round(statistics.median(timed(lambda: ledger._compare_views(report, None), 1)), 2))
        assert not report.problems, report.problems
    put("verify_s", round(verify_s(path, runs, lambda _: None), 2))

    with Ledger.open(str(path), write=True) as ledger:
        points = Points.of(ledger.views)
        rng = random.Random(2024)
        lines = [r for r in ledger.views.lines() if r["type"] == "lasten"]
        explains, explains_all = [], []
        for _ in range(15):
            r = rng.choice(lines)
            figure, year = Figure("line", r["unit"], r["line"]), rng.choice(list(YEARS))
            explains += timed(lambda f=figure, y=year: ledger.views.explain(f, y, limit=EXPLAIN_LIMIT), 1)
            explains_all += timed(lambda f=figure, y=year: ledger.views.explain(f, y), 1)
        put("explain_ms_p50", ms(statistics.median(explains)))
        put("explain_all_ms_p50", ms(statistics.median(explains_all)))
        some_line = f"{lines[0]['unit']}/{lines[0]['line']}"
        gen = generated(mutations, seed)  # the catch-up documents `bench/run.py` records
        catch_ups = []
        for _ in range(20):
            doc = next(gen.documents(10, sizes=(10, 10)))
            ledger.record_input(document_from_mapping(doc, "catch-up"), catch_up=False)
            catch_ups += timed(ledger.catch_up, 1)
        put("catch_up_ms_p50", ms(statistics.median(catch_ups)))
    args = ["--ledger", str(path)]
    put("show_cli_ms_p50", cli_ms([*args, "show", "--json"], runs))
    put("show_as_of_cli_ms_p50", cli_ms([*args, "show", "--as-of", str(points.middle), "--json"], runs))
    put("history_line_cli_ms_p50", cli_ms([*args, "history", "--line", some_line, "--all", "--json"], runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger")
    parser.add_argument("--mutations", type=int, required=True, help="As the ledger was recorded with.")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", dest="json_file")
    parser.add_argument("--peers", help="A whole run's JSON on the same history: its peer times.")
    args = parser.parse_args()
    quiet = not sys.stderr.isatty()
    figures = pieces(Path(args.ledger), args.mutations, args.seed, args.runs, (lambda _: None) if quiet else
                     (lambda text: print(text, file=sys.stderr)))
    if args.peers:
        theirs = json.loads(Path(args.peers).read_text())["figures"]
        figures.update({k: v for k, v in theirs.items() if k.startswith(("hledger_", "ledger_")) and k.endswith("_s")})
        figures.update(ratios(figures))
    text = json.dumps({"load_average_1m_at_end": load(), "runs": args.runs, "figures": figures}, indent=2)
    if args.json_file:
        Path(args.json_file).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
