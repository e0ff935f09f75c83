"""The HTML audit report, self-contained and in Dutch: the begroting with every amount and
total a link to where it comes from (a line's or a unit's lasten trail, or the make-up of a
total), each of those sections with a link back to its figure, the documents, the verloop of
the reserves and a waterfall per unit. Every text from a document is escaped."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from cli import bbv_exports
from cli.exports import MAX_REPORT_STEPS, Snapshot, explain_all, status_word
from ledger.errors import LedgerError
from projections.answers import Figure, ShowLine, Step
from projections.notation import euro

e = html.escape

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
td.amount, th.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.unit td { font-weight: bold; background: #f4f4f4; }
tr.earlier td { font-style: italic; color: #555; }
tr.total td { font-weight: bold; }
tr.grand td { font-weight: bold; border-top: 2px solid #999; }
.neg { color: #c62828; }
.trail { display: none; border: 1px solid #999; padding: .5em 1em; margin: 1em 0; background: #fffbe6; }
.trail:target { display: block; }
td:target { outline: 2px solid #1565c0; }
code { background: #f0f0f0; padding: 0 .3em; }
"""

TYPE_WORDS = {"lasten": "lasten", "baten": "baten", "reserve": "mutatie reserves"}


def amount(cents: int) -> str:
    return f'<span class="{"neg" if cents < 0 else ""}">{e(euro(cents))}</span>'


def cell_id(anchor: str) -> str:
    """The id of a figure's cell in the table, which its section links back to."""
    return f"cel-{anchor}"


def figure_cell(anchor: str, cents: int, link_class: str = "figure") -> str:
    return (f"<td class='amount' id='{e(cell_id(anchor))}'><a class='{link_class}' href='#{e(anchor)}'>"
            f"{amount(cents)}</a></td>")


def back_link(anchor: str) -> str:
    return f"<p><a class='terug' href='#{e(cell_id(anchor))}'>terug naar de tabel</a></p>"


def step_rows(steps: list[Step], earlier: int, earlier_cents: int, explain: str, *, lines: bool = False) -> str:
    """The trail's rows: the steps brought forward as one, then one row per step (with the line
    it moved, in the trail of a unit or the total)."""
    rows = (f"<tr class='earlier'><td colspan='5'>{earlier} eerdere stappen, samen "
            f"(alle: <code>{e(explain)}</code>)</td>"
            f"<td class='amount'>{amount(earlier_cents)}</td><td class='amount'>{amount(earlier_cents)}</td>"
            "</tr>") if earlier else ""
    rows += "".join(
        f"<tr><td>{s.position}</td><td>{e(s.document)}/{s.seq}<br><small>{e(s.title)}, {e(s.document_kind)}, "
        f"{e(status_word(s.status))}</small></td><td>{e(s.kind)}"
        f"{' (corrigeert ' + e(s.corrects) + ')' if s.corrects else ''}"
        f"{' (structureel uit ' + str(s.carried_from) + ')' if s.carried_from else ''}"
        f"{'<br><small>' + e(s.unit + '/' + s.line) + '</small>' if lines else ''}</td>"
        f"<td>{e(s.reason)}</td><td>{e(s.reference)}</td><td class='amount'>{amount(s.amount_cents)}</td>"
        f"<td class='amount'>{amount(s.running_total_cents)}</td></tr>" for s in steps)
    return rows


def trail_section(anchor: str, heading: str, rows: str) -> str:
    return (f"<section class='trail' id='{e(anchor)}'><h3>{heading}</h3>{back_link(anchor)}<table><thead><tr>"
            "<th>#</th><th>document</th><th>soort</th><th>reden</th><th>referentie</th><th class='amount'>bedrag</th>"
            f"<th class='amount'>cumulatief</th></tr></thead><tbody>{rows or '<tr><td colspan=7>geen mutaties</td></tr>'}"
            "</tbody></table></section>")


def makeup_section(anchor: str, heading: str, parts: list[tuple[str, str, int]], result: tuple[str, int]) -> str:
    """A total's make-up: each part (sign, label linking to its own figure, amount), then the
    result; the parts link to the trails they come from."""
    rows = "".join(f"<tr><td>{e(sign)}</td><td>{label}</td><td class='amount'>{amount(cents)}</td></tr>"
                   for sign, label, cents in parts)
    rows += (f"<tr class='total'><td>=</td><td>{e(result[0])}</td><td class='amount'>{amount(result[1])}</td></tr>")
    return (f"<section class='trail' id='{e(anchor)}'><h3>{heading}</h3>{back_link(anchor)}"
            f"<table><tbody>{rows}</tbody></table></section>")


def line_anchor(line: ShowLine, year: int) -> str:
    return f"trail-{line.unit}-{line.line}-{year}"


def link(anchor: str, label: str) -> str:
    return f"<a href='#{e(anchor)}'>{e(label)}</a>"


