"""The point-in-time questions of issue 19, timed on the benchmark's ledger: the begroting as
of a past point, the diff between two points, the explanation of the total, each in-process
(the work) and as a whole `begroting` process (what a user waits for); `verify` as a process;
and the bytes the event store and the read models take on disk.

The points are document boundaries (the position of a DocumentRecorded), chosen by their
place in the list of documents, so they fall at the same fraction of the history whatever N.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPEATS = 5  # samples per point for an in-process question (the figure is the median of all)
CLI_RUNS = 5


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def begroting() -> str:
    return str(Path(sys.executable).with_name("begroting"))


@dataclass(frozen=True)
class Points:
    """Document boundaries: a third, half-way, two thirds and late in the history, and head."""

    third: int
    middle: int
    two_thirds: int
    late: int
    middle_document: str
    middle_date: str  # the document date half-way: the as-of date for the peers

    @classmethod
    def of(cls, views: Any) -> Points:
        docs = [d for d in views.documents() if d.kind != "opening"] or views.documents()

        def at(fraction: float) -> Any:
            return docs[min(int(len(docs) * fraction), len(docs) - 1)]

        middle = at(0.5)
        return cls(at(1 / 3).position, middle.position, at(2 / 3).position, at(0.9).position,
                   middle.document, middle.date)


def timed(call: Callable[[], object], repeats: int = REPEATS) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


DIFF_LIMIT = 10  # causes per figure, the CLI's default `diff --limit`


def in_process(views: Any, points: Points, years: range) -> dict[str, float]:
    """as_of, diff, explain of the total, the structural balance and the participants'
    contributions (under the general key set at the start), each the median of every sample
    taken."""
    total = views.total_figure()
    year = years.start + len(years) // 2
    as_of = timed(lambda: views.show(points.middle)) + timed(lambda: views.show(points.late))
    diff = timed(lambda: views.diff(points.third, points.two_thirds, limit=DIFF_LIMIT))
    explain = (timed(lambda: views.explain(total, year, None, limit=50))
               + timed(lambda: views.explain(total, year, points.middle, limit=50)))
    from projections.rules import Rules

    # The structural balance as `balance` answers by default: its sums and the latest 50 incidental items.
    balance = timed(lambda: Rules(views).balance(year, points.middle, limit=50))
    from projections.contributions import ContributionQueries

    contributions = timed(lambda: ContributionQueries(views).contributions(year, points.middle))
    return {"as_of_ms_p50": ms(statistics.median(as_of)), "diff_ms_p50": ms(statistics.median(diff)),
            "explain_total_ms_p50": ms(statistics.median(explain)), "balance_ms_p50": ms(statistics.median(balance)),
            "contributions_ms_p50": ms(statistics.median(contributions))}


def cli_ms(args: list[str], runs: int = CLI_RUNS) -> float:
    """A whole `begroting` process, output thrown away: the median of ``runs``, after one run
    that is not counted. The processes may cache their compiled modules, as Python does on
    any machine it is installed on: with PYTHONDONTWRITEBYTECODE set (as it is on our
    development machines) every process would compile every module it imports again, 20–30
    ms that no user's second command pays."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([begroting(), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env)
        samples.append(time.perf_counter() - started)
    return ms(statistics.median(samples[1:]))


def whole_process(path: Path, points: Points, tick: Callable[[int], None]) -> dict[str, float]:
    ledger = ["--ledger", str(path)]
    commands = {
        "show_as_of_cli_ms_p50": ["show", "--as-of", str(points.middle), "--json"],
        "diff_cli_ms_p50": ["diff", str(points.third), str(points.two_thirds), "--json"],
        "history_kind_cli_ms_p50": ["history", "--kind", "verschuiving", "--limit", "200", "--json"],  # a page
        "document_cli_ms_p50": ["document", points.middle_document, "--json"],
    }
    out = {}
    for done, (name, args) in enumerate(commands.items(), start=1):
        out[name] = cli_ms([*ledger, *args])
        tick(done)
    return out


def verify_s(path: Path, runs: int, tick: Callable[[int], None]) -> float:
    """`begroting verify` as a process (chain, fold with every rule, replay and compare)."""
    samples = []
    for done in range(1, runs + 1):
        started = time.perf_counter()
        subprocess.run([begroting(), "--ledger", str(path), "verify"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
        tick(done)
    return round(statistics.median(samples), 3)


def bytes_on_disk(path: Path) -> int:
    """A SQLite file and its -wal after a checkpoint (no process holds it open by then)."""
    if path.exists():
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def sizes(path: Path) -> dict[str, int]:
    return {"events_bytes": bytes_on_disk(path), "views_bytes": bytes_on_disk(path.with_suffix(".views.db"))}
