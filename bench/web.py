"""The web front end's benchmark: a synthetic ledger of N mutations (built as bench/run.py
builds it, or reused), then many requests to each page answered in-process, each timed
inside the server from the request's arrival to the last byte of its page (the p50 and p90
of those "server times"). Nothing here asserts a timing; docs/web.md holds the numbers.

    python bench/web.py --mutations 100000 --ledger /tmp/bench-100k.db --json web-100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from bench.questions import Points  # noqa: E402
from bench.run import Progress, machine, record_history  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.errors import LedgerNotFound  # noqa: E402
from web.app import make_app  # noqa: E402
from web.site import LOOPBACK, Site  # noqa: E402


class Timed:
    """Times every request inside the server: from the call until the body's last part."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append(time.perf_counter() - started)

        await self.app(scope, receive, timed_send)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def ask(client: TestClient, timed: Timed, paths: list[str]) -> dict[str, float]:
    """Ask each path once (after one warm-up request), return p50 and p90 server time in ms."""
    client.get(paths[0])
    timed.samples.clear()
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            said = response.text.partition('role="alert">')[2].partition("</div>")[0]
            raise SystemExit(f"{path}: {response.status_code}: {said.strip()}")
    samples = sorted(timed.samples)
    return {"p50_ms": ms(statistics.median(samples)), "p90_ms": ms(samples[round(0.9 * (len(samples) - 1))]),
            "requests": len(samples)}


def run(path: Any, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with Ledger.open(str(path)) as ledger:
        points = Points.of(ledger.views)
        lines = [r for r in ledger.views.lines() if r["type"] == "lasten"]
        years = list(ledger.views.horizon())
        mutations = ledger.views.conn.execute("SELECT COUNT(*) FROM mutations").fetchone()[0]
        head = ledger.views.head()
    site = Site(str(path), hosts=(*LOOPBACK, "testserver"))
    timed = Timed(make_app(site))

    def figure() -> str:
        r = rng.choice(lines)
        return f"/figure/{r['unit']}/{r['line']}?year={rng.choice(years)}"

    pages: dict[str, list[str]] = {
        "begroting": ["/"] * requests,
        "begroting_as_of_middle_document": [f"/?as_of={points.middle_document}"] * requests,
        "figure_trail": [figure() for _ in range(requests)],
        "figure_trail_as_of_middle": [figure() + f"&as_of={points.middle}" for _ in range(requests)],
        "unit_figure": [f"/figure/{rng.choice(lines)['unit']}?year={rng.choice(years)}" for _ in range(requests // 4)],
        "history_page": ["/history?kind=verschuiving"] * (requests // 4),
        "document_middle": [f"/document/{points.middle_document}"] * (requests // 4),
        "diff_third_to_two_thirds": [f"/diff?from={points.third}&to={points.two_thirds}"] * max(1, requests // 10),
    }
    results = {}
    with TestClient(timed) as client:
        for name, paths in pages.items():
            results[name] = ask(client, timed, paths)
            print(f"{name:36} p50 {results[name]['p50_ms']:8.2f} ms  p90 {results[name]['p90_ms']:8.2f} ms",
                  file=sys.stderr)
    site.close()
    return {"machine": machine(), "mutations": mutations, "events": head, "seed": seed,
            "middle_document": points.middle_document, "pages": results}


def exists(path: Any) -> bool:
    if isinstance(path, Path):
        return path.exists()
    try:
        Ledger.open(path).close()
    except LedgerNotFound:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=100_000, help="How many mutations the history holds.")
    parser.add_argument("--ledger", help="Reuse (or build, if missing) the ledger at this path.")
    parser.add_argument("--requests", type=int, default=200, help="Requests per page for the p50 (default 200).")
    parser.add_argument("--seed", type=int, default=2024)  # bench/run.py's
    parser.add_argument("--json", dest="json_file", help="Also write the results to this JSON file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # A file, or a PostgreSQL address (postgresql://user@host/database, an empty database).
        path: Any = (args.ledger if args.ledger.startswith("postgresql") else Path(args.ledger)) if args.ledger \
            else Path(tmp) / "bench.db"
        built_s = None
        if not exists(path):
            started = time.perf_counter()
            record_history(path, args.mutations, args.seed, Progress(sys.stderr.isatty()))
            built_s = round(time.perf_counter() - started, 1)
        result = run(path, args.requests, args.seed)
        result["built_s"] = built_s
        result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_file:
        Path(args.json_file).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