def write_report(snapshot: Snapshot, path: str) -> None:
    views = snapshot.ledger.views
    show, years = snapshot.show, snapshot.years
    org = e(show.organisation)
    try:
        digest = snapshot.ledger.digest()
    except LedgerError as err:
        digest = f"niet beschikbaar: {err}"
    out = [f"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Auditrapport begroting {org}</title>"
           f"<style>{CSS}</style></head><body>",
           f"<h1>Auditrapport begroting {org}</h1>",
           f"<p>Opgemaakt {e(datetime.now(UTC).strftime('%d-%m-%Y %H:%M UTC'))}; stand na positie "
           f"{show.position}{' (alleen vastgestelde documenten)' if snapshot.adopted_only else ''}.</p>",
           f"<p>Vingerafdruk van de hashketen (digest): <code id='digest'>{e(digest)}</code> "
           f"(controleer met <code>begroting verify --digest {e(digest)}</code>)</p>"]
    trails: list[str] = []
    by_unit = show.lines_by_unit()
    width = 2 + len(years)
    out.append("<h2>Begroting</h2><table id='begroting'><thead><tr><th>Eenheid / regel</th><th>soort</th>"
               + "".join(f"<th class='amount'>{y}</th>" for y in years) + "</tr></thead><tbody>")
    for unit in show.units:
        lines = by_unit.get(unit.unit, [])
        out.append(f"<tr class='unit'><td colspan='{width}'>{e(unit.unit_name)}</td></tr>")
        for line in lines:
            cells = []
            for y in years:
                anchor = line_anchor(line, y)
                cells.append(figure_cell(anchor, line.years_cents[y]))
                steps, earlier, earlier_cents = snapshot.trail(line.unit, line.line, y, MAX_REPORT_STEPS)
                trails.append(trail_section(
                    anchor, f"{e(unit.unit_name)} / {e(line.line_name)} {y}: {amount(line.years_cents[y])}",
                    step_rows(steps, earlier, earlier_cents, explain_all(line.unit, line.line, y))))
            out.append(f"<tr><td>{e(line.line_name)}</td><td>{e(line.type)}</td>{''.join(cells)}</tr>")
        for kind, per_year in (("lasten", unit.lasten_cents), ("baten", unit.baten_cents),
                               ("reserve", unit.reserves_cents)):
            if kind == "lasten" or any(x.type == kind for x in lines):
                cells = []
                for y in years:
                    anchor = f"eenheid-{unit.unit}-{kind}-{y}"
                    cells.append(figure_cell(anchor, per_year[y], "total"))
                    heading = f"{e(unit.unit_name)}: totaal {TYPE_WORDS[kind]} {y}: {amount(per_year[y])}"
                    if kind == "lasten":
                        steps, earlier, earlier_cents = views.trail(
                            Figure("unit", unit.unit), y, snapshot.at, adopted_only=snapshot.adopted_only,
                            limit=MAX_REPORT_STEPS)
                        trails.append(trail_section(anchor, heading, step_rows(
                            steps, earlier, earlier_cents, f"begroting explain {unit.unit} --year {y}", lines=True)))
                    else:
                        parts = [("+", link(line_anchor(x, y), x.line_name), x.years_cents[y]) for x in lines
                                 if x.type == kind]
                        trails.append(makeup_section(anchor, heading, parts, (f"totaal {TYPE_WORDS[kind]}", per_year[y])))
                out.append(f"<tr class='total'><td>Totaal {TYPE_WORDS[kind]}</td><td></td>{''.join(cells)}</tr>")
    out.extend(grand_totals(snapshot, trails))
    out.append("</tbody></table>")
    out.append("<h2>Verantwoording per bedrag</h2><p>Klik op een bedrag of een totaal in de tabel om te zien waar het "
               "vandaan komt; elke toelichting heeft een link terug naar de tabel.</p>")
    out.extend(trails)
    out.append("<h2>Documenten</h2><table id='documenten'><thead><tr><th>#</th><th>document</th><th>soort</th><th>titel</th>"
               "<th>datum</th><th>status</th><th>besluit</th></tr></thead><tbody>")
    for d in snapshot.documents:
        out.append(f"<tr><td>{d.position}</td><td>{e(d.document)}</td><td>{e(d.kind)}</td><td>{e(d.title)}</td>"
                   f"<td>{e(d.date)}</td><td>{e(status_word(d.status))}</td><td>{e(d.decision or '')}</td></tr>")
    out.append("</tbody></table>")
    out.extend(reserves_section(snapshot))
    out.extend(bbv_exports.html_sections(snapshot))
    out.append("<h2>Waterval per eenheid</h2>")
    year = years[0] if years else None
    for unit in show.units:
        if year is None:
            break
        steps = views.steps(Figure("unit", unit.unit), year, snapshot.at, adopted_only=snapshot.adopted_only)
        out.append(f"<figure>{_svg_waterfall(f'{unit.unit_name} {year} (lasten)', steps)}</figure>")
    out.append("</body></html>")
    Path(path).write_text("\n".join(out), encoding="utf-8")


