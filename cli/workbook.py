"""The begroting as an Excel workbook, all in Dutch: a sheet per year (subtotals as formulas,
a comment on every amount with the steps that made it), the multi-year sheet, the documents,
the mutations and their legs, the verloop of the reserves and the BBV overviews
(``cli.bbv_exports``). Amounts are numbers with a euro format; text from a document is always
stored as text, never as a formula."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cli import bbv_exports
from cli.exports import DATE_FORMAT, DATETIME_FORMAT, EURO_FORMAT, Snapshot, one_line, status_word
from ledger.money import to_decimal
from projections.notation import euro

BOLD = Font(bold=True)
TE_DEKKEN = "Te dekken door deelnemers"
COMMENT_PX_PER_CHAR, COMMENT_PX_PER_LINE = 7, 16  # roughly Excel's comment font
COMMENT_WIDTH_PX = (160, 520)
COMMENT_HEIGHT_PX = (40, 720)


def text(ws: Worksheet, row: int, col: int, value: Any, **style: Any) -> Any:
    """A cell; a text is stored as text, never as a formula, whatever it starts with."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def money(ws: Worksheet, row: int, col: int, value: int | str, *, bold: bool = False) -> Any:
    """An amount in cents as a number (or a formula of ours) with the euro format."""
    cell = ws.cell(row=row, column=col, value=to_decimal(value) if isinstance(value, int) else value)
    cell.number_format = EURO_FORMAT
    if bold:
        cell.font = BOLD
    return cell


