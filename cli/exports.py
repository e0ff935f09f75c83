"""Writing the begroting where controllers and auditors work: Excel with the history of
every cell, CSV, JSON and a self-contained HTML audit report. Every text that came from a
document is guarded: it never runs as a formula in a spreadsheet, and never as markup in
the report. What is written comes from the read models' answers; nothing here queries."""

from __future__ import annotations

import csv
import html
import json
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from ledger.answers import plain
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.money import decimal_text, to_decimal
from ledger.transfer import history
from projections.answers import DocumentRecord, Figure, MutationRow, Step
from projections.notation import euro

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '"€" #,##0.00;[Red]-"€" #,##0.00'
MAX_COMMENT_STEPS = 40  # per xlsx cell comment
MAX_REPORT_STEPS = 200  # per trail in the HTML report; earlier steps are brought forward as one row


def explain_all(unit: str, line: str, year: int) -> str:
    return f"begroting explain {unit}/{line} --year {year} --all"


def csv_safe(value: Any) -> Any:
    """A text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Snapshot:
    """The begroting at one point, with the audit trail of every line and year."""

    def __init__(self, ledger: Ledger, at: int | None, adopted_only: bool):
        self.ledger, self.at, self.adopted_only = ledger, at, adopted_only
        self.show = ledger.views.show(at, adopted_only=adopted_only)
        self.years = self.show.years

    @cached_property
    def documents(self) -> list[DocumentRecord]:
        return self.ledger.views.documents(self.at)

    @cached_property
    def mutations(self) -> list[MutationRow]:
        return self.ledger.views.mutations(self.at)

    def trail(self, unit: str, line: str, year: int, limit: int) -> tuple[list[Step], int, int]:
        return self.ledger.views.trail(Figure("line", unit, line), year, self.at,
                                       adopted_only=self.adopted_only, limit=limit)

    def trail_text(self, unit: str, line: str, year: int) -> str:
        """A cell comment: the latest steps, like `explain`, with earlier ones brought forward
        (read from the index rather than fetching a long trail to show forty of it)."""
        steps, earlier, earlier_cents = self.trail(unit, line, year, MAX_COMMENT_STEPS)
        rows = [f"{earlier} earlier mutations brought forward: {euro(earlier_cents)} "
                f"({explain_all(unit, line, year)})"] if earlier else []
        rows += [f"{s.document}/{s.seq} {s.kind} {euro(s.amount_cents)}" + (f" ({s.reference})" if s.reference else "")
                 for s in steps]
        return "\n".join(rows) or "no mutations"


# ------------------------------------------------------------------ xlsx


def write_xlsx(snapshot: Snapshot, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)

    def text(ws: Any, row: int, col: int, value: Any, **style: Any) -> None:
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        for k, v in style.items():
            setattr(cell, k, v)

    for year in snapshot.years:
        ws = wb.create_sheet(str(year))
        title = f"Begroting {snapshot.show.organisation} {year}"
        if snapshot.at is not None:
            title += f" (stand na positie {snapshot.at})"
        if snapshot.adopted_only:
            title += ", alleen vastgestelde documenten"
        text(ws, 1, 1, title, font=Font(bold=True, size=13))
        for col, head in enumerate(("Eenheid", "Regel", "Soort", "Bedrag"), start=1):
            text(ws, 3, col, head, font=bold)
        row = 4
        line_rows: list[int] = []
        by_unit = snapshot.show.lines_by_unit()
        for unit in snapshot.show.units:
            first = row
            for line in by_unit.get(unit.unit, []):
                text(ws, row, 1, unit.unit_name)
                text(ws, row, 2, line.line_name)
                text(ws, row, 3, line.type)
                cell = ws.cell(row=row, column=4, value=to_decimal(line.years_cents[year]))
                cell.number_format = EURO_FORMAT
                cell.comment = Comment(snapshot.trail_text(line.unit, line.line, year), "begroting",
                                       width=420, height=200)
                line_rows.append(row)
                row += 1
            for kind, label in (("lasten", "Totaal lasten"), ("baten", "Totaal baten")):
                if any(line.type == kind for line in by_unit.get(unit.unit, [])):
                    text(ws, row, 1, unit.unit_name, font=bold)
                    text(ws, row, 2, label, font=bold)
                    cell = ws.cell(row=row, column=4, value=f'=SUMIF(C{first}:C{row - 1},"{kind}",D{first}:D{row - 1})')
                    cell.number_format, cell.font = EURO_FORMAT, bold
                    row += 1
            row += 1
        span = f"{line_rows[0]}:{line_rows[-1]}" if line_rows else "4:4"
        a, b = span.split(":")
        totals = {}
        for kind, label in (("lasten", "Lasten"), ("baten", "Baten"), ("reserve", "Mutatie reserves")):
            text(ws, row, 2, label, font=bold)
            cell = ws.cell(row=row, column=4, value=f'=SUMIF(C{a}:C{b},"{kind}",D{a}:D{b})')
            cell.number_format, cell.font = EURO_FORMAT, bold
            totals[kind] = row
            row += 1
        text(ws, row, 2, "Saldo (baten - lasten)", font=bold)
        cell = ws.cell(row=row, column=4, value=f"=D{totals['baten']}-D{totals['lasten']}")
        cell.number_format, cell.font = EURO_FORMAT, bold
        ws.column_dimensions["A"].width = 40
        ws.column_dimensions["B"].width = 55
        ws.column_dimensions["D"].width = 18

    docs = wb.create_sheet("Documenten")
    heads: tuple[str, ...] = ("document", "soort", "titel", "datum", "status", "besluit", "positie", "vastgelegd", "door")
    for col, head in enumerate(heads, start=1):
        text(docs, 1, col, head, font=bold)
    for r, d in enumerate(snapshot.documents, start=2):
        values: tuple[Any, ...] = (d.document, d.kind, d.title, d.date, d.status, d.decision, d.position, d.recorded_at, d.actor)
        for col, value in enumerate(values, start=1):
            text(docs, r, col, value)

    muts = wb.create_sheet("Mutaties")
    heads = ("positie", "mutatie", "document", "soort document", "status", "soort", "regels", "jaren", "bedrag",
             "structureel", "reden", "referentie", "corrigeert")
    for col, head in enumerate(heads, start=1):
        text(muts, 1, col, head, font=bold)
    for r, m in enumerate(snapshot.mutations, start=2):
        values = (m.position, f"{m.document}/{m.seq}", m.document, m.document_kind, m.status, m.kind,
                  ", ".join(m.lines), m.years, to_decimal(m.amount_cents or 0), "ja" if m.structural else "nee",
                  m.reason, m.reference, m.corrects or "")
        for col, value in enumerate(values, start=1):
            text(muts, r, col, value)
        muts.cell(row=r, column=9).number_format = EURO_FORMAT
    wb.save(path)


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


# ------------------------------------------------------------------ html


def _svg_waterfall(title: str, steps: list[Step]) -> str:
    from cli.charts import waterfall_svg_text

    svg = waterfall_svg_text(title, steps, size=(5, 3.2))
    return svg[svg.index("<svg"):]  # inline: without the XML prologue


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
td.amount, th.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.unit td { font-weight: bold; background: #f4f4f4; }
tr.earlier td { font-style: italic; color: #555; }
tr.total td { font-weight: bold; }
.neg { color: #c62828; }
.trail { display: none; border: 1px solid #999; padding: .5em 1em; margin: 1em 0; background: #fffbe6; }
.trail:target { display: block; }
code { background: #f0f0f0; padding: 0 .3em; }
"""


