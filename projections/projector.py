"""Catch-up projector: reads the notification log from the last tracked position in
batches and writes read-model rows and the new position in one transaction.

The eventsourcing ProjectionRunner needs subscriptions, which its SQLite module lacks;
this does the same job by polling. Rows are written with plain executemany inside
an immediate transaction, so concurrent catch-ups never apply an event twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, Callable, Protocol, Sequence

from events import (
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    IndexedLine,
    KeySet,
    LedgerOpened,
    RulesInForce,
    kind_carries,
    year_effects,
)
from events.bbv import LinesClassified, OrganisationDescribed
from projections import db
from projections.common import CARRIES, fold, utc_text

BATCH = 500
# (unit, line, year) → [cents, number of effects rows, the structural part of the cents]
Sums = dict[tuple[str, str, int], list[int]]


def _amounts_text(amounts: dict[str, int]) -> str:
    """Amounts per year as JSON; years are four digits, so text order is year order."""
    return "{" + ",".join(f'"{y}":{a}' for y, a in sorted(amounts.items())) + "}"


class UnreadableEvent(Exception):
    """A stored event that cannot be projected (an unknown topic, a state that does not
    decode): the read models stop just before it."""

    def __init__(self, position: int, reason: str):
        super().__init__(f"position {position} cannot be read ({reason})")
        self.position, self.reason = position, reason


class NotificationSource(Protocol):
    def select_notifications(self, start: int | None, limit: int, stop: int | None = None) -> Sequence[Any]: ...

    def max_notification_id(self) -> int | None: ...


class Decoder(Protocol):
    def to_domain_event(self, stored: Any) -> Event: ...

    def to_state(self, stored: Any) -> dict[str, Any]: ...


class Projector:
    def __init__(self, conn: Any, source: NotificationSource, decoder: Decoder):
        self.conn = conn
        self.source = source
        self.decoder = decoder
        db.create_tables(conn)

    def replay(self, progress: Callable[[int, int], None] | None = None, *, until: int | None = None,
               indexes: bool = True) -> int:
        """Fill empty read models from the whole log: indexes are built once at the end (or,
        for a replay only compared with the kept read models, never) and the disposable file
        is not synced on every batch: several times faster than catching up event by event."""
        db.drop_indexes(self.conn)
        self.conn.execute("PRAGMA synchronous=OFF")
        try:
            applied = self.catch_up(progress, until=until)
        finally:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        if indexes:
            db.create_indexes(self.conn)
        return applied

    def position(self) -> int:
        row = self.conn.execute("SELECT position FROM tracking WHERE name='views'").fetchone()
        return row[0] if row else 0

    def catch_up(self, progress: Callable[[int, int], None] | None = None, *, until: int | None = None) -> int:
        """Apply every event after the tracked position (up to ``until``, when given);
        returns how many were applied."""
        applied = 0
        head = None
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                start = self.position()
                if until is None:
                    notifications = self.source.select_notifications(start + 1, BATCH)
                else:
                    notifications = self.source.select_notifications(start + 1, BATCH, stop=until) if start < until else []
                for i, n in enumerate(notifications):
                    try:
                        if n.topic == DocumentRecorded.TOPIC:
                            self.document_recorded(self.decoder.to_state(n), n.id)
                        else:
                            self.apply(self.decoder.to_domain_event(n), n.id)
                    except (KeyError, TypeError, ValueError, AttributeError, RecursionError, OverflowError) as e:
                        # An event no code of ours wrote: keep everything before it, then say so.
                        db.rollback(self.conn)
                        if i:
                            applied += self.catch_up(until=notifications[i - 1].id)
                        raise UnreadableEvent(n.id, f"{type(e).__name__}: {str(e)[:200]}") from None
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

    def _add_to_figures(self, where: str, params: dict[str, Any], *, at: int, adopted: bool, sign: int = 1,
                        sums: Sums | None = None) -> None:
        """Add the effects rows ``e`` that the condition ``where`` selects to the figures,
        proposals included or adopted only, by the event at position ``at``. ``steps`` counts
        the rows behind a figure, so explain can bring earlier ones forward; the structural
        part is what carrying mutations add (``balance`` reads it). Every figure changed gets
        its new values in ``figure_history`` at ``at``: a figure as of any point is its latest
        row there, read without summing the effects (``FigureQueries.cells``). The parts that
        splits send elsewhere are kept the same way in ``split_figures``. ``sums``: those rows
        summed already, by the caller that has just written them."""
        amount, steps, structural = (("adopted_cents", "adopted_steps", "adopted_structural_cents") if adopted
                                     else ("amount_cents", "steps", "structural_cents"))
        if sums is None:
            sums = {(unit, line, year): [cents, n, carried] for cents, n, carried, unit, line, year in self.conn.execute(
                f"SELECT SUM(e.amount_cents), COUNT(*), SUM(CASE WHEN {CARRIES} THEN e.amount_cents ELSE 0 END), "
                "e.unit, e.line, e.year FROM effects e JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
                f"WHERE {where} GROUP BY e.unit, e.line, e.year", params)}
        self.conn.executemany(
            f"UPDATE figures SET {amount} = {amount} + ?, {steps} = {steps} + ?, {structural} = {structural} + ? "
            "WHERE unit = ? AND line = ? AND year = ?",
            [(sign * cents, sign * n, sign * carried, *figure) for figure, (cents, n, carried) in sums.items()],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO figure_history SELECT unit, line, year, ?, amount_cents, adopted_cents, steps, "
            "adopted_steps, structural_cents, adopted_structural_cents FROM figures WHERE unit = ? AND line = ? AND year = ?",
            [(at, *figure) for figure in sums],
        )
        if self.conn.execute("SELECT 1 FROM splits LIMIT 1").fetchone():
            self._add_to_split_figures(where, params, at=at, amount=amount, steps=steps, sign=sign)

    def _add_to_split_figures(self, where: str, params: dict[str, Any], *, at: int, amount: str, steps: str,
                              sign: int) -> None:
        """``_add_to_figures`` for the split legs among those effects: each leg's amounts per
        split key and category, and a split in the participants' own amounts per participant."""
        sums = self.conn.execute(
            "SELECT SUM(e.amount_cents), COUNT(*), e.unit, e.line, e.year, COALESCE(s.key, ''), s.category, '' "
            "FROM effects e JOIN splits s ON s.position = e.position AND s.seq = e.seq AND s.leg = e.leg "
            f"WHERE {where} GROUP BY e.unit, e.line, e.year, s.key, s.category", params,
        ).fetchall() + self.conn.execute(
            "SELECT SUM(e.amount_cents), COUNT(*), g.unit, g.line, e.year, '', s.category, e.name "
            "FROM split_effects e JOIN splits s ON s.position = e.position AND s.seq = e.seq AND s.leg = e.leg "
            "JOIN legs g ON g.position = e.position AND g.seq = e.seq AND g.leg = e.leg "
            f"WHERE s.key IS NULL AND {where} GROUP BY g.unit, g.line, e.year, s.category, e.name", params,
        ).fetchall()
        keys = [tuple(r)[2:] for r in sums]  # (unit, line, year, key, category, participant)
        self.conn.executemany("INSERT OR IGNORE INTO split_figures VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0)", keys)
        where_key = "unit = ? AND line = ? AND year = ? AND key = ? AND category = ? AND participant = ?"
        self.conn.executemany(
            f"UPDATE split_figures SET {amount} = {amount} + ?, {steps} = {steps} + ? WHERE {where_key}",
            [(sign * r[0], sign * r[1], *group) for r, group in zip(sums, keys, strict=True)],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO split_figure_history SELECT unit, line, year, key, category, participant, ?, "
            f"amount_cents, adopted_cents, steps, adopted_steps FROM split_figures WHERE {where_key}",
            [(at, *group) for group in keys],
        )

    # ------------------------------------------------------------ apply

    @singledispatchmethod
    def apply(self, event: Event, position: int) -> None:
        raise TypeError(f"no projection for {type(event).__name__}")

    @apply.register
    def _(self, event: RulesInForce, position: int) -> None:
        pass  # which rules the events keep is the write model's concern (ledger.writemodel)

    @apply.register
    def _(self, event: LedgerOpened, position: int) -> None:
        self._log(event, position, "ledger_opened")
        self.conn.executemany(
            "INSERT OR REPLACE INTO ledger VALUES (?, ?)",
            [("organisation", event.organisation), ("opened_at", utc_text(event.timestamp)), ("kind", event.kind)],
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
                        "INSERT INTO figures VALUES (?, ?, ?, 0, 0, 0, 0, 0, 0)", [(unit.id, line.id, y) for y in years]
                    )

    @apply.register
    def _(self, event: HorizonExtended, position: int) -> None:
        self._log(event, position, "horizon_extended")
        old = self._horizon()
        new_years = range(old.stop, event.last_year + 1)
        self.conn.execute("INSERT INTO horizon VALUES (?, ?, ?)", (position, old.start, event.last_year))
        self.conn.executemany(
            "INSERT INTO figures SELECT unit, line, CAST(? AS INTEGER), 0, 0, 0, 0, 0, 0 FROM lines", [(y,) for y in new_years]
        )
        carried = self.conn.execute(
            "SELECT l.position, l.seq, l.leg, l.unit, l.line, l.amounts "
            "FROM legs l JOIN mutations m USING (position, seq) JOIN documents d ON d.position = l.position "
            f"WHERE {CARRIES} AND d.status != 'withdrawn' "
            "ORDER BY l.position, l.seq, l.leg"
        ).fetchall()
        rows = []
        for r in carried:
            amounts = {int(y): a for y, a in json.loads(r["amounts"]).items()}
            for year, (amount, source) in year_effects(amounts, carries=True, years=new_years).items():
                rows.append((r["position"], r["seq"], r["leg"], r["unit"], r["line"], year, amount, source, position))
        db.insert_rows(self.conn, "effects", rows)
        carried_splits = self.conn.execute(
            "SELECT p.position, p.seq, p.leg, p.name, p.amounts "
            "FROM split_participants p JOIN mutations m USING (position, seq) JOIN documents d ON d.position = p.position "
            f"WHERE {CARRIES} AND d.status != 'withdrawn' ORDER BY p.position, p.seq, p.leg, p.name"
        ).fetchall()
        db.insert_rows(self.conn, "split_effects", [
            (r["position"], r["seq"], r["leg"], r["name"], year, amount, position)
            for r in carried_splits
            for year, (amount, _) in year_effects({int(y): a for y, a in json.loads(r["amounts"]).items()},
                                                  carries=True, years=new_years).items()
        ])
        carried_here = {"since": position}
        self._add_to_figures("e.since_position = :since", carried_here, at=position, adopted=False)
        self._add_to_figures("e.since_position = :since AND e.position IN "
                             "(SELECT position FROM documents WHERE status = 'adopted')", carried_here, at=position,
                             adopted=True)

    @apply.register
    def _(self, event: OrganisationDescribed, position: int) -> None:
        self._log(event, position, "organisation_described")
        self.conn.executemany("INSERT OR REPLACE INTO ledger VALUES (?, ?)", [
            (k, getattr(event, k)) for k in ("overheidslaag", "overheidsnummer", "contact_name", "contact_email",
                                             "contact_phone")])

    @apply.register
    def _(self, event: LinesClassified, position: int) -> None:
        """A document's chart classification holds from that document on, where its lines begin."""
        self._log(event, position, "lines_classified", event.document)
        if event.document:
            position = self.conn.execute("SELECT position FROM documents WHERE document = ?",
                                         (event.document,)).fetchone()[0]
        self.conn.executemany("INSERT OR REPLACE INTO programmas VALUES (?, ?, ?, ?)",  # a row per (re)naming
                              [(p.id, p.name, position, n) for n, p in enumerate(event.programmas, start=1)])
        # OR REPLACE: a forged copy of a chart's classification must reach verify, which names it.
        self.conn.executemany("INSERT OR REPLACE INTO classifications VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (c.unit, c.line, event.from_year, position, c.programma, c.taakveld, c.categorie) for c in event.lines])

    @apply.register
    def _(self, event: KeySet, position: int) -> None:
        self._log(event, position, "key_set")
        self.conn.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?)",
                          (position, event.key, event.from_year, event.source, utc_text(event.timestamp)))
        self.conn.executemany(
            "INSERT INTO key_participants VALUES (?, ?, ?, ?, ?)",
            [(position, n, event.key, p.name, p.percentage) for n, p in enumerate(event.participants, start=1)],
        )
        db.insert_rows(self.conn, "key_scopes", [(position, event.key, item) for item in event.scope])

    def document_recorded(self, state: dict[str, Any], position: int) -> None:
        """A DocumentRecorded event, from its decoded JSON: nearly all of a ledger's data, so
        the hot path of every rebuild. Validated when it was recorded, it is not validated
        again; fields that have defaults may be missing from events stored before they came."""
        h = state["header"]
        document, document_kind, date = h["id"], h["kind"], h["date"]
        recorded_at = utc_text(datetime.fromisoformat(state["timestamp"]))
        self.conn.execute("INSERT INTO log VALUES (?, ?, 'document_recorded', ?, ?)",
                          (position, recorded_at, document, state["actor"]))
        self.conn.execute(
            "INSERT INTO documents (document, kind, title, date, status, decision, position, recorded_at, actor, "
            "source, content_sha256, mutation_count, search_text) VALUES (?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?)",
            (document, document_kind, h["title"], date, h.get("decision", ""), position, recorded_at,
             state["actor"], state.get("source", ""), state["content_sha256"], len(state["mutations"]),
             fold(f"{document} {h['title']}")),
        )
        years = self._horizon()
        mutations, legs, effects = [], [], []
        sums: Sums = {}
        splits: list[tuple] = []
        split_participants: list[tuple] = []
        split_effects: list[tuple] = []
        for m in state["mutations"]:
            seq, kind, reason, reference = m["seq"], m["kind"], m.get("reason", ""), m.get("reference", "")
            structural = m.get("structural", False)
            carries = kind_carries(kind, structural=structural)
            corrects = m.get("corrects") or {}
            addresses, named, net = set(), set(), 0
            for n, leg in enumerate(m["legs"], start=1):
                unit, line, amounts = leg["unit"], leg["line"], leg["amounts_cents"]
                addresses.add(f"{unit}/{line}")
                named.update(amounts)
                net += sum(amounts.values())
                legs.append((position, seq, n, unit, line, _amounts_text(amounts)))
                for year, (amount, source) in year_effects({int(y): a for y, a in amounts.items()},
                                                           carries=carries, years=years).items():
                    effects.append((position, seq, n, unit, line, year, amount, source, position))
                    figure = sums.get((unit, line, year))
                    if figure is None:
                        figure = sums[(unit, line, year)] = [0, 0, 0]
                    figure[0] += amount
                    figure[1] += 1
                    figure[2] += amount if carries else 0
                split = leg.get("split") or m.get("split")
                if split:
                    splits.append((position, seq, n, split.get("key"), split.get("category", "")))
                    for p in split.get("participants", ()):
                        split_participants.append((position, seq, n, p["name"], _amounts_text(p["amounts_cents"])))
                        for year, (amount, _) in year_effects({int(y): a for y, a in p["amounts_cents"].items()},
                                                              carries=carries, years=years).items():
                            split_effects.append((position, seq, n, p["name"], year, amount, position))
            lines = sorted(addresses)
            indexation = m.get("indexation")
            mutations.append((
                position, seq, document, kind, reason, reference, int(structural),
                corrects.get("document"), corrects.get("seq"), ",".join(lines), ",".join(sorted(named)), net,
                json.dumps([{f: i[f] for f in IndexedLine.model_fields} for i in indexation]) if indexation else "",
                document_kind, date, fold(" ".join((reason, reference, *lines))),
            ))
        db.insert_rows(self.conn, "mutations", mutations)
        db.insert_rows(self.conn, "legs", legs)
        db.insert_rows(self.conn, "effects", effects)
        if splits:
            db.insert_rows(self.conn, "splits", splits)
            db.insert_rows(self.conn, "split_participants", split_participants)
            db.insert_rows(self.conn, "split_effects", split_effects)
        self._add_to_figures("e.position = :position", {"position": position}, at=position, adopted=False, sums=sums)

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
        self._add_to_figures("e.position = :position", {"position": row[0]}, at=position, adopted=True)

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
        self._add_to_figures("e.position = :position", {"position": row[0]}, at=position, adopted=False, sign=-1)