def day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def moment(value: str | None) -> datetime | None:
    """A stored UTC timestamp as the naive datetime Excel can hold (the header says UTC)."""
    if not value:
        return None
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def comment(body: str) -> Comment:
    """A comment sized to its text: as wide as its longest line (within bounds), as high as
    its lines once wrapped at that width."""
    lines = body.splitlines() or [""]
    width = max(COMMENT_WIDTH_PX[0], min(COMMENT_WIDTH_PX[1], max(len(x) for x in lines) * COMMENT_PX_PER_CHAR + 16))
    per_line = max(1, (width - 16) // COMMENT_PX_PER_CHAR)
    wrapped = sum(max(1, -(-len(x) // per_line)) for x in lines)
    height = max(COMMENT_HEIGHT_PX[0], min(COMMENT_HEIGHT_PX[1], wrapped * COMMENT_PX_PER_LINE + 16))
    return Comment(body, "begroting", width=width, height=height)


def table(ws: Worksheet, header_row: int, heads: tuple[str, ...], *, freeze_col: int = 1) -> None:
    """The header of a table-like sheet, frozen so it stays in view."""
    for col, head in enumerate(heads, start=1):
        text(ws, header_row, col, head, font=BOLD)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=freeze_col).coordinate


def autofilter(ws: Worksheet, header_row: int, columns: int, last_row: int) -> None:
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{max(last_row, header_row)}"


def widths(ws: Worksheet, *sizes: float) -> None:
    for col, size in enumerate(sizes, start=1):
        ws.column_dimensions[get_column_letter(col)].width = size


def title_text(snapshot: Snapshot, title: str) -> str:
    """A sheet's title, with the point and the documents it counts."""
    if snapshot.at is not None:
        title += f" (stand na positie {snapshot.at})"
    if snapshot.adopted_only:
        title += ", alleen vastgestelde documenten"
    return title


def write_workbook(snapshot: Snapshot, path: str) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for year in snapshot.years:
        year_sheet(wb.create_sheet(str(year)), snapshot, year)
    multi_year_sheet(wb.create_sheet("Meerjarig"), snapshot)
    documents_sheet(wb.create_sheet("Documenten"), snapshot)
    mutations_sheet(wb.create_sheet("Mutaties"), snapshot)
    legs_sheet(wb.create_sheet("Mutatieregels"), snapshot)
    reserves_sheet(wb.create_sheet("Reserves"), snapshot)
    bbv_exports.add_sheets(wb, snapshot)
    wb.save(path)


def year_sheet(ws: Worksheet, snapshot: Snapshot, year: int) -> None:
    """A year: every line with its trail as a comment, unit subtotals and the totals down to
    te dekken as formulas over the amounts above them."""
    text(ws, 1, 1, title_text(snapshot, f"Begroting {snapshot.show.organisation} {year}"), font=Font(bold=True, size=13))
    table(ws, 3, ("Eenheid", "Regel", "Soort", "Bedrag"))
    row = 4
    by_unit = snapshot.show.lines_by_unit()
    for unit in snapshot.show.units:
        first = row
        for line in by_unit.get(unit.unit, []):
            text(ws, row, 1, unit.unit_name)
            text(ws, row, 2, line.line_name)
            text(ws, row, 3, line.type)
            money(ws, row, 4, line.years_cents[year]).comment = comment(snapshot.trail_text(line.unit, line.line, year))
            row += 1
        for kind, label in (("lasten", "Totaal lasten"), ("baten", "Totaal baten")):
            if any(line.type == kind for line in by_unit.get(unit.unit, [])):
                text(ws, row, 1, unit.unit_name, font=BOLD)
                text(ws, row, 2, label, font=BOLD)
                money(ws, row, 4, f'=SUMIF(C{first}:C{row - 1},"{kind}",D{first}:D{row - 1})', bold=True)
                row += 1
        row += 1
    autofilter(ws, 3, 4, row - 2)
    a, b = 4, row - 2
    totals = {}
    for kind, label in (("lasten", "Lasten"), ("baten", "Baten"), ("reserve", "Mutatie reserves")):
        text(ws, row, 2, label, font=BOLD)
        # No lines (a ledger without a chart yet): a total of nothing, not a formula over itself.
        money(ws, row, 4, f'=SUMIF(C{a}:C{b},"{kind}",D{a}:D{b})' if b >= a else 0, bold=True)
        totals[kind] = row
        row += 1
    text(ws, row, 2, "Saldo (baten − lasten)", font=BOLD)
    money(ws, row, 4, f"=D{totals['baten']}-D{totals['lasten']}", bold=True)
    text(ws, row + 1, 2, f"{TE_DEKKEN} (lasten − baten + mutatie reserves)", font=BOLD)
    cell = money(ws, row + 1, 4, f"=D{totals['lasten']}-D{totals['baten']}+D{totals['reserve']}", bold=True)
    cell.comment = comment(te_dekken_note(snapshot, year))
    widths(ws, 40, 55, 10, 18)


def te_dekken_note(snapshot: Snapshot, year: int) -> str:
    t = snapshot.show.totals
    return (f"Lasten {euro(t.lasten_cents[year])}\n− baten {euro(t.baten_cents[year])}\n"
            f"+ mutatie reserves {euro(t.reserves_cents[year])}\n= te dekken {euro(t.te_dekken_cents[year])}\n"
            "(saldo × −1 + mutatie reserves)")


def multi_year_sheet(ws: Worksheet, snapshot: Snapshot) -> None:
    """Every year of the horizon side by side: the lines, each unit's lasten and baten, and the
    totals down to te dekken, as the read models give them (the same figures as `show`)."""
    years = snapshot.years
    span = f" {years[0]}–{years[-1]}" if years else ""
    text(ws, 1, 1, title_text(snapshot, f"Meerjarenbegroting {snapshot.show.organisation}{span}"), font=Font(bold=True, size=13))
    heads = ("Eenheid", "Regel", "Soort", *(str(y) for y in years))
    table(ws, 3, heads, freeze_col=4)
    row = 4
    by_unit = snapshot.show.lines_by_unit()
    for unit in snapshot.show.units:
        for line in by_unit.get(unit.unit, []):
            text(ws, row, 1, unit.unit_name)
            text(ws, row, 2, line.line_name)
            text(ws, row, 3, line.type)
            for col, y in enumerate(years, start=4):
                money(ws, row, col, line.years_cents[y])
            row += 1
        kinds = {line.type for line in by_unit.get(unit.unit, [])}
        for kind, label, per_year in (("lasten", "Totaal lasten", unit.lasten_cents), ("baten", "Totaal baten", unit.baten_cents),
                                      ("reserve", "Totaal mutatie reserves", unit.reserves_cents)):
            if kind in kinds:
                text(ws, row, 1, unit.unit_name, font=BOLD)
                text(ws, row, 2, label, font=BOLD)
                for col, y in enumerate(years, start=4):
                    money(ws, row, col, per_year[y], bold=True)
                row += 1
    autofilter(ws, 3, len(heads), row - 1)
    row += 1
    t = snapshot.show.totals
    for label, per_year in (("Lasten", t.lasten_cents), ("Baten", t.baten_cents),
                            ("Saldo (baten − lasten)", t.saldo_cents),
                            ("Mutatie reserves (+ toevoeging, − onttrekking)", t.reserves_cents),
                            (f"{TE_DEKKEN} (lasten − baten + mutatie reserves)", t.te_dekken_cents)):
        text(ws, row, 2, label, font=BOLD)
        for col, y in enumerate(years, start=4):
            money(ws, row, col, per_year[y], bold=True)
        row += 1
    text(ws, row + 1, 1, "De toelichting per bedrag (de mutaties met hun reden) staat als opmerking op de jaarbladen.",
         font=Font(italic=True))
    widths(ws, 40, 55, 10, *(18 for _ in years))


def documents_sheet(ws: Worksheet, snapshot: Snapshot) -> None:
    heads = ("document", "soort", "titel", "datum", "status", "besluit", "positie", "vastgelegd (UTC)", "door",
             "vastgesteld op", "ingetrokken op", "reden intrekking")
    table(ws, 1, heads, freeze_col=2)
    for r, d in enumerate(snapshot.documents, start=2):
        values: tuple[Any, ...] = (d.document, d.kind, d.title, day(d.date), status_word(d.status), d.decision,
                                   d.position, moment(d.recorded_at), d.actor, day(d.adopted_date),
                                   day(d.withdrawn_date), d.withdrawn_reason)
        for col, value in enumerate(values, start=1):
            text(ws, r, col, value)
        for col in (4, 10, 11):
            ws.cell(row=r, column=col).number_format = DATE_FORMAT
        ws.cell(row=r, column=8).number_format = DATETIME_FORMAT
    autofilter(ws, 1, len(heads), len(snapshot.documents) + 1)
    widths(ws, 22, 20, 40, 12, 13, 40, 8, 20, 12, 14, 14, 40)


def mutations_sheet(ws: Worksheet, snapshot: Snapshot) -> None:
    heads = ("positie", "mutatie", "document", "soort document", "status", "soort", "regels", "jaren", "bedrag",
             "structureel", "reden", "referentie", "corrigeert", "datum document", "vastgelegd (UTC)")
    table(ws, 1, heads, freeze_col=3)
    for r, m in enumerate(snapshot.mutations, start=2):
        values = (m.position, f"{m.document}/{m.seq}", m.document, m.document_kind, status_word(m.status), m.kind,
                  ", ".join(m.lines), m.years, to_decimal(m.amount_cents or 0), "ja" if m.structural else "nee",
                  m.reason, m.reference, m.corrects or "", day(m.date), moment(m.recorded_at))
        for col, value in enumerate(values, start=1):
            text(ws, r, col, value)
        ws.cell(row=r, column=9).number_format = EURO_FORMAT
        ws.cell(row=r, column=14).number_format = DATE_FORMAT
        ws.cell(row=r, column=15).number_format = DATETIME_FORMAT
        if m.reason.strip():
            ws.cell(row=r, column=2).comment = comment(one_line(m.reason))
    autofilter(ws, 1, len(heads), len(snapshot.mutations) + 1)
    widths(ws, 8, 20, 20, 18, 13, 14, 40, 12, 16, 11, 60, 16, 16, 14, 20)


def legs_sheet(ws: Worksheet, snapshot: Snapshot) -> None:
    """A row per mutation, leg and year: a shift's lines side by side, and a mutation over
    several years with its amount in each."""
    heads = ("positie", "mutatie", "soort", "status", "regel", "naam", "jaar", "bedrag", "structureel", "reden")
    table(ws, 1, heads, freeze_col=3)
    r = 2
    for m in snapshot.mutations:
        for leg in m.legs:
            for year, cents in sorted(leg.amounts_cents.items(), key=lambda x: int(x[0])):
                values = (m.position, f"{m.document}/{m.seq}", m.kind, status_word(m.status), leg.line,
                          snapshot.line_names.get(leg.line, ""), int(year), to_decimal(cents),
                          "ja" if m.structural else "nee", one_line(m.reason))
                for col, value in enumerate(values, start=1):
                    text(ws, r, col, value)
                ws.cell(row=r, column=8).number_format = EURO_FORMAT
                r += 1
    autofilter(ws, 1, len(heads), r - 1)
    widths(ws, 8, 20, 14, 13, 36, 50, 8, 16, 11, 60)


def reserves_sheet(ws: Worksheet, snapshot: Snapshot) -> None:
    """The verloopoverzicht reserves: per reserve and year a row 'verloop' (begin, toevoegingen,
    onttrekkingen, eind), and under it a row per mutation that moved the reserve."""
    heads = ("Eenheid", "Reserve", "Jaar", "Regel", "Beginsaldo", "Toevoegingen", "Onttrekkingen", "Eindsaldo",
             "Mutatie", "Document", "Status", "Reden", "Referentie", "Structureel uit")
    text(ws, 1, 1, title_text(snapshot, f"Verloop reserves {snapshot.show.organisation}"), font=Font(bold=True, size=13))
    table(ws, 3, heads, freeze_col=4)
    r = 4
    for y in snapshot.reserves:
        text(ws, r, 1, y.unit_name, font=BOLD)
        text(ws, r, 2, y.name, font=BOLD)
        text(ws, r, 3, y.year, font=BOLD)
        text(ws, r, 4, "verloop", font=BOLD)
        for col, cents in enumerate((y.opening_cents, y.toevoegingen_cents, y.onttrekkingen_cents, y.closing_cents),
                                    start=5):
            money(ws, r, col, cents, bold=True)
        r += 1
        for m in y.documents:
            for col, value in enumerate((y.unit_name, y.name, y.year, m.movement), start=1):
                text(ws, r, col, value)
            money(ws, r, 6 if m.amount_cents > 0 else 7, m.amount_cents)
            for col, value in enumerate((m.mutation, m.document, status_word(m.status), one_line(m.reason),
                                         m.reference, m.carried_from), start=9):
                text(ws, r, col, value)
            r += 1
    if not snapshot.reserves:
        text(ws, r, 1, "geen reserves (regels van de soort reserve) op dit punt")
        r += 1
    autofilter(ws, 3, len(heads), r - 1)
    widths(ws, 36, 36, 8, 13, 16, 16, 16, 16, 22, 20, 13, 60, 16, 14)