def grand_totals(snapshot: Snapshot, trails: list[str]) -> list[str]:
    """Lasten, Baten, Saldo, Mutatie reserves and Te dekken, each a link: lasten to its
    trail, the others to their make-up, so te dekken visibly follows from the saldo."""
    t, years = snapshot.show.totals, snapshot.years
    rows = {"lasten": ("Lasten", t.lasten_cents), "baten": ("Baten", t.baten_cents),
            "saldo": ("Saldo (baten − lasten)", t.saldo_cents),
            "reserves": ("Mutatie reserves (+ toevoeging, − onttrekking)", t.reserves_cents),
            "te-dekken": ("Te dekken door deelnemers (− saldo + mutatie reserves)", t.te_dekken_cents)}
    out = []
    for key, (label, per_year) in rows.items():
        cells = []
        for y in years:
            anchor = f"totaal-{key}-{y}"
            cells.append(figure_cell(anchor, per_year[y], "total"))
            heading = f"{e(label)} {y}: {amount(per_year[y])}"
            if key == "lasten":
                steps, earlier, earlier_cents = snapshot.ledger.views.trail(
                    Figure("total"), y, snapshot.at, adopted_only=snapshot.adopted_only, limit=MAX_REPORT_STEPS)
                trails.append(trail_section(anchor, heading, step_rows(
                    steps, earlier, earlier_cents, f"begroting explain --total --year {y}", lines=True)))
                continue
            if key in ("baten", "reserves"):
                kind = "baten" if key == "baten" else "reserve"
                field = "baten_cents" if key == "baten" else "reserves_cents"
                parts = [("+", link(f"eenheid-{u.unit}-{kind}-{y}", f"{u.unit_name}: totaal {TYPE_WORDS[kind]}"),
                          getattr(u, field)[y]) for u in snapshot.show.units if getattr(u, field)[y]]
            elif key == "saldo":
                parts = [("+", link(f"totaal-baten-{y}", "Baten"), t.baten_cents[y]),
                         ("−", link(f"totaal-lasten-{y}", "Lasten"), t.lasten_cents[y])]
            else:
                parts = [("−", link(f"totaal-saldo-{y}", "Saldo (baten − lasten)"), t.saldo_cents[y]),
                         ("+", link(f"totaal-reserves-{y}", "Mutatie reserves"), t.reserves_cents[y])]
            trails.append(makeup_section(anchor, heading, parts, (label, per_year[y])))
        out.append(f"<tr class='grand' id='rij-{key}'><td>{e(label)}</td><td></td>{''.join(cells)}</tr>")
    return out


def reserves_section(snapshot: Snapshot) -> list[str]:
    """The verloopoverzicht reserves: per reserve a row per year and under it the mutations."""
    out = ["<h2>Verloop reserves</h2>"]
    if not snapshot.reserves:
        return out + ["<p>Geen reserves (regels van de soort reserve) op dit punt.</p>"]
    out.append("<table id='reserves'><thead><tr><th>reserve / jaar / mutatie</th><th class='amount'>beginsaldo</th>"
               "<th class='amount'>toevoegingen</th><th class='amount'>onttrekkingen</th>"
               "<th class='amount'>eindsaldo</th></tr></thead><tbody>")
    current = None
    for y in snapshot.reserves:
        if (y.unit, y.line) != current:
            current = (y.unit, y.line)
            out.append(f"<tr class='unit'><td colspan='5'>{e(y.unit_name)} / {e(y.name)}</td></tr>")
        out.append(f"<tr class='reserve total' id='reserve-{e(y.unit)}-{e(y.line)}-{y.year}'><td>{y.year}</td>"
                   f"<td class='amount'>{amount(y.opening_cents)}</td><td class='amount'>{amount(y.toevoegingen_cents)}</td>"
                   f"<td class='amount'>{amount(y.onttrekkingen_cents)}</td>"
                   f"<td class='amount'>{amount(y.closing_cents)}</td></tr>")
        for m in y.documents:
            added, taken = (amount(m.amount_cents), "") if m.amount_cents > 0 else ("", amount(m.amount_cents))
            carried = f"; structureel uit {m.carried_from}" if m.carried_from is not None else ""
            out.append(f"<tr class='movement'><td>&nbsp;&nbsp;{e(m.movement)} {e(m.mutation)} "
                       f"<small>({e(m.title)}, {e(status_word(m.status))}{carried})<br>{e(m.reason)}</small></td>"
                       f"<td></td><td class='amount'>{added}</td><td class='amount'>{taken}</td><td></td></tr>")
    out.append("</tbody></table>")
    return out


def _svg_waterfall(title: str, steps: list[Step]) -> str:
    from cli.charts import waterfall_svg_text

    svg = waterfall_svg_text(title, steps, size=(5, 3.2))
    return svg[svg.index("<svg"):]  # inline: without the XML prologue
