"""How fast could a rebuild be? Lower bounds for the rebuild target of docs/benchmarks.md,
measured on a ledger that `bench/run.py --dir DIR` kept:

    python bench/floors.py DIR/bench.db [--runs N]

Each experiment reads the same stored DocumentRecorded events as `begroting rebuild` and does
less than it: decoding only; decoding and summing per line/year (no rows written); the leanest
read model that still lists mutations (one row per mutation plus per-document sums, no legs or
per-year effects); and the current tables filled by SQLite's own JSON functions instead of
Python. Each is printed as mutations/s and as a ratio to the raw fold of the same size.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import YEARS, raw_fold  # noqa: E402

TOPIC = "begroting:DocumentRecorded"


def documents(path: Path) -> list[tuple[int, bytes]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT rowid, state FROM stored_events WHERE topic = ?", (TOPIC,)).fetchall()


def decode_only(docs: list, out: sqlite3.Connection) -> None:
    for _, state in docs:
        json.loads(state)


def fold_only(docs: list, out: sqlite3.Connection) -> None:
    totals: dict[tuple, int] = {}
    for _, state in docs:
        for m in json.loads(state)["mutations"]:
            for leg in m["legs"]:
                for year, amount in leg["amounts_cents"].items():
                    key = (leg["unit"], leg["line"], year)
                    totals[key] = totals.get(key, 0) + amount


def one_row_per_mutation(docs: list, out: sqlite3.Connection) -> None:
    """No legs and no per-year effects: a mutation row (legs kept as JSON text) and the
    document's sum per line/year. Explain and the filters would have to scan these."""
    out.execute("CREATE TABLE IF NOT EXISTS m (position, seq, kind, reason, reference, structural, lines, legs)")
    out.execute("CREATE TABLE IF NOT EXISTS f (position, unit, line, year, cents, steps)")
    out.execute("BEGIN")
    for position, state in docs:
        rows: list[tuple] = []
        sums: dict[tuple, tuple[int, int]] = {}
        for m in json.loads(state)["mutations"]:
            for leg in m["legs"]:
                for year, amount in leg["amounts_cents"].items():
                    key = (leg["unit"], leg["line"], year)
                    cents, steps = sums.get(key, (0, 0))
                    sums[key] = (cents + amount, steps + 1)
            rows.append((position, m["seq"], m["kind"], m["reason"], m["reference"], m["structural"],
                         ",".join(f"{g['unit']}/{g['line']}" for g in m["legs"]), json.dumps(m["legs"])))
        out.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        out.executemany("INSERT INTO f VALUES (?, ?, ?, ?, ?, ?)", [(position, *k, *v) for k, v in sums.items()])
    out.execute("COMMIT")


def sqlite_json(docs: list, out: sqlite3.Connection) -> None:
    """Mutation, leg and per-year effect rows made by json_each inside SQLite (no Python per row)."""
    out.execute("CREATE TABLE IF NOT EXISTS legs (position, seq, leg, unit, line, amounts, structural, kind, "
                "PRIMARY KEY (position, seq, leg))")  # the effects below read one document's legs
    out.execute("CREATE TABLE IF NOT EXISTS mutations (position, seq, kind, reason, reference, structural)")
    out.execute("CREATE TABLE IF NOT EXISTS effects (position, seq, leg, unit, line, year, cents, source)")
    out.execute("BEGIN")
    for position, state in docs:
        p = {"p": position, "s": state.decode()}
        out.execute(
            "INSERT INTO mutations SELECT :p, json_extract(m.value, '$.seq'), json_extract(m.value, '$.kind'), "
            "json_extract(m.value, '$.reason'), json_extract(m.value, '$.reference'), "
            "json_extract(m.value, '$.structural') FROM json_each(:s, '$.mutations') m", p)
        out.execute(
            "INSERT INTO legs SELECT :p, json_extract(m.value, '$.seq'), l.key + 1, json_extract(l.value, '$.unit'), "
            "json_extract(l.value, '$.line'), json_extract(l.value, '$.amounts_cents'), "
            "json_extract(m.value, '$.structural'), json_extract(m.value, '$.kind') "
            "FROM json_each(:s, '$.mutations') m, json_each(m.value, '$.legs') l", p)
        out.execute(  # incidental: the named years; structural: up to the next named year
            "INSERT INTO effects WITH RECURSIVE y(year) AS "
            f"(SELECT {YEARS.start} UNION ALL SELECT year + 1 FROM y WHERE year < {YEARS.stop - 1}) "
            "SELECT position, seq, leg, unit, line, y.year, cents, source FROM ("
            " SELECT l.position, l.seq, l.leg, l.unit, l.line, CAST(a.key AS INTEGER) AS source, a.value AS cents,"
            "  CASE WHEN l.structural AND l.kind != 'kasschuif' THEN COALESCE(LEAD(CAST(a.key AS INTEGER)) "
            "  OVER (PARTITION BY l.seq, l.leg ORDER BY a.key), 9999) ELSE CAST(a.key AS INTEGER) + 1 END AS until"
            " FROM legs l, json_each(l.amounts) a WHERE l.position = :p"
            ") JOIN y ON y.year >= source AND y.year < until", {"p": position})
    out.execute("COMMIT")


EXPERIMENTS = [decode_only, fold_only, one_row_per_mutation, sqlite_json]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", help="bench.db of a folder `bench/run.py --dir` kept")
    parser.add_argument("--runs", type=int, default=3, help="Runs per experiment, the median taken (default 3).")
    args = parser.parse_args()
    path = Path(args.ledger)
    docs = documents(path)
    n = sum(len(json.loads(state)["mutations"]) for _, state in docs)
    with tempfile.TemporaryDirectory() as tmp:
        raw = n / statistics.median(raw_fold(Path(tmp), n, 2024) for _ in range(args.runs))
        print(f"{n:,} mutations; raw fold {raw:,.0f}/s")
        for experiment in EXPERIMENTS:
            samples = []
            for run in range(args.runs):
                out = sqlite3.connect(Path(tmp) / f"{experiment.__name__}-{run}.db", isolation_level=None)
                out.execute("PRAGMA synchronous=OFF")
                started = time.perf_counter()
                experiment(docs, out)
                samples.append(time.perf_counter() - started)
                out.close()
            rate = n / statistics.median(samples)
            print(f"{experiment.__name__:24} {rate:>10,.0f}/s  {rate / raw:.2f} × raw fold")


if __name__ == "__main__":
    main()
