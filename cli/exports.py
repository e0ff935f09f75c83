"""Writing the begroting where controllers and auditors work: Excel with the history of
every cell, CSV, JSON and a self-contained HTML audit report. Every text that came from a
document is guarded: it never runs as a formula in a spreadsheet, and never as markup in
the report. What is written comes from the read models' answers; nothing here queries.
The snapshot, CSV and JSON live here; the workbook in ``cli.workbook``, the report in
``cli.report_html``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from events import kind_carries, year_effects
from ledger.answers import plain
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.money import decimal_text
from ledger.transfer import history
from projections.answers import DocumentRecord, Figure, MutationRow, Step
from projections.notation import euro
from projections.reserves import ReserveQueries, ReserveYear

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# "€ 1.234,56" and, in red, "€ -300.000,00": the minus after the euro sign, as projections.notation
# writes it (the thousands and decimal marks are the reader's locale).
EURO_FORMAT = '"€" #,##0.00;[Red]"€" -#,##0.00'
DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm:ss"
MAX_COMMENT_STEPS = 40  # per xlsx cell comment
MAX_REPORT_STEPS = 200  # per trail in the HTML report; earlier steps are brought forward as one row
STATUS_WORDS = {"adopted": "vastgesteld", "proposed": "voorgesteld", "withdrawn": "ingetrokken"}


def status_word(status: str | None) -> str:
    """A document's status in Dutch, the one language of the workbook and the report."""
    return STATUS_WORDS.get(status or "", status or "")


def explain_all(unit: str, line: str, year: int) -> str:
    return f"begroting explain {unit}/{line} --year {year} --all"


def csv_safe(value: Any) -> Any:
    """A text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def one_line(text: str) -> str:
    return " ".join(text.split())


class Snapshot:
    """The begroting at one point, with the audit trail of every line and year."""

    def __init__(self, ledger: Ledger, at: int | None, adopted_only: bool, *, years: list[int] | None = None,
                 unit: str | None = None, line: str | None = None):
        """``unit`` or ``line`` ("unit/line"): only those lines, with the totals of what is exported."""
        self.ledger, self.at, self.adopted_only, self.only_years = ledger, at, adopted_only, years
        self.unit = unit or (line.partition("/")[0] if line else None)
        self.line = line
        self.show = ledger.views.show(at, adopted_only=adopted_only, years=years, unit=unit, line=line)
        if not self.show.lines and (years or unit or line):
            raise LedgerError("nothing to export: no line of the ledger at that point is asked for")
        self.years = self.show.years

    @cached_property
    def documents(self) -> list[DocumentRecord]:
        return self.ledger.views.documents(self.at)

    @cached_property
    def mutations(self) -> list[MutationRow]:
        """The mutations of what is exported: of the unit or line asked for, and with ``years``,
        those that count in one of them (a structural amount counts in the years it carries into)."""
        if self.unit is None:
            rows = self.ledger.views.mutations(self.at)
        else:
            line = self.line.partition("/")[2] if self.line else None
            rows = [m for m in self.ledger.views.history(self.at, unit=self.unit, line=line) if isinstance(m, MutationRow)]
        if self.only_years:
            rows = [m for m in rows if any(year_effects({int(y): a for y, a in leg.amounts_cents.items()},
                                                        carries=kind_carries(m.kind, structural=m.structural),
                                                        years=list(self.years)) for leg in m.legs)]
        return rows

    @cached_property
    def reserves(self) -> list[ReserveYear]:
        """The verloop of every reserve line (of the unit asked for), per year exported."""
        return [r for r in ReserveQueries(self.ledger.views.conn).reserves(
                    self.at, adopted_only=self.adopted_only, years=list(self.years), unit=self.unit)
                if self.line is None or f"{r.unit}/{r.line}" == self.line]

    @cached_property
    def line_names(self) -> dict[str, str]:
        """ "unit/line" → "Unit name / Line name", for a mutation's legs."""
        return {f"{x.unit}/{x.line}": f"{x.unit_name} / {x.line_name}" for x in self.show.lines}

    def trail(self, unit: str, line: str, year: int, limit: int) -> tuple[list[Step], int, int]:
        return self.ledger.views.trail(Figure("line", unit, line), year, self.at,
                                       adopted_only=self.adopted_only, limit=limit)

    def trail_text(self, unit: str, line: str, year: int) -> str:
        """A cell comment: the latest steps, like `explain`, each with its reason, and earlier
        ones brought forward (read from the index rather than fetching a long trail to show
        forty of it)."""
        steps, earlier, earlier_cents = self.trail(unit, line, year, MAX_COMMENT_STEPS)
        rows = [f"{earlier} eerdere stappen samen: {euro(earlier_cents)} "
                f"(alle: {explain_all(unit, line, year)})"] if earlier else []
        rows += [f"{s.document}/{s.seq} {s.kind} {euro(s.amount_cents)}" + (f" ({s.reference})" if s.reference else "")
                 + (f" – {one_line(s.reason)}" if s.reason.strip() else "")
                 for s in steps]
        return "\n".join(rows) or "geen mutaties"


