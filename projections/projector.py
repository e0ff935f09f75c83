"""Catch-up projector: reads the notification log from the last tracked position in
batches and writes read-model rows and the new position in one transaction.

The eventsourcing ProjectionRunner needs subscriptions, which its SQLite module lacks;
this does the same job by polling. Rows are written with plain executemany inside
an immediate transaction, so concurrent catch-ups never apply an event twice.
"""

from __future__ import annotations

import json
from functools import singledispatchmethod
from typing import Any, Callable, Protocol, Sequence

from events import (
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    carries,
    year_effects,
)
from projections import db
from projections.queries import fold, utc_text

BATCH = 500


class NotificationSource(Protocol):
    def select_notifications(self, start: int | None, limit: int) -> Sequence[Any]: ...

    def max_notification_id(self) -> int | None: ...


class Projector:
    def __init__(self, conn: Any, source: NotificationSource, decode: Callable[[Any], Event]):
        self.conn = conn
        self.source = source
        self.decode = decode
        db.create_tables(conn)

    def replay(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Fill empty read models from the whole log: indexes are built once at the end and
        the disposable file is not synced on every batch, which makes this several times
        faster than catching up event by event."""
        db.drop_indexes(self.conn)
        self.conn.execute("PRAGMA synchronous=OFF")
        try:
            applied = self.catch_up(progress)
        finally:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        db.create_indexes(self.conn)
        return applied

    def position(self) -> int:
        row = self.conn.execute("SELECT position FROM tracking WHERE name='views'").fetchone()
        return row[0] if row else 0

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every event after the tracked position; returns how many were applied."""
        applied = 0
        head = None
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                start = self.position()
                notifications = self.source.select_notifications(start + 1, BATCH)
                for n in notifications:
                    self.apply(self.decode(n), n.id)
                if notifications:
                    self.conn.execute(
                        "INSERT OR REPLACE INTO tracking (name, position) VALUES ('views', ?)",
                        (notifications[-1].id,),
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                db.rollback(self.conn)
                raise
            applied += len(notifications)
            if progress and notifications:
                head = head or self.source.max_notification_id() or 0
                progress(notifications[-1].id, head)
            if len(notifications) < BATCH:
                return applied

    # ------------------------------------------------------------ helpers

    def _horizon(self) -> range:
        row = self.conn.execute("SELECT first_year, last_year FROM horizon ORDER BY position DESC LIMIT 1").fetchone()
        return range(row[0], row[1] + 1)

    def _log(self, event: Event, position: int, name: str, document: str = "") -> None:
        self.conn.execute(
            "INSERT INTO log VALUES (?, ?, ?, ?, ?)",
            (position, utc_text(event.timestamp), name, document, event.actor),
        )

    def _add_to_figures(self, rows: list[tuple[str, str, int, int, int]], *, adopted: bool, sign: int = 1) -> None:
        """Add (unit, line, year, amount, steps) to the figures, proposals included or adopted only.
        ``steps`` counts the effect rows behind a figure, so explain can bring earlier ones forward."""
        amount, steps = ("adopted_cents", "adopted_steps") if adopted else ("amount_cents", "steps")
        self.conn.executemany(
            f"UPDATE figures SET {amount} = {amount} + ?, {steps} = {steps} + ? WHERE unit=? AND line=? AND year=?",
            [(sign * cents, sign * n, unit, line, year) for unit, line, year, cents, n in rows],
        )

    def _document_effects(self, position: int) -> list[tuple[str, str, int, int, int]]:
        return [
            tuple(r)
            for r in self.conn.execute(
                "SELECT unit, line, year, SUM(amount_cents), COUNT(*) FROM effects WHERE position=? "
                "GROUP BY unit, line, year",
                (position,),
            )
        ]

    # ------------------------------------------------------------ apply

    @singledispatchmethod
    def apply(self, event: Event, position: int) -> None:
        raise TypeError(f"no projection for {type(event).__name__}")

    @apply.register
    def _(self, event: LedgerOpened, position: int) -> None:
        self._log(event, position, "ledger_opened")
        self.conn.executemany(
            "INSERT OR REPLACE INTO ledger VALUES (?, ?)",
            [("organisation", event.organisation), ("opened_at", utc_text(event.timestamp))],
        )
        self.conn.execute("INSERT INTO horizon VALUES (?, ?, ?)", (position, event.first_year, event.last_year))

    @apply.register
    def _(self, event: ChartExtended, position: int) -> None:
        self._log(event, position, "chart_extended", event.document)
        years = self._horizon()
        for u, unit in enumerate(event.units, start=1):
            self.conn.execute("INSERT OR IGNORE INTO units VALUES (?, ?, ?, ?)", (unit.id, unit.name, position, u))
            for n, line in enumerate(unit.lines, start=1):
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (unit.id, line.id, line.name, line.type, line.cost, line.opening_balance_cents, position, 100 * u + n),
                )
                if cur.rowcount:
                    self.conn.executemany(
                        "INSERT INTO figures VALUES (?, ?, ?, 0, 0, 0, 0)", [(unit.id, line.id, y) for y in years]
                    )

    @apply.register
    def _(self, event: HorizonExtended, position: int) -> None:
        self._log(event, position, "horizon_extended")
        old = self._horizon()
        new_years = range(old.stop, event.last_year + 1)
        self.conn.execute("INSERT INTO horizon VALUES (?, ?, ?)", (position, old.start, event.last_year))
        self.conn.executemany(
            "INSERT INTO figures SELECT unit, line, CAST(? AS INTEGER), 0, 0, 0, 0 FROM lines", [(y,) for y in new_years]
        )
        carried = self.conn.execute(
            "SELECT l.position, l.seq, l.leg, l.unit, l.line, l.amounts, d.status "
            "FROM legs l JOIN mutations m USING (position, seq) JOIN documents d ON d.position = l.position "
            "WHERE m.structural = 1 AND m.kind != 'kasschuif' AND d.status != 'withdrawn' "
            "ORDER BY l.position, l.seq, l.leg"
        ).fetchall()
        rows, proposed, adopted = [], [], []
        for r in carried:
            amounts = {int(y): a for y, a in json.loads(r["amounts"]).items()}
            for year, (amount, source) in year_effects(amounts, carries=True, years=new_years).items():
                rows.append((r["position"], r["seq"], r["leg"], r["unit"], r["line"], year, amount, source, position))
                proposed.append((r["unit"], r["line"], year, amount, 1))
                if r["status"] == "adopted":
                    adopted.append((r["unit"], r["line"], year, amount, 1))
        self.conn.executemany("INSERT INTO effects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self._add_to_figures(proposed, adopted=False)
        self._add_to_figures(adopted, adopted=True)

    @apply.register
    def _(self, event: KeySet, position: int) -> None:
        self._log(event, position, "key_set")
        self.conn.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?)",
                          (position, event.key, event.from_year, event.source, utc_text(event.timestamp)))
        self.conn.executemany(
            "INSERT INTO key_participants VALUES (?, ?, ?, ?, ?)",
            [(position, n, event.key, p.name, p.percentage) for n, p in enumerate(event.participants, start=1)],
        )

    @apply.register
    def _(self, event: DocumentRecorded, position: int) -> None:
        h = event.header
        self._log(event, position, "document_recorded", h.id)
        self.conn.execute(
            "INSERT INTO documents (document, kind, title, date, status, decision, position, recorded_at, actor, "
            "source, content_sha256, mutation_count) VALUES (?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?)",
            (h.id, h.kind, h.title, h.date.isoformat(), h.decision, position, utc_text(event.timestamp),
             event.actor, event.source, event.content_sha256, len(event.mutations)),
        )
        years = self._horizon()
        mutations, legs, effects, totals = [], [], [], {}
        for m in event.mutations:
            lines = sorted({leg.address for leg in m.legs})
            named = sorted({y for leg in m.legs for y in leg.amounts_cents})
            net = sum(a for leg in m.legs for a in leg.amounts_cents.values())
            indexation = json.dumps([i.model_dump(mode="json") for i in m.indexation]) if m.indexation else ""
            mutations.append((
                position, m.seq, h.id, m.kind, m.reason, m.reference, int(m.structural),
                m.corrects.document if m.corrects else None, m.corrects.seq if m.corrects else None,
                ",".join(lines), ",".join(map(str, named)), net, indexation, h.kind, h.date.isoformat(),
                fold(" ".join((h.id, h.title, m.reason, m.reference, *lines))),
            ))
            for n, leg in enumerate(m.legs, start=1):
                amounts = ",".join(f'"{y}":{a}' for y, a in sorted(leg.amounts_cents.items()))
                legs.append((position, m.seq, n, leg.unit, leg.line, "{" + amounts + "}"))
                for year, (amount, source) in year_effects(leg.amounts_cents, carries=carries(m), years=years).items():
                    effects.append((position, m.seq, n, leg.unit, leg.line, year, amount, source, position))
                    key = (leg.unit, leg.line, year)
                    cents, steps = totals.get(key, (0, 0))
                    totals[key] = (cents + amount, steps + 1)
        self.conn.executemany("INSERT INTO mutations VALUES (" + ",".join("?" * 16) + ")", mutations)
        self.conn.executemany("INSERT INTO legs VALUES (?, ?, ?, ?, ?, ?)", legs)
        self.conn.executemany("INSERT INTO effects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", effects)
        self._add_to_figures([(*k, *v) for k, v in totals.items()], adopted=False)

    @apply.register
    def _(self, event: DocumentAdopted, position: int) -> None:
        self._log(event, position, "document_adopted", event.document)
        self.conn.execute(
            "INSERT INTO lifecycle VALUES (?, ?, 'adopted', ?, ?, ?, ?)",
            (position, event.document, event.date.isoformat(), event.decision, utc_text(event.timestamp), event.actor),
        )
        row = self.conn.execute("SELECT position FROM documents WHERE document=?", (event.document,)).fetchone()
        self.conn.execute(
            "UPDATE documents SET status='adopted', decision=?, adopted_position=?, adopted_date=? WHERE document=?",
            (event.decision, position, event.date.isoformat(), event.document),
        )
        self._add_to_figures(self._document_effects(row[0]), adopted=True)

    @apply.register
    def _(self, event: DocumentWithdrawn, position: int) -> None:
        self._log(event, position, "document_withdrawn", event.document)
        self.conn.execute(
            "INSERT INTO lifecycle VALUES (?, ?, 'withdrawn', ?, ?, ?, ?)",
            (position, event.document, event.date.isoformat(), event.reason, utc_text(event.timestamp), event.actor),
        )
        row = self.conn.execute("SELECT position FROM documents WHERE document=?", (event.document,)).fetchone()
        self.conn.execute(
            "UPDATE documents SET status='withdrawn', withdrawn_position=?, withdrawn_date=?, withdrawn_reason=? "
            "WHERE document=?",
            (position, event.date.isoformat(), event.reason, event.document),
        )
        self._add_to_figures(self._document_effects(row[0]), adopted=False, sign=-1)