def write_html(snapshot: Snapshot, path: str) -> None:
    e = html.escape
    views = snapshot.ledger.views
    org = e(snapshot.show.organisation)
    try:
        digest = snapshot.ledger.digest()
    except LedgerError as err:
        digest = f"unavailable: {err}"

    def amount(cents: int) -> str:
        return f'<span class="{"neg" if cents < 0 else ""}">{e(euro(cents))}</span>'

    out = [f"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Auditrapport begroting {org}</title>"
           f"<style>{CSS}</style></head><body>",
           f"<h1>Auditrapport begroting {org}</h1>",
           f"<p>Opgemaakt {e(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}; stand na positie "
           f"{snapshot.show.position}{' (alleen vastgestelde documenten)' if snapshot.adopted_only else ''}.</p>",
           f"<p>Hash-chain digest: <code id='digest'>{e(digest)}</code> "
           f"(controleer met <code>begroting verify --digest {e(digest)}</code>)</p>"]
    trails = []
    by_unit = snapshot.show.lines_by_unit()
    out.append("<h2>Begroting</h2><table id='begroting'><thead><tr><th>Eenheid / regel</th><th>soort</th>"
               + "".join(f"<th class='amount'>{y}</th>" for y in snapshot.years) + "</tr></thead><tbody>")
    for unit in snapshot.show.units:
        out.append(f"<tr class='unit'><td colspan='{2 + len(snapshot.years)}'>{e(unit.unit_name)}</td></tr>")
        for line in by_unit.get(unit.unit, []):
            cells = []
            for y in snapshot.years:
                anchor = f"trail-{line.unit}-{line.line}-{y}"
                cells.append(f"<td class='amount'><a class='figure' href='#{e(anchor)}'>{amount(line.years_cents[y])}</a></td>")
                steps, earlier, earlier_cents = snapshot.trail(line.unit, line.line, y, MAX_REPORT_STEPS)
                rows = (f"<tr class='earlier'><td colspan='5'>{earlier} eerdere mutaties, samen "
                        f"(alle: <code>{e(explain_all(line.unit, line.line, y))}</code>)</td>"
                        f"<td class='amount'>{amount(earlier_cents)}</td><td class='amount'>{amount(earlier_cents)}</td>"
                        "</tr>") if earlier else ""
                rows += "".join(
                    f"<tr><td>{s.position}</td><td>{e(s.document)}/{s.seq}<br><small>{e(s.title)}, {e(s.document_kind)}, "
                    f"{e(s.status)}</small></td><td>{e(s.kind)}{' (corrigeert ' + e(s.corrects) + ')' if s.corrects else ''}"
                    f"{' (structureel uit ' + str(s.carried_from) + ')' if s.carried_from else ''}</td>"
                    f"<td>{e(s.reason)}</td><td>{e(s.reference)}</td><td class='amount'>{amount(s.amount_cents)}</td>"
                    f"<td class='amount'>{amount(s.running_total_cents)}</td></tr>" for s in steps)
                trails.append(
                    f"<section class='trail' id='{e(anchor)}'><h3>{e(unit.unit_name)} / {e(line.line_name)} {y}: "
                    f"{amount(line.years_cents[y])}</h3><table><thead><tr><th>#</th><th>document</th><th>soort</th>"
                    f"<th>reden</th><th>referentie</th><th class='amount'>bedrag</th><th class='amount'>cumulatief</th>"
                    f"</tr></thead><tbody>{rows or '<tr><td colspan=7>geen mutaties</td></tr>'}</tbody></table></section>")
            out.append(f"<tr><td>{e(line.line_name)}</td><td>{e(line.type)}</td>{''.join(cells)}</tr>")
        out.append("<tr class='total'><td>Totaal lasten</td><td></td>"
                   + "".join(f"<td class='amount'>{amount(unit.lasten_cents[y])}</td>" for y in snapshot.years) + "</tr>")
    for key, label in (("lasten", "Lasten"), ("baten", "Baten"), ("saldo", "Saldo (baten − lasten)"),
                       ("te_dekken", "Te dekken door deelnemers")):
        out.append(f"<tr class='total'><td>{label}</td><td></td>"
                   + "".join(f"<td class='amount'>{amount(getattr(snapshot.show.totals, f'{key}_cents')[y])}</td>"
                             for y in snapshot.years)
                   + "</tr>")
    out.append("</tbody></table>")
    out.append("<h2>Audit trail per bedrag</h2><p>Klik op een bedrag in de tabel om zijn mutaties te zien.</p>")
    out.extend(trails)
    out.append("<h2>Documenten</h2><table id='documenten'><thead><tr><th>#</th><th>document</th><th>soort</th><th>titel</th>"
               "<th>datum</th><th>status</th><th>besluit</th></tr></thead><tbody>")
    for d in snapshot.documents:
        out.append(f"<tr><td>{d.position}</td><td>{e(d.document)}</td><td>{e(d.kind)}</td><td>{e(d.title)}</td>"
                   f"<td>{e(d.date)}</td><td>{e(d.status)}</td><td>{e(d.decision or '')}</td></tr>")
    out.append("</tbody></table><h2>Waterval per eenheid</h2>")
    year = snapshot.years[0] if snapshot.years else None
    for unit in snapshot.show.units:
        if year is None:
            break
        steps = views.steps(Figure("unit", unit.unit), year, snapshot.at, adopted_only=snapshot.adopted_only)
        title = f"{unit.unit_name} {year} (lasten)"
        out.append(f"<figure>{_svg_waterfall(title, steps)}</figure>")
    out.append("</body></html>")
    Path(path).write_text("\n".join(out), encoding="utf-8")
