"""The ledger as a story: every mutation and lifecycle event in ledger order, filtered; one
document whole; the documents table; what an indexation came out at."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from itertools import groupby
from typing import Any

from projections.answers import (
    Corrected,
    DocumentEffect,
    DocumentRecord,
    DocumentView,
    HistoryRow,
    Leg,
    LifecycleEvent,
    LifecycleRow,
    MutationRow,
)
from projections.common import fold, like_literal
from projections.figures import totals_of
from projections.points import ViewsBase

DOCUMENT_COLUMNS = ", ".join(f.name for f in fields(DocumentRecord))


class HistoryQueries(ViewsBase):
    def history(self, at: int | None = None, *, kind: str | None = None, unit: str | None = None,
                line: str | None = None, document: str | None = None, document_kind: str | None = None,
                date_from: str | None = None, date_to: str | None = None, reference: str | None = None,
                grep: str | None = None, corrections: bool = False,
                corrects_document: str | None = None, limit: int | None = None) -> list[HistoryRow]:
        """One row per mutation (a shift's legs together) and per lifecycle event, in ledger
        order. Filters compose (AND) and are answered from indexes; dates are effective dates.
        With ``limit``, only the latest ``limit`` rows: read from the newest back, so a page
        costs its rows, not the length of the history."""
        p = at if at is not None else self.head()
        where: list[str] = ["m.position <= :p"]
        params: dict[str, Any] = {"p": p}
        for given, condition in (
            (kind, "m.kind = :kind"),
            (corrections and not corrects_document, "m.kind = 'correctie'"),  # implied: only a correction corrects
            (corrects_document, "m.corrects_document = :corrects_document"),
            (document, "m.position = (SELECT position FROM documents WHERE document = :document)"),
            (document_kind, "m.document_kind = :document_kind"),
            (date_from, "m.date >= :date_from"),
            (date_to, "m.date <= :date_to"),
            (reference, "m.reference LIKE '%' || :reference || '%' ESCAPE '\\'"),
            (grep, "(m.search_text LIKE '%' || :grep || '%' ESCAPE '\\' OR m.position IN (SELECT position FROM "
                   "documents WHERE search_text LIKE '%' || :grep || '%' ESCAPE '\\'))"),
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
        mutations: list[MutationRow] = []
        cursor = self.conn.execute(
            "SELECT m.*, d.title, d.recorded_at, d.actor, d.adopted_position, d.withdrawn_position, "
            "g.unit AS leg_unit, g.line AS leg_line, g.amounts AS leg_amounts "
            "FROM mutations m JOIN documents d ON d.position = m.position "
            "JOIN legs g ON g.position = m.position AND g.seq = m.seq "
            f"WHERE {' AND '.join(where)} ORDER BY m.position DESC, m.seq DESC, g.leg DESC", params,
        )
        for _, group in groupby(cursor, key=lambda row: (row["position"], row["seq"])):  # a row per leg
            if limit is not None and len(mutations) >= limit:
                break
            rows_of_legs = list(group)[::-1]
            r = rows_of_legs[0]
            if reference and not _cites(r["reference"], reference):
                continue
            status = ("withdrawn" if r["withdrawn_position"] and r["withdrawn_position"] <= p else
                      "adopted" if r["adopted_position"] and r["adopted_position"] <= p else "proposed")
            mutations.append(MutationRow(
                position=r["position"], seq=r["seq"], recorded_at=r["recorded_at"], actor=r["actor"],
                document=r["document"], title=r["title"], document_kind=r["document_kind"],
                status=status, kind=r["kind"], lines=tuple(r["lines"].split(",")), years=r["years"],
                date=r["date"], structural=bool(r["structural"]), amount_cents=r["net_cents"],
                reason=r["reason"], reference=r["reference"],
                corrects=f"{r['corrects_document']}/{r['corrects_seq']}" if r["corrects_document"] else None,
                corrected=self._mutation(r["corrects_document"], r["corrects_seq"]) if r["corrects_document"] else None,
                legs=tuple(Leg(f"{g['leg_unit']}/{g['leg_line']}", json.loads(g["leg_amounts"])) for g in rows_of_legs),
            ))
        rows: list[HistoryRow] = list(mutations)
        if not (unit or line or reference or corrections or corrects_document):
            rows += self._lifecycle_rows(p, kind=kind, document=document, document_kind=document_kind,
                                         date_from=date_from, date_to=date_to, grep=grep)
        rows.sort(key=lambda x: (x.position, x.seq))
        return rows if limit is None else rows[max(0, len(rows) - limit):]

    def mutations(self, at: int | None = None) -> list[MutationRow]:
        """Every mutation recorded by that point, in ledger order (the history without its
        lifecycle events)."""
        return [r for r in self.history(at) if isinstance(r, MutationRow)]

    def _mutation(self, document: str, seq: int) -> Corrected | None:
        r = self.conn.execute(
            "SELECT kind, reason, reference, net_cents, lines FROM mutations "
            "WHERE position = (SELECT position FROM documents WHERE document = ?) AND seq = ?", (document, seq)
        ).fetchone()
        return None if r is None else Corrected(
            mutation=f"{document}/{seq}", kind=r["kind"], reason=r["reason"], reference=r["reference"],
            lines=tuple(r["lines"].split(",")), amount_cents=r["net_cents"],
        )

    def _lifecycle_rows(self, p: int, *, kind: str | None, document: str | None, document_kind: str | None,
                        date_from: str | None, date_to: str | None, grep: str | None) -> list[LifecycleRow]:
        rows = []
        for r in self.conn.execute(
            "SELECT l.position, l.recorded_at, l.event, l.document, l.actor, c.date, c.decision, d.kind AS document_kind, "
            "d.title FROM log l LEFT JOIN lifecycle c USING (position) LEFT JOIN documents d ON d.document = l.document "
            "WHERE l.event NOT IN ('document_recorded', 'chart_extended') AND l.position <= ?", (p,),
        ):
            row = LifecycleRow(
                position=r["position"], seq=0, recorded_at=r["recorded_at"], actor=r["actor"],
                document=r["document"] or "", title=r["title"] or "", document_kind=r["document_kind"] or "",
                status="", kind=r["event"], lines=(), years="", structural=False,
                amount_cents=None, reason=r["decision"] or "", reference="", corrects=None, date=r["date"],
            )
            day = row.date or ""
            if ((kind and row.kind != kind) or (document and row.document != document)
                    or (document_kind and row.document_kind != document_kind)
                    or ((date_from or date_to) and not day)
                    or (date_from and day < date_from) or (date_to and day > date_to)
                    or (grep and fold(grep) not in fold(" ".join((row.document, row.title, row.reason))))):
                continue
            rows.append(row)
        return rows

    # ------------------------------------------------------------ documents

    def document(self, document: str, at: int | None = None) -> DocumentView | None:
        """A document whole: header, lifecycle, mutations, later corrections, net effect."""
        p = at if at is not None else self.head()
        d = self.conn.execute("SELECT * FROM documents WHERE document=? AND position <= ?", (document, p)).fetchone()
        if d is None:
            return None
        lifecycle = tuple(LifecycleEvent(*r) for r in self.conn.execute(
            "SELECT position, event, date, decision, recorded_at, actor FROM lifecycle WHERE document=? AND position <= ? "
            "ORDER BY position", (document, p)))
        status = "proposed"
        for event in lifecycle:
            status = event.event
        mutations = tuple(m for m in self.history(at, document=document) if isinstance(m, MutationRow))
        later = self.history(at, corrections=True, corrects_document=document)
        effect, totals = self._document_effect(d["position"], p)
        return DocumentView(
            document=d["document"], kind=d["kind"], title=d["title"], date=d["date"],
            status=status, decision=d["decision"], position=d["position"], recorded_at=d["recorded_at"],
            actor=d["actor"], source=d["source"], content_sha256=d["content_sha256"],
            lifecycle=lifecycle, mutations=mutations, corrected_by=tuple(later), effect=effect, totals_cents=totals,
        )

    def _document_effect(self, position: int, p: int) -> tuple[tuple[DocumentEffect, ...], dict[str, dict[int, int]]]:
        """The document's effect per unit and line type, and per year the totals it moves."""
        per: dict[tuple[str, str], dict[int, int]] = {}
        for unit, type_, year, amount in self.conn.execute(
            "SELECT e.unit, l.type, e.year, SUM(e.amount_cents) FROM effects e "
            "JOIN lines l ON l.unit = e.unit AND l.line = e.line WHERE e.position = ? AND e.since_position <= ? "
            "GROUP BY e.unit, l.type, e.year ORDER BY e.unit, e.year", (position, p)):
            per.setdefault((unit, type_), {})[year] = amount
        order = {"lasten": 0, "baten": 1, "reserve": 2}
        effect = tuple(DocumentEffect(unit, type_, amounts)
                       for (unit, type_), amounts in sorted(per.items(), key=lambda x: (x[0][0], order[x[0][1]])))
        years = sorted({y for amounts in per.values() for y in amounts})
        sums = {t: {y: sum(e.amounts_cents.get(y, 0) for e in effect if e.type == t) for y in years} for t in order}
        return effect, totals_of(sums["lasten"], sums["baten"], sums["reserve"], years)

    def documents(self, at: int | None = None) -> list[DocumentRecord]:
        """Every document recorded by that point, in ledger order: the documents table's rows."""
        p = at if at is not None else self.head()
        return [DocumentRecord(*r) for r in self.conn.execute(
            f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE position <= ? ORDER BY position", (p,))]

    def indexation_outcomes(self, document: str, seq: int) -> dict[str, int]:
        """What an indexation mutation came out at: line address → cents (empty for another kind)."""
        row = self.conn.execute("SELECT indexation FROM mutations WHERE position = (SELECT position FROM documents "
                                "WHERE document = ?) AND seq = ?", (document, seq)).fetchone()
        return {f"{i['unit']}/{i['line']}": i["outcome_cents"] for i in json.loads((row[0] if row else "") or "[]")}


def _cites(reference: str, wanted: str) -> bool:
    """Whether a reference cites a paragraph or one of its subparagraphs: "§6.1" is cited
    by "§6.1" and "§6.1.8", not by "§6.10"."""
    wanted = wanted.strip()
    for part in re.split(r"[,;/]\s*|\s+", reference):
        part = part.strip()
        if part == wanted or part.startswith(wanted + "."):
            return True
    return False
