"""The benchmark: a synthetic history of N mutations recorded into a fresh ledger, and the
figures of the performance issue, each a median of several runs.

    python bench/run.py --mutations 100000 --json bench-100k.json

Numbers are written down in docs/benchmarks.md; nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peers import peers, ratios  # noqa: E402
from bench.peers import table as peer_rows  # noqa: E402
from bench.questions import Points, cli_ms, in_process, ms, sizes, verify_s, whole_process  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.keys import key_from_mapping  # noqa: E402
from ledger.parsing import document_from_mapping  # noqa: E402
from ledger.synthetic import HistoryGenerator  # noqa: E402
from projections.queries import Figure  # noqa: E402

YEARS = range(2024, 2028)
# A general distribution key from the first year, so that `contributions --as-of` can be asked.
PARTICIPANTS = (("Gemeente Een", "50"), ("Gemeente Twee", "30"), ("Gemeente Drie", "20"))
EXPLAIN_LIMIT = 50  # the CLI's default --limit
HISTORY_PAGE = 200  # the rows `history` shows on a terminal (cli.questions.HISTORY_PAGE)


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "load_average_1m": round(os.getloadavg()[0], 2)}  # other work on the machine skews every figure


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


class Progress:
    """A rich progress bar on a terminal; silent when piped."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(transient=True)
            self.bar.start()

    def task(self, description: str, total: int | None):
        if self.bar is None:
            return lambda done: None
        task = self.bar.add_task(description, total=total)
        return lambda done: self.bar.update(task, completed=done)

    def step(self, description: str, total: int | None = None):
        """A step of its own; the returned function marks how much of ``total`` is done."""
        return self.task(description, total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class BenchHistory(HistoryGenerator):
    """The synthetic history, with indexations as frequent per figure beyond 100,000 mutations
    as at 100,000. Each indexation raises two lines by up to 6 % of what they stand at, so at
    3 % of all mutations they compound: at 1,000,000 the figures grow some millionfold and the
    ledger refuses a document whose amounts its integer cents could no longer add up (the
    absolute amounts together at most € 92 quadrillion). Up to 100,000 mutations nothing
    changes (the histories of earlier runs); beyond, each indexation is kept with probability
    100,000 / N and is otherwise drawn again as another kind of mutation."""

    def __init__(self, seed: int, years: range, mutations: int, **chart: int):
        super().__init__(seed, years, **chart)
        self.keep = min(1.0, 100_000 / max(mutations, 1))

    def mutation(self) -> dict:
        m = super().mutation()
        while m["kind"] == "indexatie" and self.keep < 1 and self.rng.random() >= self.keep:
            m = super().mutation()
        return m


def decision(doc: dict, rng: random.Random) -> tuple[str | None, date]:
    """What a council does with a document: adopt most (a decision some weeks after its date),
    withdraw the odd begrotingswijziging, leave the rest proposed."""
    head = doc["document"]
    day = date.fromisoformat(head["date"]) + timedelta(days=rng.randint(14, 60))
    roll = rng.random()
    if roll < 0.75:
        return "adopt", day
    if roll < 0.8 and head["kind"] == "begrotingswijziging":
        return "withdraw", day
    return None, day


def decide(ledger: Ledger, gen: HistoryGenerator, doc: dict, rng: random.Random) -> None:
    action, day = decision(doc, rng)
    if action == "adopt":
        ledger.adopt(doc["document"]["id"], day, f"Raadsbesluit {day.isoformat()}")
    elif action == "withdraw":
        ledger.withdraw(doc["document"]["id"], day, "Ingetrokken")
        gen.withdrawn(doc["document"]["id"])


def generated(n: int, seed: int, *, decide: bool = True) -> BenchHistory:
    """The generator as `record_history` leaves it, without recording: for a history reused.
    (``decide=False``: as if no document were withdrawn.)"""
    gen = BenchHistory(seed, YEARS, n, units=7, lines=5)
    rng = random.Random(seed + 1)
    gen.opening()
    for doc in gen.documents(n, sizes=(10, 1000)):
        if decision(doc, rng)[0] == "withdraw" and decide:
            gen.withdrawn(doc["document"]["id"])
    return gen


def reuse_history(history: Path, path: Path, n: int, seed: int) -> tuple[float | None, int, BenchHistory]:
    """A ledger this benchmark recorded earlier with the same N and seed, copied (events and
    read models) instead of recorded again; its recording time is read from ``history``
    with the suffix .json ({"record_s": …}) when that was kept, else None."""
    shutil.copyfile(history, path)
    views = history.with_suffix(".views.db")
    if views.exists():
        shutil.copyfile(views, path.with_suffix(".views.db"))
    side = history.with_suffix(".json")
    record_s = json.loads(side.read_text()).get("record_s") if side.exists() else None
    with sqlite3.connect(path) as conn:
        recorded = sum(len(json.loads(state)["mutations"]) for (state,) in conn.execute(
            "SELECT state FROM stored_events WHERE topic='begroting:DocumentRecorded'"))
    conn.close()
    return record_s, recorded, generated(n, seed)


def record_history(path: Path, n: int, seed: int, progress: Progress) -> tuple[float, int, BenchHistory]:
    """Records the history; the time is that of `record_input` alone (adoptions left out)."""
    gen = BenchHistory(seed, YEARS, n, units=7, lines=5)
    rng = random.Random(seed + 1)
    with Ledger.init(str(path), "Benchmark", YEARS.start, YEARS.stop - 1) as ledger:
        ledger.record_input(document_from_mapping(gen.opening(), "opening"))
        ledger.set_key_input(key_from_mapping({"key": {"id": "algemeen", "from": YEARS.start, "participants": [
            {"name": name, "percentage": share} for name, share in PARTICIPANTS]}}, "algemeen"))
        update = progress.task(f"recording {n:,} mutations", n)
        done, elapsed = 0, 0.0
        for doc in gen.documents(n, sizes=(10, 1000)):
            started = time.perf_counter()
            ledger.record_input(document_from_mapping(doc, doc["document"]["id"]))
            elapsed += time.perf_counter() - started
            decide(ledger, gen, doc, rng)
            done += len(doc["mutations"])
            update(done)
    return elapsed, done, gen


def raw_fold(folder: Path, n: int, seed: int) -> float:
    """The physical limit: N JSON rows read with plain sqlite3 + json.loads, summed per line/year."""
    path = folder / "raw.db"
    path.unlink(missing_ok=True)
    rng = random.Random(seed)
    lines = [f"u{u}/l{x}" for u in range(1, 8) for x in range(1, 6)]
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE rows (state TEXT)")
        conn.executemany("INSERT INTO rows VALUES (?)", (
            (json.dumps({"line": rng.choice(lines), "amounts": {str(y): rng.randint(-10**7, 10**7)
                                                               for y in rng.sample(list(YEARS), rng.randint(1, 3))}}),)
            for _ in range(n)))
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    totals: dict[tuple[str, str], int] = {}
    for (state,) in conn.execute("SELECT state FROM rows"):
        row = json.loads(state)
        line = row["line"]
        for year, amount in row["amounts"].items():
            key = (line, year)
            totals[key] = totals.get(key, 0) + amount
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def events_fold(path: Path) -> float:
    """The same limit over this ledger's own stored events (documents of many mutations)."""
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    totals: dict[tuple[str, str, str], int] = {}
    for (state,) in conn.execute("SELECT state FROM stored_events WHERE topic='begroting:DocumentRecorded'"):
        for m in json.loads(state)["mutations"]:
            for leg in m["legs"]:
                unit, line = leg["unit"], leg["line"]
                for year, amount in leg["amounts_cents"].items():
                    key = (unit, line, year)
                    totals[key] = totals.get(key, 0) + amount
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def rebuild_in_child(path: Path) -> tuple[float, float]:
    """`begroting rebuild` as a process: (seconds, its peak resident memory in MiB)."""
    exe = str(Path(sys.executable).with_name("begroting"))
    started = time.perf_counter()
    proc = subprocess.Popen([exe, "--ledger", str(path), "rebuild"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit("rebuild failed in the child process")
    return elapsed, usage.ru_maxrss / 1024


def run(n: int, runs: int, seed: int, folder: Path, quiet: bool, history: Path | None = None) -> dict:
    progress = Progress(not quiet)
    load_at_start = round(os.getloadavg()[0], 2)
    path = folder / "bench.db"
    try:
        if history is not None:
            record_s, recorded, gen = reuse_history(history, path, n, seed)
        else:
            record_s, recorded, gen = record_history(path, n, seed, progress)

        # Timed in-process like the folds below, so both measure the work and neither the
        # interpreter's start; the command as a whole (and its memory) in a child process.
        rebuild_cli, peak = rebuild_in_child(path)
        rebuilds = []
        with Ledger.open(str(path)) as ledger:
            for _ in range(runs):
                started = time.perf_counter()
                ledger.rebuild()
                rebuilds.append(time.perf_counter() - started)
        folds = [raw_fold(folder, recorded, seed) for _ in range(runs)]
        event_folds = [events_fold(path) for _ in range(runs)]

        with Ledger.open(str(path), write=True) as ledger:
            points = Points.of(ledger.views)  # in the history as generated, before the catch-up documents
            catch_ups = []
            for _ in range(20):
                doc = next(gen.documents(10, sizes=(10, 10)))
                ledger.record_input(document_from_mapping(doc, "catch-up"), catch_up=False)
                started = time.perf_counter()
                ledger.catch_up()
                catch_ups.append(time.perf_counter() - started)
            rng = random.Random(seed)
            lines = [r for r in ledger.views.lines() if r["type"] == "lasten"]
            explains, explains_all, filters = [], [], []
            for _ in range(50):
                r = rng.choice(lines)
                figure, year = Figure("line", r["unit"], r["line"]), rng.choice(list(YEARS))
                started = time.perf_counter()
                ledger.views.explain(figure, year, limit=EXPLAIN_LIMIT)  # what `begroting explain` shows by default
                explains.append(time.perf_counter() - started)
                started = time.perf_counter()
                ledger.views.explain(figure, year)  # --all: every step, however many
                explains_all.append(time.perf_counter() - started)
                started = time.perf_counter()
                ledger.views.history(kind="verschuiving", unit=r["unit"], reference="§7", date_from="2024-01-01",
                                     limit=HISTORY_PAGE)  # the page a terminal shows
                filters.append(time.perf_counter() - started)
            some_line = f"{lines[0]['unit']}/{lines[0]['line']}"  # explained, and registered beside the peers
            tick = progress.step("as-of, diff and explain of the total (in-process)")
            questions = in_process(ledger.views, points, YEARS)
            tick(1)

        rebuild_s = p50(rebuilds)
        fold_s = p50(folds)
        figures: dict[str, Any] = {
            "mutations": recorded,
            "record_mutations_per_s": round(recorded / record_s) if record_s else None,
            "rebuild_mutations_per_s": round(recorded / rebuild_s),
            "raw_sqlite_fold_per_s": round(recorded / fold_s),
            "raw_sqlite_fold_events_per_s": round(recorded / p50(event_folds)),
            "rebuild_to_raw_ratio": round(fold_s / rebuild_s, 3),
            "rebuild_cli_s": round(rebuild_cli, 2),
            "rebuild_peak_mib": round(peak, 1),
            "catch_up_ms_p50": ms(p50(catch_ups)),
            "explain_ms_p50": ms(p50(explains)),
            "explain_all_ms_p50": ms(p50(explains_all)),
            "history_filter_ms_p50": ms(p50(filters)),
            "show_cli_ms_p50": cli_ms(["--ledger", str(path), "show", "--json"], runs=5),
            "explain_cli_ms_p50": cli_ms(["--ledger", str(path), "explain", some_line, "--year", "2025", "--json"],
                                         runs=5),
            "help_cli_ms_p50": cli_ms(["--help"], runs=5),
            # every mutation touching one line: the register the peers are asked for
            "history_line_cli_ms_p50": cli_ms(["--ledger", str(path), "history", "--line", some_line, "--all",
                                               "--json"], runs=runs),
            **questions,
            **whole_process(path, points, progress.step("as-of, diff, history, document (whole process)", 4)),
            "rebuild_s": round(rebuild_s, 3),
            "verify_s": verify_s(path, runs, progress.step("verify (whole process)", runs)),
            **peers(folder, path, points.middle_date, some_line,
                    progress.step("hledger and ledger-cli on a journal", 7)),
        }
        figures.update(ratios(figures))
        figures.update(sizes(path))
        figures["ledger_file_mib"] = round(figures["events_bytes"] / 2**20, 1)
        figures["views_file_mib"] = round(figures["views_bytes"] / 2**20, 1)
        figures["views_to_events_ratio"] = round(figures["views_bytes"] / figures["events_bytes"], 2)
    finally:
        progress.stop()
    return {"machine": machine(), "load_average_1m_at_start": load_at_start, "runs": runs, "seed": seed,
            "points": {"third": points.third, "middle": points.middle, "two_thirds": points.two_thirds,
                       "late": points.late, "middle_document": points.middle_document,
                       "middle_date": points.middle_date},
            "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, required=True, help="How many mutations the history holds.")
    parser.add_argument("--json", dest="json_file", help="Also write the results to this JSON file.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per figure measured as a median (default 3).")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--dir", help="Work in this folder (kept) instead of a temporary one.")
    parser.add_argument("--history", help="A ledger this benchmark recorded before with the same --mutations and "
                                          "--seed (never written to): copied instead of recorded again.")
    args = parser.parse_args()
    history = Path(args.history) if args.history else None
    if args.dir:
        folder = Path(args.dir)
        folder.mkdir(parents=True, exist_ok=True)
        result = run(args.mutations, args.runs, args.seed, folder, quiet=False, history=history)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(args.mutations, args.runs, args.seed, Path(tmp), quiet=False, history=history)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(result, indent=2) + "\n")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"begroting benchmark, {result['figures']['mutations']:,} mutations", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in result["figures"].items():
        table.add_row(key, "—" if value is None else f"{value:,}" if isinstance(value, int) else str(value))
    console = Console()
    console.print(table)
    sides = Table(title="side by side (ratio: the peer's time ÷ begroting's; above 1, begroting is faster)",
                  title_justify="left")
    for column in ("peer", "seconds", "begroting", "seconds", "ratio"):
        sides.add_column(column, justify="left" if column in ("peer", "begroting") else "right")
    for row in peer_rows(result["figures"]):
        sides.add_row(*row)
    console.print(sides)


if __name__ == "__main__":
    main()
