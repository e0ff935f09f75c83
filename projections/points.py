"""The basics every question needs: the head, the horizon and the chart at a point; turning
an ``--as-of`` text into a point and a name into a figure; refusing names and years the
ledger does not have. A *point* is a ledger position; ``None`` means now."""

from __future__ import annotations

import difflib
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any, Iterable

from events import DOCUMENT_KINDS, MUTATION_KINDS
from projections.answers import Figure
from projections.common import check_name, fold, utc_text
from projections.errors import UnknownFigure, UnknownName, UnknownPoint

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
POSITION = re.compile(r"^[0-9]+$")  # ASCII only: "²".isdigit() is true
POINT_FORMS = ("doc", "pos", "date")
# What history lists besides mutations (the log's event names).
LIFECYCLE_KINDS = ("document_adopted", "document_withdrawn", "key_set", "horizon_extended", "ledger_opened")


class ViewsBase:
    def __init__(self, conn: Any):
        self.conn = conn  # sqlite3.Connection, or projections.db.PgConnection

    # ------------------------------------------------------------ basics

    def tuples(self, sql: str, params: Any = ()) -> list[tuple]:
        """The rows as plain tuples: quicker to make than sqlite3.Row, for a query that makes
        many rows and reads them by position."""
        if isinstance(self.conn, sqlite3.Connection):
            cursor = self.conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()
        return [tuple(r) for r in self.conn.execute(sql, params)]

    def head(self) -> int:
        row = self.conn.execute("SELECT position FROM tracking WHERE name='views'").fetchone()
        return row[0] if row else 0

    def schema_version(self) -> int:
        """The version of the schema the read models were built with (``projections.schema``)."""
        row = self.conn.execute("SELECT value FROM ledger WHERE key='schema_version'").fetchone()
        return int(row[0]) if row and str(row[0]).isdigit() else 0

    def organisation(self) -> str:
        row = self.conn.execute("SELECT value FROM ledger WHERE key='organisation'").fetchone()
        return row[0] if row else ""

    def organisation_kind(self) -> str:
        """"gr" for a joint body financed by its participants, else "organisation"."""
        row = self.conn.execute("SELECT value FROM ledger WHERE key='kind'").fetchone()
        return row[0] if row else "organisation"

    def horizon(self, at: int | None = None) -> range:
        row = self.conn.execute(
            "SELECT first_year, last_year FROM horizon WHERE position <= ? ORDER BY position DESC LIMIT 1",
            (at if at is not None else self.head(),),
        ).fetchone()
        return range(row[0], row[1] + 1) if row else range(0)

    def figure(self, address: str, year: int, column: str = "amount_cents") -> int:
        unit, _, line = address.partition("/")
        row = self.conn.execute(
            f"SELECT {column} FROM figures WHERE unit=? AND line=? AND year=?", (unit, line, year)
        ).fetchone()
        return row[0] if row else 0

    def mutation_target(self, document: str, seq: int) -> tuple[str | None, set[str] | None]:
        """For checking a correction: the document's status and the corrected mutation's lines."""
        d = self.conn.execute("SELECT status, position FROM documents WHERE document=?", (document,)).fetchone()
        if d is None:
            return None, None
        m = self.conn.execute("SELECT lines FROM mutations WHERE position=? AND seq=?", (d["position"], seq)).fetchone()
        return d["status"], set(m["lines"].split(",")) if m else None

    def lines(self, at: int | None = None) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT l.unit, u.name AS unit_name, l.line, l.name AS line_name, l.type, l.cost, "
            "l.opening_balance_cents FROM lines l JOIN units u USING (unit) "
            "WHERE l.position <= ? ORDER BY u.position, u.ordinal, l.position, l.ordinal",
            (at if at is not None else self.head(),),
        ).fetchall()

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT document FROM documents")]

    # ------------------------------------------------------------ points in time

    def resolve_point(self, text: str | None) -> int | None:
        """``--as-of``: a document id, a position, or a date/timestamp (recorded time, UTC) →
        position. ``doc:ID``, ``pos:N`` and ``date:D`` say which one is meant."""
        if text is None:
            return None
        text = text.strip()
        form, colon, rest = text.partition(":")
        if colon and form in POINT_FORMS:
            rest = rest.strip()
            if form == "doc":
                return self._document_point(text, rest, hint=True)
            if form == "pos":
                return self._position_point(text, rest)
            return self._date_point(text, rest)
        if POSITION.match(text):
            return self._position_point(text, text)
        found = self._document_point(text, text, hint=False)
        return found if found is not None else self._date_point(text, text)

    def _position_point(self, given: str, text: str) -> int:
        if not POSITION.match(text):
            raise UnknownPoint(f"--as-of {given!r}: a position is a whole number (ASCII digits)")
        position = int(text) if len(text) < 20 else 0
        if not 0 < position <= self.head():
            raise UnknownPoint(f"--as-of {given[:30]}: the ledger has positions 1 to {self.head()}")
        return position

    def _document_point(self, given: str, text: str, *, hint: bool) -> int | None:
        """Right after the document was recorded, and after its adoption when the same save made
        it (a file with ``status: adopted``): the events of one save share their stamp."""
        row = self.conn.execute(
            "SELECT d.position, d.adopted_position, r.recorded_at, r.actor, a.recorded_at, a.actor FROM documents d "
            "JOIN log r ON r.position = d.position LEFT JOIN log a ON a.position = d.adopted_position "
            "WHERE d.document = ?", (text,)).fetchone()
        if row:
            position, adopted, recorded_at, actor, adopted_at, adopted_by = tuple(row)
            same_save = adopted == position + 1 and (adopted_at, adopted_by) == (recorded_at, actor)
            return adopted if same_save else position
        if hint:
            raise UnknownPoint(f"--as-of {given!r}: no such document{self._close_documents(text)}")
        return None

    def _close_documents(self, text: str) -> str:
        close = difflib.get_close_matches(text, self.document_ids(), n=3)
        return f"; closest: {', '.join(close)}" if close else ""

    def _date_point(self, given: str, text: str) -> int:
        try:
            if not text.isascii():
                raise ValueError
            if ISO_DATE.match(text):
                day = date.fromisoformat(text)
                if day == date.max:
                    limit, op = "9999-12-31T23:59:59.999999Z", "<="
                else:
                    limit = utc_text(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC))
                    op = "<"
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                limit, op = utc_text(moment), "<="
        except (ValueError, OverflowError):
            raise UnknownPoint(f"--as-of {given[:60]!r} is not a document id, a position or a date (YYYY-MM-DD); "
                               f"doc:ID, pos:N and date:YYYY-MM-DD say which{self._close_documents(text)}") from None
        row = self.conn.execute(f"SELECT MAX(position) FROM log WHERE recorded_at {op} ?", (limit,)).fetchone()
        if row[0] is None:
            raise UnknownPoint(f"--as-of {given}: nothing was recorded by then")
        return row[0]

    # ------------------------------------------------------------ names the ledger has

    def check_filters(self, *, kind: str | None = None, unit: str | None = None, line: str | None = None,
                      document: str | None = None, document_kind: str | None = None) -> None:
        """Refuse a filter that names nothing the ledger knows (a typo gives "closest: …"),
        rather than answer with an empty list."""
        if kind is not None:
            check_name("--kind", kind, (*MUTATION_KINDS, *LIFECYCLE_KINDS), "kind")
        if document_kind is not None:
            check_name("--document-kind", document_kind, DOCUMENT_KINDS, "document kind")
        if unit is not None or line is not None:
            rows = self.lines()
            if unit is not None:
                check_name("--unit", unit, (r["unit"] for r in rows), "unit")
            if line is not None:
                check_name("--line", line, (f"{r['unit']}/{r['line']}" for r in rows), "line")
            if unit is not None and line is not None and line.partition("/")[0] != unit:
                raise UnknownName(f"--line {line!r} is not a line of --unit {unit!r}; give one of the two")
        if document is not None:
            check_name("--document", document, self.document_ids(), "document")

    def check_years(self, years: Iterable[int], at: int | None = None) -> None:
        """Refuse a year outside the horizon at that point."""
        horizon = self.horizon(at)
        for year in years:
            if year not in horizon:
                raise UnknownName(f"--year {year} is outside the horizon {horizon.start}-{horizon.stop - 1}")

    # ------------------------------------------------------------ addresses

    def total_figure(self) -> Figure:
        return Figure("total", name=f"Totaal {self.organisation()}")

    def resolve_figure(self, text: str) -> Figure:
        """``unit``, ``unit/line`` (ids) or display names, case- and accent-insensitive."""
        wanted = fold(text)
        table: dict[str, set[Figure]] = {}
        for r in self.lines():
            f = Figure("line", r["unit"], r["line"], f"{r['unit_name']}/{r['line_name']}")
            for key in (f"{r['unit']}/{r['line']}", f"{r['unit_name']}/{r['line_name']}",
                        f"{r['unit']}/{r['line_name']}", f"{r['unit_name']}/{r['line']}"):
                table.setdefault(fold(key), set()).add(f)
            u = Figure("unit", r["unit"], name=r["unit_name"])
            table.setdefault(fold(r["unit"]), set()).add(u)
            table.setdefault(fold(r["unit_name"]), set()).add(u)
            table.setdefault(fold(r["line_name"]), set()).add(f)
        found = table.get(wanted, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            names = sorted(f.address for f in found)
            raise UnknownFigure(f"{text!r} is ambiguous: {', '.join(names[:8])}")
        ids = sorted({f.address for fs in table.values() for f in fs})
        close = difflib.get_close_matches(wanted, list(table), n=4, cutoff=0.5)
        hint = sorted({f.address for c in close for f in table[c]}) or ids[:6]
        raise UnknownFigure(f"{text!r} names no unit or line; closest: {', '.join(hint[:6])}")
