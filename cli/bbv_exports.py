"""The BBV overviews in the exports, in Dutch like the rest of them: xlsx sheets (Baten en
lasten, Incidenteel, Structureel saldo) and sections of the HTML report, one column or table
per year exported. Only for a ledger with programma's or an overheidslaag, and only when the
whole begroting is exported (not one unit or line)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

    from cli.exports import Snapshot
    from projections.bbv_answers import BbvOverview

PARTS = {"algemene_dekkingsmiddelen": "Algemene dekkingsmiddelen", "overhead": "Overhead",
         "vpb": "Vennootschapsbelasting (Vpb)", "onvoorzien": "Onvoorzien"}


def overviews(snapshot: Snapshot) -> list[BbvOverview]:
    """The overview of each year exported, or none when the ledger has no BBV classification."""
    from projections.bbv import Bbv

    bbv = Bbv(snapshot.ledger.views)
    if snapshot.unit is not None or not (bbv.programma_names(snapshot.at) or bbv.overheidslaag()):
        return []
    return [bbv.overview(y, snapshot.at, adopted_only=snapshot.adopted_only) for y in snapshot.years]


def rows(o: BbvOverview) -> list[tuple[str, int | None, int | None, int]]:
    """The overzicht van baten en lasten as (label, lasten, baten, saldo) rows."""
    out: list[tuple[str, int | None, int | None, int]] = [
        (f"Programma {r.programma} {r.name}".strip(), r.lasten_cents, r.baten_cents, r.saldo_cents) for r in o.programmas]
    out += [(f"waarvan {PARTS.get(p.part, p.part)} (taakveld {', '.join(p.taakvelden) or '-'})", p.lasten_cents,
             p.baten_cents, p.saldo_cents) for p in o.apart]
    if o.contributions_cents is not None:
        out.append(("Bijdragen deelnemers", None, o.contributions_cents, o.contributions_cents))
    out.append(("Saldo van baten en lasten", None, None, o.saldo_van_baten_en_lasten_cents))
    for r in o.programmas:
        if r.toevoegingen_cents or r.onttrekkingen_cents:
            out.append((f"Reserves {r.programma}: toevoegingen (lasten) / onttrekkingen (baten)", r.toevoegingen_cents,
                        r.onttrekkingen_cents, r.onttrekkingen_cents - r.toevoegingen_cents))
    out.append(("Geraamd resultaat", None, None, o.geraamd_resultaat_cents))
    return out


def add_sheets(wb: Workbook, snapshot: Snapshot) -> None:
    from openpyxl.styles import Font

    from cli.workbook import BOLD, money, table, text, title_text, widths

    found = overviews(snapshot)
    if not found:
        return
    ws = wb.create_sheet("Baten en lasten")
    text(ws, 1, 1, title_text(snapshot, f"Overzicht van baten en lasten {snapshot.show.organisation}"),
         font=Font(bold=True, size=13))
    table(ws, 3, ("Jaar", "Omschrijving", "Lasten", "Baten", "Saldo"), freeze_col=3)
    r = 4
    for o in found:
        for label, lasten, baten, saldo in rows(o):
            bold = not label.startswith(("Programma", "waarvan", "Reserves"))
            text(ws, r, 1, o.year)
            text(ws, r, 2, label, font=BOLD if bold else Font())
            for col, cents in ((3, lasten), (4, baten), (5, saldo)):
                if cents is not None:
                    money(ws, r, col, cents, bold=bold)
            r += 1
    widths(ws, 8, 60, 16, 16, 16)
    ws = wb.create_sheet("Incidenteel")
    text(ws, 1, 1, title_text(snapshot, "Overzicht incidentele baten en lasten"), font=Font(bold=True, size=13))
    table(ws, 3, ("Jaar", "Programma", "Lasten", "Baten", "Toevoegingen", "Onttrekkingen"), freeze_col=3)
    r = 4
    for o in found:
        for p in o.incidenteel:
            text(ws, r, 1, o.year)
            text(ws, r, 2, f"{p.programma} {p.name}".strip())
            for col, cents in enumerate((p.lasten_cents, p.baten_cents, p.toevoegingen_cents, p.onttrekkingen_cents),
                                        start=3):
                money(ws, r, col, cents)
            r += 1
    widths(ws, 8, 40, 16, 16, 16, 16)
    ws = wb.create_sheet("Structureel saldo")
    text(ws, 1, 1, title_text(snapshot, "Structureel begrotingssaldo"), font=Font(bold=True, size=13))
    table(ws, 3, ("Jaar", "Geraamd resultaat", "Incidenteel saldo", "Structureel saldo", "Structureel evenwicht"))
    for r, o in enumerate(found, start=4):
        text(ws, r, 1, o.year)
        for col, cents in ((2, o.geraamd_resultaat_cents), (3, o.incidenteel_saldo_cents), (4, o.structureel_saldo_cents)):
            money(ws, r, col, cents)
        text(ws, r, 5, "ja" if o.structureel_evenwicht else "nee")
    widths(ws, 8, 18, 18, 18, 20)


def html_sections(snapshot: Snapshot) -> list[str]:
    from cli.report_html import amount

    found = overviews(snapshot)
    if not found:
        return []
    e = html.escape
    out = ["<h2>Overzicht van baten en lasten</h2>"]
    for o in found:
        out.append(f"<table id='baten-en-lasten-{o.year}'><caption>{o.year}</caption><thead><tr><th>Omschrijving</th>"
                   "<th class='amount'>Lasten</th><th class='amount'>Baten</th><th class='amount'>Saldo</th></tr>"
                   "</thead><tbody>")
        for label, lasten, baten, saldo in rows(o):
            total = not label.startswith(("Programma", "waarvan", "Reserves"))
            cells = "".join(f"<td class='amount'>{amount(c) if c is not None else ''}</td>" for c in (lasten, baten, saldo))
            out.append(f"<tr{' class=total' if total else ''}><td>{e(label)}</td>{cells}</tr>")
        out.append("</tbody></table>")
    out.append("<h2>Overzicht incidentele baten en lasten</h2><table id='incidenteel'><thead><tr><th>Jaar</th>"
               "<th>Programma</th><th class='amount'>Lasten</th><th class='amount'>Baten</th>"
               "<th class='amount'>Toevoegingen</th><th class='amount'>Onttrekkingen</th></tr></thead><tbody>")
    for o in found:
        for p in o.incidenteel:
            out.append(f"<tr><td>{o.year}</td><td>{e(f'{p.programma} {p.name}'.strip())}</td>" + "".join(
                f"<td class='amount'>{amount(c)}</td>" for c in (p.lasten_cents, p.baten_cents, p.toevoegingen_cents,
                                                                   p.onttrekkingen_cents)) + "</tr>")
    out.append("</tbody></table><h2>Structureel begrotingssaldo</h2><table id='structureel'><thead><tr><th>Jaar</th>"
               "<th class='amount'>Geraamd resultaat</th><th class='amount'>Incidenteel saldo</th>"
               "<th class='amount'>Structureel saldo</th><th>Structureel evenwicht</th></tr></thead><tbody>")
    for o in found:
        out.append(f"<tr><td>{o.year}</td><td class='amount'>{amount(o.geraamd_resultaat_cents)}</td>"
                   f"<td class='amount'>{amount(o.incidenteel_saldo_cents)}</td>"
                   f"<td class='amount'>{amount(o.structureel_saldo_cents)}</td>"
                   f"<td>{'ja' if o.structureel_evenwicht else 'nee'}</td></tr>")
    out.append("</tbody></table>")
    return out