# ------------------------------------------------------------------ xlsx and html


def write_xlsx(snapshot: Snapshot, path: str) -> None:
    """The workbook: a sheet per year, the multi-year sheet, documents, mutations and their
    legs, and the verloop of the reserves (``cli.workbook``)."""
    from cli.workbook import write_workbook

    write_workbook(snapshot, path)


def write_html(snapshot: Snapshot, path: str) -> None:
    """The self-contained audit report (``cli.report_html``)."""
    from cli.report_html import write_report

    write_report(snapshot, path)


# ------------------------------------------------------------------ csv and json


DUTCH_CSV = (";", ",")  # separator and decimal mark that Dutch Excel opens as numbers
DECIMAL_MARKS = (".", ",")
CSV_SEPARATORS_REFUSED = {'"': "the quote character", "\r": "a line break", "\n": "a line break"}


def csv_style_problem(sep: str, decimal: str) -> str | None:
    """Why a CSV cannot be written with this separator and decimal mark, or None when it can."""
    if len(sep) != 1:
        return f"--sep {sep!r}: give exactly one character (for Dutch Excel: --sep ';', or --dutch)"
    if sep in CSV_SEPARATORS_REFUSED:
        return f"--sep {sep!r}: cannot separate fields with {CSV_SEPARATORS_REFUSED[sep]}"
    if decimal not in DECIMAL_MARKS:
        return f"--decimal {decimal!r}: give '.' or ','"
    if sep == decimal:
        return (f"--sep {sep!r} and --decimal {decimal!r}: the separator cannot be the decimal mark "
                "(for Dutch Excel: --sep ';' --decimal ',', or --dutch)")
    return None


def amount_text(cents: int, decimal: str = ".") -> str:
    """``-123456`` → ``"-1234.56"``, or ``"-1234,56"`` with a decimal comma: from whole cents,
    never a thousands separator (Excel would read "1.234,56" by its locale)."""
    text = decimal_text(cents)
    return text if decimal == "." else text.replace(".", decimal)


def write_csv(snapshot: Snapshot, path: str, *, bom: bool = False, sep: str = ",", decimal: str = ".") -> None:
    """A row per line and year. The defaults give the plain CSV (comma, dot decimals); another
    separator or decimal mark is for a spreadsheet's locale and comes with the BOM."""
    problem = csv_style_problem(sep, decimal)
    if problem:
        raise LedgerError(problem)
    bom = bom or (sep, decimal) != (",", ".")
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(["unit", "unit_name", "line", "line_name", "type", "year", "amount"])
        for line in snapshot.show.lines:
            for year in snapshot.years:
                writer.writerow([csv_safe(v) for v in (line.unit, line.unit_name, line.line, line.line_name,
                                                       line.type, year)] + [amount_text(line.years_cents[year], decimal)])


def export_data(snapshot: Snapshot) -> dict:
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        **plain(snapshot.show),
        "documents": plain(snapshot.documents),
        "mutations": plain(snapshot.mutations),
        "history": history(snapshot.ledger) if snapshot.at is None else None,
    }


def write_json(snapshot: Snapshot, path: str) -> None:
    Path(path).write_text(json.dumps(export_data(snapshot), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
