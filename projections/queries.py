"""Questions answered from the read models: the begroting (now or as of a point),
the audit trail of one figure, the difference between two points, the history.

All amounts are integer cents. A *point* is a ledger position; ``None`` means now.
Past points are answered from the ``effects`` table (one row per mutation leg and
year, with the position from which it counts), never by rewinding state.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from events import DOCUMENT_KINDS, MUTATION_KINDS
from projections.common import CARRIES, check_name, counts_at, fold, like_literal, utc_text  # noqa: F401
from projections.errors import UnknownFigure, UnknownPoint

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
POSITION = re.compile(r"^[0-9]+$")  # ASCII only: "²".isdigit() is true
POINT_FORMS = ("doc", "pos", "date")
# What history lists besides mutations (the log's event names).
LIFECYCLE_KINDS = ("document_adopted", "document_withdrawn", "key_set", "horizon_extended", "ledger_opened")


@dataclass(frozen=True)
class Figure:
    """What an address resolved to: a line, a unit, or the grand total."""

    kind: str  # line | unit | total
    unit: str = ""
    line: str = ""
    name: str = ""

    @property
    def address(self) -> str:
        return {"line": f"{self.unit}/{self.line}", "unit": self.unit, "total": "total"}[self.kind]


@dataclass
class Step:
    position: int
    seq: int
    document: str
    title: str
    document_kind: str
    status: str
    kind: str
    reason: str
    reference: str
    recorded_at: str
    date: str
    amount_cents: int
    running_total_cents: int = 0
    unit: str = ""
    line: str = ""
    structural: bool = False
    corrects: str | None = None
    carried_from: int | None = None
    other_legs: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    indexation: dict | None = None


class Views:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # ------------------------------------------------------------ basics

    def head(self) -> int:
        row = self.conn.execute("SELECT position FROM tracking WHERE name='views'").fetchone()
        return row[0] if row else 0

    def organisation(self) -> str:
        row = self.conn.execute("SELECT value FROM ledger WHERE key='organisation'").fetchone()
        return row[0] if row else ""

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
        row = self.conn.execute("SELECT position FROM documents WHERE document=?", (text,)).fetchone()
        if row:
            return row[0]
        if hint:
            raise UnknownPoint(f"--as-of {given!r}: no such document{self._close_documents(text)}")
        return None

    def _close_documents(self, text: str) -> str:
        candidates = [r[0] for r in self.conn.execute("SELECT document FROM documents")]
        close = difflib.get_close_matches(text, candidates, n=3)
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
                    limit = utc_text(datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc))
                    op = "<"
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=timezone.utc)
                limit, op = utc_text(moment), "<="
        except (ValueError, OverflowError):
            raise UnknownPoint(f"--as-of {given[:60]!r} is not a document id, a position or a date (YYYY-MM-DD); "
                               f"doc:ID, pos:N and date:YYYY-MM-DD say which{self._close_documents(text)}") from None
        row = self.conn.execute(f"SELECT MAX(position) FROM log WHERE recorded_at {op} ?", (limit,)).fetchone()
        if row[0] is None:
            raise UnknownPoint(f"--as-of {given}: nothing was recorded by then")
        return row[0]

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
        if document is not None:
            check_name("--document", document, (r[0] for r in self.conn.execute("SELECT document FROM documents")),
                       "document")

    # ------------------------------------------------------------ figures

    def figures(self, at: int | None = None, *, adopted_only: bool = False) -> dict[tuple[str, str, int], int]:
        """(unit, line, year) → cents for every line and year of the horizon at that point."""
        if at is None:
            column = "adopted_cents" if adopted_only else "amount_cents"
            return {(r[0], r[1], r[2]): r[3] for r in self.conn.execute(f"SELECT unit, line, year, {column} FROM figures")}
        years = self.horizon(at)
        out = {(r["unit"], r["line"], y): 0 for r in self.lines(at) for y in years}
        sql = (
            "SELECT e.unit, e.line, e.year, SUM(e.amount_cents) FROM effects e JOIN documents d ON d.position = e.position "
            f"WHERE {counts_at(':p', adopted_only=adopted_only)} GROUP BY e.unit, e.line, e.year"
        )
        for unit, line, year, amount in self.conn.execute(sql, {"p": at}):
            if year in years:
                out[(unit, line, year)] = amount
        return out

    def show(self, at: int | None = None, *, adopted_only: bool = False, years: list[int] | None = None,
             unit: str | None = None) -> dict:
        """The begroting: lines, units and totals in cents (render turns cents into text)."""
        horizon = list(self.horizon(at))
        years = [y for y in horizon if years is None or y in years]
        figures = self.figures(at, adopted_only=adopted_only)
        adopted = self.figures(at, adopted_only=True) if not adopted_only else figures
        lines, units = [], {}
        totals = {k: {y: 0 for y in years} for k in ("lasten", "baten", "reserves")}
        for r in self.lines(at):
            if unit is not None and r["unit"] != unit:
                continue
            amounts = {y: figures.get((r["unit"], r["line"], y), 0) for y in years}
            pending = {y: amounts[y] - adopted.get((r["unit"], r["line"], y), 0) for y in years}
            lines.append({
                "unit": r["unit"], "unit_name": r["unit_name"], "line": r["line"], "line_name": r["line_name"],
                "type": r["type"], "cost": r["cost"], "years": amounts,
                "pending": {y: a for y, a in pending.items() if a},
            })
            u = units.setdefault(r["unit"], {"unit": r["unit"], "unit_name": r["unit_name"],
                                             **{k: {y: 0 for y in years} for k in ("lasten", "baten", "reserves")}})
            bucket = "reserves" if r["type"] == "reserve" else r["type"]
            for y in years:
                u[bucket][y] += amounts[y]
                totals[bucket][y] += amounts[y]
        totals["saldo"] = {y: totals["baten"][y] - totals["lasten"][y] for y in years}
        totals["te_dekken"] = {y: totals["lasten"][y] - totals["baten"][y] + totals["reserves"][y] for y in years}
        return {
            "organisation": self.organisation(), "position": at if at is not None else self.head(),
            "adopted_only": adopted_only, "years": years, "lines": lines, "units": list(units.values()),
            "totals": totals,
        }

    # ------------------------------------------------------------ addresses

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

    # ------------------------------------------------------------ explain

    def steps(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
              limit: int | None = None) -> list[Step]:
        """Every mutation that contributes to the figure in that year, in ledger order.

        With ``limit``, only the latest ``limit`` steps; the running totals then start from
        what the earlier ones brought forward (see ``brought_forward``)."""
        return self.trail(fig, year, at, adopted_only=adopted_only, limit=limit)[0]

    def trail(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
              limit: int | None = None) -> tuple[list[Step], int, int]:
        """(latest steps, number of earlier steps, amount they brought forward)."""
        p = at if at is not None else self.head()
        where = ["e.year = :year", counts_at(":p", adopted_only=adopted_only)]
        if fig.kind in ("line", "unit"):
            where.append("e.unit = :unit")
        if fig.kind == "line":
            where.append("e.line = :line")
        else:
            where.append("l.type = 'lasten'")
        params = {"year": year, "p": p, "unit": fig.unit, "line": fig.line}
        joins = ("FROM effects e JOIN documents d ON d.position = e.position "
                 "JOIN lines l ON l.unit = e.unit AND l.line = e.line ")
        rows = self.conn.execute(
            "SELECT e.position, e.seq, e.leg, e.unit, e.line, e.amount_cents, e.source_year, "
            "m.kind, m.reason, m.reference, m.structural, m.corrects_document, m.corrects_seq, m.indexation, "
            "d.document, d.title, d.kind AS document_kind, d.date, d.recorded_at, d.adopted_position "
            + joins + "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            f"WHERE {' AND '.join(where)} ORDER BY e.position DESC, e.seq DESC, e.leg DESC"
            + (" LIMIT :limit" if limit is not None else ""),
            {**params, "limit": limit},
        ).fetchall()[::-1]
        earlier_count, earlier_cents = 0, 0
        if limit is not None and len(rows) == limit:
            if at is None and fig.kind == "line":
                # Now: the figures table keeps each line's total and its number of steps.
                amount, steps = ("adopted_cents", "adopted_steps") if adopted_only else ("amount_cents", "steps")
                total, count = self.conn.execute(
                    f"SELECT {amount}, {steps} FROM figures WHERE unit=? AND line=? AND year=?",
                    (fig.unit, fig.line, year)).fetchone()
            else:
                count, total = self.conn.execute(
                    f"SELECT COUNT(*), COALESCE(SUM(e.amount_cents), 0) {joins} WHERE {' AND '.join(where)}", params
                ).fetchone()
            earlier_count, earlier_cents = count - len(rows), total - sum(r["amount_cents"] for r in rows)
        shifts = {(r["position"], r["seq"]) for r in rows if r["kind"] == "verschuiving"}
        legs: dict[tuple[int, int], list] = {}
        if shifts:
            positions, seqs = sorted({p for p, _ in shifts}), sorted({s for _, s in shifts})
            for g in self.conn.execute(  # both IN lists walk the primary key; pairs are filtered here
                f"SELECT position, seq, leg, unit, line, amounts FROM legs WHERE position IN ({','.join('?' * len(positions))}) "
                f"AND seq IN ({','.join('?' * len(seqs))}) ORDER BY position, seq, leg", [*positions, *seqs],
            ):
                if (g["position"], g["seq"]) in shifts:
                    legs.setdefault((g["position"], g["seq"]), []).append(g)
        out, running = [], earlier_cents
        for r in rows:
            running += r["amount_cents"]
            status = "adopted" if r["adopted_position"] and r["adopted_position"] <= p else "proposed"
            step = Step(
                position=r["position"], seq=r["seq"], document=r["document"], title=r["title"],
                document_kind=r["document_kind"], status=status, kind=r["kind"], reason=r["reason"],
                reference=r["reference"], recorded_at=r["recorded_at"], date=r["date"],
                amount_cents=r["amount_cents"], running_total_cents=running, unit=r["unit"], line=r["line"],
                structural=bool(r["structural"]),
                corrects=f"{r['corrects_document']}/{r['corrects_seq']}" if r["corrects_document"] else None,
                carried_from=r["source_year"] if r["source_year"] != year else None,
            )
            if r["kind"] == "verschuiving":
                step.other_legs = [(f"{o['unit']}/{o['line']}", json.loads(o["amounts"]))
                                   for o in legs.get((r["position"], r["seq"]), []) if o["leg"] != r["leg"]]
            if r["indexation"]:
                step.indexation = next(
                    (i for i in json.loads(r["indexation"]) if i["unit"] == r["unit"] and i["line"] == r["line"]), None
                )
            out.append(step)
        return out, earlier_count, earlier_cents

    def explain(self, fig: Figure, year: int, at: int | None = None, *, adopted_only: bool = False,
                with_children: bool = True, limit: int | None = None) -> dict:
        # The figures and the chart are read once for the whole tree, not once per node:
        # as of a past point each read is an aggregate over the effects.
        figures = self.figures(at, adopted_only=adopted_only)
        lines = self.lines(at)
        return self._explain(fig, year, at, adopted_only, with_children, limit, figures, lines)

    def _explain(self, fig: Figure, year: int, at: int | None, adopted_only: bool, with_children: bool,
                 limit: int | None, figures: dict[tuple[str, str, int], int], lines: list[sqlite3.Row]) -> dict:
        steps, earlier_count, earlier_cents = self.trail(fig, year, at, adopted_only=adopted_only, limit=limit)
        kinds = {(r["unit"], r["line"]): r["type"] for r in lines}

        def amount(types: tuple[str, ...]) -> int:
            return sum(a for (u, l, y), a in figures.items() if y == year and kinds.get((u, l)) in types
                       and (fig.kind == "total" or u == fig.unit) and (fig.kind != "line" or l == fig.line))

        result: dict = {"figure": fig.address, "name": fig.name, "kind": fig.kind, "year": year,
                        "position": at if at is not None else self.head(), "adopted_only": adopted_only}
        if fig.kind == "line":
            result["amount_cents"] = amount(("lasten", "baten", "reserve"))
        else:
            result["amount_cents"] = amount(("lasten",))
            result["lasten_cents"] = result["amount_cents"]
            result["baten_cents"] = amount(("baten",))
            result["saldo_cents"] = result["baten_cents"] - result["lasten_cents"]
        result["steps"] = steps
        if earlier_count:
            result["brought_forward"] = {"mutations": earlier_count, "amount_cents": earlier_cents}
        if fig.kind != "line" and with_children:
            if fig.kind == "total":
                unit_names = {r["unit"]: r["unit_name"] for r in lines}
                children = [Figure("unit", u, name=n) for u, n in unit_names.items()]
            else:
                children = [Figure("line", r["unit"], r["line"], f"{r['unit_name']}/{r['line_name']}")
                            for r in lines if r["unit"] == fig.unit]
            result["children"] = [self._explain(c, year, at, adopted_only, with_children, limit, figures, lines)
                                  for c in children]
        return result

    # ------------------------------------------------------------ diff

    def diff(self, a: int, b: int, *, adopted_only: bool = False, show_all: bool = False) -> dict:
        before = self.figures(a, adopted_only=adopted_only)
        after = self.figures(b, adopted_only=adopted_only)
        names = {(r["unit"], r["line"]): r for r in self.lines(max(a, b))}

        causes: dict[tuple[str, str, int], list[dict]] = {}
        rows = self.conn.execute(
            "SELECT e.unit, e.line, e.year, e.amount_cents, e.position, e.seq, "
            f"{counts_at(':a', adopted_only=adopted_only)} AS at_a, "
            f"{counts_at(':b', adopted_only=adopted_only)} AS at_b, d.document, d.title, d.kind AS document_kind, "
            "m.kind, m.reason, m.reference FROM effects e JOIN documents d ON d.position = e.position "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            f"WHERE {counts_at(':a', adopted_only=adopted_only)} != {counts_at(':b', adopted_only=adopted_only)} ORDER BY e.position, e.seq, e.leg",
            {"a": a, "b": b},
        ).fetchall()
        for r in rows:
            sign = 1 if r["at_b"] else -1
            causes.setdefault((r["unit"], r["line"], r["year"]), []).append({
                "position": r["position"], "mutation": f"{r['document']}/{r['seq']}", "document": r["document"],
                "title": r["title"], "document_kind": r["document_kind"], "kind": r["kind"], "reason": r["reason"],
                "reference": r["reference"], "amount_cents": sign * r["amount_cents"],
            })
        out = []
        order = {k: n for n, k in enumerate(names)}
        for key in sorted(set(before) | set(after), key=lambda k: (order.get(k[:2], 0), k[2])):
            x, y = before.get(key, 0), after.get(key, 0)
            if x == y and not show_all:
                continue
            r = names.get(key[:2])
            out.append({
                "unit": key[0], "line": key[1], "unit_name": r["unit_name"] if r else "",
                "line_name": r["line_name"] if r else "", "year": key[2], "before_cents": x, "after_cents": y,
                "change_cents": y - x, "causes": causes.get(key, []),
            })
        return {"from": a, "to": b, "adopted_only": adopted_only, "changes": out}

    # ------------------------------------------------------------ history

    def history(self, at: int | None = None, *, kind: str | None = None, unit: str | None = None,
                line: str | None = None, document: str | None = None, document_kind: str | None = None,
                date_from: str | None = None, date_to: str | None = None, reference: str | None = None,
                grep: str | None = None, corrections: bool = False, corrects_document: str | None = None) -> list[dict]:
        """One row per mutation (a shift's legs together) and per lifecycle event, in ledger
        order. Filters compose (AND) and are answered from indexes; dates are effective dates."""
        p = at if at is not None else self.head()
        where, params = ["m.position <= :p"], {"p": p}
        for given, condition in (
            (kind, "m.kind = :kind"),
            (corrections, "m.kind = 'correctie'"),
            (corrects_document, "m.corrects_document = :corrects_document"),
            (document, "m.document = :document"),
            (document_kind, "m.document_kind = :document_kind"),
            (date_from, "m.date >= :date_from"),
            (date_to, "m.date <= :date_to"),
            (reference, "m.reference LIKE '%' || :reference || '%' ESCAPE '\\'"),
            (grep, "m.search_text LIKE '%' || :grep || '%' ESCAPE '\\'"),
        ):
            if given:
                where.append(condition)
        if unit or line:
            where.append("EXISTS (SELECT 1 FROM legs g WHERE g.position = m.position AND g.seq = m.seq"
                         + (" AND g.unit = :unit" if unit else "") + (" AND g.line = :line" if line else "") + ")")
        params.update(kind=kind, unit=unit, line=line, document=document, document_kind=document_kind,
                      date_from=date_from, date_to=date_to, reference=like_literal(reference or ""),
                      grep=like_literal(fold(grep or "")),
                      corrects_document=corrects_document)
        rows: list[dict] = []
        for r in self.conn.execute(
            "SELECT m.*, d.title, d.recorded_at, d.actor, d.adopted_position, d.withdrawn_position "
            "FROM mutations m JOIN documents d ON d.position = m.position "
            f"WHERE {' AND '.join(where)} ORDER BY m.position, m.seq", params,
        ):
            if reference and not _cites(r["reference"], reference):
                continue
            status = ("withdrawn" if r["withdrawn_position"] and r["withdrawn_position"] <= p else
                      "adopted" if r["adopted_position"] and r["adopted_position"] <= p else "proposed")
            row = {
                "position": r["position"], "seq": r["seq"], "recorded_at": r["recorded_at"], "actor": r["actor"],
                "document": r["document"], "title": r["title"], "document_kind": r["document_kind"],
                "status": status, "kind": r["kind"], "lines": r["lines"].split(","), "years": r["years"],
                "date": r["date"], "structural": bool(r["structural"]), "amount_cents": r["net_cents"],
                "reason": r["reason"], "reference": r["reference"],
                "corrects": f"{r['corrects_document']}/{r['corrects_seq']}" if r["corrects_document"] else None,
            }
            if r["corrects_document"]:
                row["corrected"] = self._mutation(r["corrects_document"], r["corrects_seq"])
            rows.append(row)
        if not (unit or line or reference or corrections or corrects_document):
            rows += self._lifecycle_rows(p, kind=kind, document=document, document_kind=document_kind,
                                         date_from=date_from, date_to=date_to, grep=grep)
        rows.sort(key=lambda x: (x["position"], x["seq"]))
        return rows

    def _mutation(self, document: str, seq: int) -> dict | None:
        r = self.conn.execute(
            "SELECT kind, reason, reference, net_cents, lines FROM mutations WHERE document=? AND seq=?", (document, seq)
        ).fetchone()
        return None if r is None else {
            "mutation": f"{document}/{seq}", "kind": r["kind"], "reason": r["reason"], "reference": r["reference"],
            "lines": r["lines"].split(","), "amount_cents": r["net_cents"],
        }

    def _lifecycle_rows(self, p: int, *, kind: str | None, document: str | None, document_kind: str | None,
                        date_from: str | None, date_to: str | None, grep: str | None) -> list[dict]:
        rows = []
        for r in self.conn.execute(
            "SELECT l.position, l.recorded_at, l.event, l.document, l.actor, c.date, c.decision, d.kind AS document_kind, "
            "d.title FROM log l LEFT JOIN lifecycle c USING (position) LEFT JOIN documents d ON d.document = l.document "
            "WHERE l.event NOT IN ('document_recorded', 'chart_extended') AND l.position <= ?", (p,),
        ):
            row = {
                "position": r["position"], "seq": 0, "recorded_at": r["recorded_at"], "actor": r["actor"],
                "document": r["document"] or "", "title": r["title"] or "", "document_kind": r["document_kind"] or "",
                "status": "", "kind": r["event"], "lines": [], "years": "", "structural": False,
                "amount_cents": None, "reason": r["decision"] or "", "reference": "", "corrects": None,
                "date": r["date"],
            }
            if ((kind and row["kind"] != kind) or (document and row["document"] != document)
                    or (document_kind and row["document_kind"] != document_kind)
                    or ((date_from or date_to) and not row["date"])
                    or (date_from and row["date"] < date_from) or (date_to and row["date"] > date_to)
                    or (grep and fold(grep) not in fold(" ".join((row["document"], row["title"], row["reason"]))))):
                continue
            rows.append(row)
        return rows

    # ------------------------------------------------------------ one document

    def document(self, document: str, at: int | None = None) -> dict | None:
        """A document whole: header, lifecycle, mutations, later corrections, net effect."""
        p = at if at is not None else self.head()
        d = self.conn.execute("SELECT * FROM documents WHERE document=? AND position <= ?", (document, p)).fetchone()
        if d is None:
            return None
        lifecycle = [dict(r) for r in self.conn.execute(
            "SELECT position, event, date, decision, recorded_at, actor FROM lifecycle WHERE document=? AND position <= ? "
            "ORDER BY position", (document, p))]
        status = "proposed"
        for event in lifecycle:
            status = event["event"]
        mutations = self.history(at, document=document)
        mutations = [m for m in mutations if m["seq"]]
        legs: dict[int, list[dict]] = {}
        for g in self.conn.execute("SELECT seq, unit, line, amounts FROM legs WHERE position=? ORDER BY seq, leg",
                                   (d["position"],)):
            legs.setdefault(g["seq"], []).append({"line": f"{g['unit']}/{g['line']}",
                                                  "amounts_cents": json.loads(g["amounts"])})
        for m in mutations:
            m["legs"] = legs.get(m["seq"], [])
        later = self.history(at, corrections=True, corrects_document=document)
        effect: dict[str, dict[int, int]] = {}
        for unit, year, amount in self.conn.execute(
            "SELECT unit, year, SUM(amount_cents) FROM effects WHERE position=? AND since_position <= ? "
            "GROUP BY unit, year ORDER BY unit, year", (d["position"], p)):
            effect.setdefault(unit, {})[year] = amount
        return {
            "document": d["document"], "kind": d["kind"], "title": d["title"], "date": d["date"],
            "status": status, "decision": d["decision"], "position": d["position"], "recorded_at": d["recorded_at"],
            "actor": d["actor"], "source": d["source"], "content_sha256": d["content_sha256"],
            "lifecycle": lifecycle, "mutations": mutations, "corrected_by": later, "effect_cents": effect,
        }


def _cites(reference: str, wanted: str) -> bool:
    """Whether a reference cites a paragraph or one of its subparagraphs: "§6.1" is cited
    by "§6.1" and "§6.1.8", not by "§6.10"."""
    wanted = wanted.strip()
    for part in re.split(r"[,;/]\s*|\s+", reference):
        part = part.strip()
        if part == wanted or part.startswith(wanted + "."):
            return True
    return False
