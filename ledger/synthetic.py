"""Random but valid budget histories, for tests (replay determinism, rebuild equality)
and the benchmark. Documents come out as the same mappings a YAML file parses into.

Documents are dated across the years of the horizon, in ledger order, and their kinds follow
the planning-and-control cycle of a Dutch municipality: each calendar year a kaderbrief in
spring, a voorjaarsnota before the summer, the next year's begroting in the autumn and a
najaarsnota after it, with begrotingswijzigingen in between (and whenever a document falls
in a window whose document that year already has)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Iterator

COST = ("personeel", "materieel")


def chart(units: int = 7, lines: int = 5) -> list[dict]:
    out = []
    for u in range(1, units + 1):
        unit_lines = [
            {"id": f"l{n}", "name": f"Regel {u}.{n}", "type": "lasten", "cost": COST[n % 2]}
            for n in range(1, lines)
        ]
        unit_lines.append({"id": "baten", "name": f"Baten {u}", "type": "baten"})
        out.append({"unit": f"u{u}", "name": f"Eenheid {u}", "lines": unit_lines})
    return out


# (kind, first month, last month): once a calendar year, the first document dated in the window.
CYCLE = (("kaderbrief", 3, 4), ("voorjaarsnota", 5, 6), ("begroting", 9, 10), ("najaarsnota", 11, 12))
TITLES = {"kaderbrief": "Kaderbrief", "voorjaarsnota": "Voorjaarsnota", "begroting": "Begroting",
          "najaarsnota": "Najaarsnota", "begrotingswijziging": "Begrotingswijziging"}


def _euros(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


class HistoryGenerator:
    """Yields documents for a ledger with the given horizon; keeps just enough state
    (which mutations exist) to write valid corrections."""

    def __init__(self, seed: int, years: range, units: int = 7, lines: int = 5):
        self.rng = random.Random(seed)
        self.years = list(years)
        self.chart = chart(units, lines)
        self.lasten = [f"{u['unit']}/{ln['id']}" for u in self.chart for ln in u["lines"] if ln["type"] == "lasten"]
        self.all_lines = [f"{u['unit']}/{ln['id']}" for u in self.chart for ln in u["lines"]]
        self.wijzigingen: list[tuple[str, int, str]] = []  # (document, seq, line) that may be corrected
        self.count = 0
        self.day = date(self.years[0], 1, 2)  # the latest document's date (a working day); never goes back
        self.last_day = date(self.years[-1], 12, 31)
        self.cycle_done: set[tuple[int, str]] = set()  # (calendar year, kind) already written

    def withdrawn(self, document: str) -> None:
        """A withdrawn document's mutations can no longer be corrected."""
        self.wijzigingen = [w for w in self.wijzigingen if w[0] != document]

    def opening(self) -> dict:
        mutations = [
            {"kind": "wijziging", "line": line, "amounts": {self.years[0]: _euros(self.rng, 100_000, 5_000_000)},
             "structural": True, "reason": "Basis", "reference": "§0"}
            for line in self.all_lines
        ]
        return self._document("opening", "opening", mutations, chart=self.chart, status="adopted")

    def _document(self, doc_id: str, kind: str, mutations: list[dict], *, chart: list | None = None,
                  status: str = "proposed", title: str | None = None) -> dict:
        for seq, m in enumerate(mutations, start=1):
            if m["kind"] == "wijziging":
                self.wijzigingen.append((doc_id, seq, m["line"]))
        doc: dict[str, Any] = {"document": {"id": doc_id, "kind": kind, "title": title or f"Document {doc_id}",
                                            "date": self.day.isoformat(), "status": status},
               "mutations": mutations}
        if status == "adopted":
            doc["document"]["decision"] = "Besluit"
        if chart:
            doc["chart"] = chart
        return doc

    def mutation(self) -> dict:
        rng, years = self.rng, self.years
        roll = rng.random()
        if roll < 0.45 or not self.wijzigingen:
            chosen = sorted(rng.sample(years, rng.randint(1, min(3, len(years)))))
            return {"kind": "wijziging", "line": rng.choice(self.all_lines),
                    "amounts": {y: _euros(rng, -50_000, 80_000) or "1.00" for y in chosen},
                    "structural": rng.random() < 0.5, "reason": f"Wijziging {self.count}",
                    "reference": f"§{rng.randint(1, 9)}"}
        if roll < 0.7:
            a, b = rng.sample(self.all_lines, 2)
            year = rng.choice(years)
            amount = _euros(rng, 1, 40_000)
            # Budget-neutral: less lasten on one line, more on another, or less lasten and less baten.
            other = amount if (a in self.lasten) == (b in self.lasten) else f"-{amount}"
            return {"kind": "verschuiving", "structural": rng.random() < 0.5, "reason": "Verschuiving",
                    "reference": "§7", "legs": [{"line": a, "amounts": {year: f"-{amount}"}},
                                                {"line": b, "amounts": {year: other}}]}
        if roll < 0.85:
            y1, y2 = sorted(rng.sample(years, 2))
            amount = _euros(rng, 1, 20_000)
            return {"kind": "kasschuif", "line": rng.choice(self.lasten), "reason": "Kasschuif",
                    "amounts": {y1: f"-{amount}", y2: amount}}
        if roll < 0.97:
            doc, seq, line = rng.choice(self.wijzigingen)
            return {"kind": "correctie", "corrects": f"{doc}/{seq}", "line": line,
                    "amounts": {rng.choice(years): _euros(rng, -5_000, 5_000) or "0.01"},
                    "structural": rng.random() < 0.3, "reason": "Correctie"}
        return {"kind": "indexatie", "year": rng.choice(years),
                "rates": {"personeel": f"{rng.randint(1, 60) / 10}", "materieel": f"{rng.randint(1, 40) / 10}"},
                "lines": rng.sample(self.lasten, 2), "structural": rng.random() < 0.5, "reason": "Indexatie"}

    def kind_on(self, day: date) -> str:
        """The kind of a document dated ``day``: the cycle's document when the day falls in its
        window and that year has none yet, else a begrotingswijziging."""
        for kind, first, last in CYCLE:
            if first <= day.month <= last and (day.year, kind) not in self.cycle_done:
                self.cycle_done.add((day.year, kind))
                return kind
        return "begrotingswijziging"

    def documents(self, mutations: int, *, sizes: tuple[int, int] = (10, 1000)) -> Iterator[dict]:
        """Documents holding ``mutations`` mutations in all (after the opening), dated from the
        latest document's date to the end of the horizon in proportion to the mutations
        written so far (a later call goes on from there; past the horizon's end, its last day)."""
        n = 0
        start = self.day
        span = max((self.last_day - start).days, 0)
        while n < mutations:
            size = min(mutations - n, self.rng.randint(*sizes))
            self.count += 1
            body = [self.mutation() for _ in range(size)]
            for m in body:
                if m["kind"] == "wijziging":
                    for y, a in list(m["amounts"].items()):
                        if a in ("0.00", "-0.00"):
                            m["amounts"][y] = "1.00"
                if m["kind"] == "correctie" and list(m["amounts"].values())[0] in ("0.00", "-0.00"):
                    m["amounts"] = {k: "0.01" for k in m["amounts"]}
            day = start + timedelta(days=span * (2 * n + size) // (2 * mutations))  # the middle of its share
            day -= timedelta(days=max(day.weekday() - 4, 0))  # a working day: a weekend goes back to Friday
            self.day = max(self.day, day)
            kind = self.kind_on(self.day)
            title = f"{TITLES[kind]} {self.day.year + (kind == 'begroting')} ({self.count})"
            yield self._document(f"doc-{self.count}", kind, body, title=title)
            n += size
