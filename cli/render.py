"""Turning answers into rich renderables, for people (``ledger.answers`` turns the same
answers into JSON, for machines). The only module that imports rich. Amounts arrive as
integer cents."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cli.charts import waterfall_bars
from projections.notation import euro, percent

if TYPE_CHECKING:
    from projections.answers import (
        Balance,
        Diff,
        DiffRow,
        Explanation,
        ShowTable,
        Step,
    )


PIPED_WIDTH = 200  # output that goes to a file or a pipe, when COLUMNS does not say


def console(stderr: bool = False) -> Console:
    """Stored text is printed as it is: never read as rich markup ("[/x]") or emoji codes
    (":x:"). The width is COLUMNS when set, else the terminal's; output to a pipe or a file
    is not cut at 80 columns."""
    out = Console(stderr=stderr, highlight=False, markup=False, emoji=False)
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out.width = PIPED_WIDTH
    return out


def plain(value: Any) -> Text:
    """Text from a document, a key, an option or the user, as a renderable that rich shows
    literally whatever console renders it (a ``str`` cell or title would be read as markup)."""
    return Text("" if value is None else str(value))


def progress_bar(description: str) -> tuple[Any, Any]:
    """A transient progress bar on stderr and the callback that moves it: (done, total)."""
    from rich.progress import Progress

    progress = Progress(console=console(stderr=True), transient=True)
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def money(cents: int | None, *, bold: bool = False, symbol: bool = True) -> Text:
    if cents is None:
        return Text("")
    style = "red" if cents < 0 else ""
    if bold:
        style = (style + " bold").strip()
    return Text(euro(cents, symbol=symbol), style=style)


# ------------------------------------------------------------------ show


def show_table(data: ShowTable, *, title: str, width: int = 80) -> Table:
    """Units and their lines with an amount column per year; amounts never break. Lines show
    their name and the id commands take (and the type when it is not lasten); when ``width``
    leaves too little room for names beside the years, lines show their id alone and units
    their name on a row of its own (``explain`` gives any line's name)."""
    years = data.years
    widest = max([len(euro(a)) for t in ("lasten", "baten", "te_dekken") for a in getattr(data.totals, f"{t}_cents").values()]
                 + [len(euro(a)) for line in data.lines for a in line.years_cents.values()] + [4])
    room = width - len(years) * (widest + 2)  # an amount column takes its padding and a separator
    names = room >= 30
    # Narrow: every amount is in euros, so the € goes to the title and ids stand for names.
    sign = room >= 24
    if not sign:
        title += " (amounts in €)"
    table = Table(title=plain(title), title_justify="left", show_lines=False, header_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1), show_edge=False)
    table.add_column("unit / line (id)" if names else "unit / line id", overflow="fold")
    for y in years:
        table.add_column(str(y), justify="right", no_wrap=True)
    by_unit = data.lines_by_unit()
    any_pending = False
    for u in data.units:
        head = Text(u.unit_name, style="bold")
        head.append(f" ({u.unit})", style="dim")
        table.add_row(head)
        for line in by_unit.get(u.unit, []):
            cells = []
            for y in years:
                cell = money(line.years_cents[y], symbol=sign)
                if line.pending_cents.get(y):
                    cell.append(" *", style="yellow")
                    any_pending = True
                cells.append(cell)
            kind = "" if line.type == "lasten" else line.type
            if names:
                name = plain(f"  {line.line_name}")
                name.append(f" ({line.line}{', ' + kind if kind else ''})", style="dim")
            else:
                name = plain(f"  {line.line}")
                name.append(f" {kind}".rstrip(), style="dim")
            table.add_row(name, *cells)
        for bucket, label in (("lasten", "Totaal lasten"), ("baten", "Totaal baten"), ("reserves", "Mutatie reserves")):
            amounts = getattr(u, f"{bucket}_cents")
            if any(amounts.values()):
                table.add_row(Text(f"  {label}", style="italic"), *[money(amounts[y], bold=True, symbol=sign) for y in years])
        table.add_section()
    for key, label in (("lasten", "Lasten"), ("baten", "Baten"), ("saldo", "Saldo (baten − lasten)"),
                       ("reserves", "Mutatie reserves (+ toevoeging, − onttrekking)"),
                       ("te_dekken", "Te dekken door deelnemers")):
        amounts = getattr(data.totals, f"{key}_cents")
        table.add_row(Text(label, style="bold"), *[money(amounts[y], bold=True, symbol=sign) for y in years])
    if any_pending:
        table.caption = "* includes proposed (not yet adopted) documents; use --adopted-only to leave them out"
    return table


# ------------------------------------------------------------------ explain


def _step_note(s: Step, year: int) -> Text:
    notes = Text()
    if s.corrects:
        notes.append(f"corrects {s.corrects}", style="magenta")
    if s.carried_from is not None:
        notes.append(("; " if notes else "") + f"structural, carried in from {s.carried_from}", style="cyan")
    if s.other_legs:
        legs = ", ".join(f"{g.line} {euro(g.amounts_cents.get(str(year), next(iter(g.amounts_cents.values()))))}"
                         for g in s.other_legs)
        notes.append(("; " if notes else "") + f"other legs: {legs}", style="blue")
    if s.indexation:
        i = s.indexation
        notes.append(("; " if notes else "") + f"{percent(i.rate_percent)} of {euro(i.base_cents)} = {euro(i.outcome_cents)}",
                     style="green")
    return notes


def explain_table(result: Explanation) -> Table:
    title = f"{result.name or result.figure} — {result.year}: {euro(result.amount_cents)}"
    table = Table(title=plain(title), title_justify="left", header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("document", max_width=30, overflow="fold")
    table.add_column("kind", overflow="fold")
    table.add_column("reason (reference)", ratio=1, overflow="fold")
    table.add_column("amount", justify="right", no_wrap=True)
    table.add_column("running total", justify="right", no_wrap=True)
    earlier = result.brought_forward
    if earlier is not None:
        table.add_row("", Text(f"{earlier.mutations} earlier steps", style="italic"), "brought forward",
                      Text("use --all to list them", style="dim"), money(earlier.amount_cents),
                      money(earlier.amount_cents, bold=True))
    for s in result.steps:
        doc = Text(f"{s.document}/{s.seq}")
        doc.append(f"\n{s.title}\n{s.document_kind}, {s.status}\neffective {s.date}\nrecorded {s.recorded_at[:10]}",
                   style="dim")
        reason = Text(s.reason or "—")
        if s.reference:
            reason.append(f" ({s.reference})", style="dim")
        note = _step_note(s, result.year)
        if note:
            reason.append("\n")
            reason.append_text(note)
        table.add_row(str(s.position), doc, plain(s.kind), reason, money(s.amount_cents), money(s.running_total_cents, bold=True))
    if result.reserve is not None:
        r = result.reserve
        rows = (("  opening balance", r.opening_cents), ("+ toevoegingen", r.toevoegingen_cents),
                ("+ onttrekkingen", r.onttrekkingen_cents), ("= closing balance", r.closing_cents))
        table.caption = f"the reserve in {result.year}:\n" + "\n".join(f"{label:<18}{euro(c):>14}" for label, c in rows)
        table.caption_justify = "left"
    return table


def explain_tree(result: Explanation) -> Tree:
    def label(r: Explanation) -> Text:
        t = Text(f"{r.name or r.figure}: ", style="bold")
        t.append_text(money(r.amount_cents))
        if r.baten_cents is not None:
            t.append(f"  (lasten {euro(r.lasten_cents or 0)}, baten {euro(r.baten_cents)}, "
                     f"saldo {euro(r.saldo_cents or 0)})", style="dim")
        t.append(f"  [{r.mutation_count()} steps]", style="dim")
        return t

    tree = Tree(label(result))

    def grow(node: Tree, r: Explanation) -> None:
        for c in r.children or ():
            grow(node.add(label(c)), c)

    grow(tree, result)
    return tree


# ------------------------------------------------------------------ waterfall


def waterfall_text(result: Explanation, width: int = 40) -> Group:
    bars = waterfall_bars(result.steps)
    levels, level = [], 0
    for _, delta in bars:
        levels.append((level, level + delta))
        level += delta
    lo = min([0] + [min(a, b) for a, b in levels])
    hi = max([0] + [max(a, b) for a, b in levels]) or 1
    scale = width / (hi - lo or 1)
    table = Table(title=plain(f"Waterfall {result.name or result.figure} {result.year}"), title_justify="left",
                  show_header=False, box=None)
    for justify in ("left", "left", "right"):
        table.add_column(justify=justify)
    for (doc, delta), (a, b) in zip(bars, levels, strict=True):
        start, end = sorted(((a - lo) * scale, (b - lo) * scale))
        cells = int(round(start)), max(1, int(round(end - start)))
        bar = Text(" " * cells[0]) + Text("█" * cells[1], style="green" if delta >= 0 else "red")
        table.add_row(plain(doc), bar, money(delta))
    total = Text(" " * int(round((min(0, level) - lo) * scale))) + Text(
        "█" * max(1, int(round(abs(level) * scale))), style="bold blue")
    table.add_row(Text("= total", style="bold"), total, money(level, bold=True))
    return Group(table)


# ------------------------------------------------------------------ diff, history, record


def diff_table(result: Diff, *, title: str) -> Group:
    """Per changed line: its name, the change in each year side by side, and the mutations
    that caused it, each once. Names and reasons wrap at any width; amounts never break."""
    parts: list[Any] = [Text(title, style="bold")]
    if not result.changes:
        return Group(*parts, Text("no figure changed"))
    years = sorted({c.year for c in result.changes})
    lines: dict[tuple[str, str], list[DiffRow]] = {}
    for c in result.changes:
        lines.setdefault((c.unit, c.line), []).append(c)
    for (unit, line), rows in lines.items():
        label = Text(f"\n{rows[0].unit_name}/{rows[0].line_name}", style="bold")
        label.append(f" ({unit}/{line})", style="dim")
        parts.append(label)
        changes = Table.grid(padding=(0, 2))
        by_year = {r.year: r for r in rows}
        shown = [y for y in years if y in by_year]
        for _ in shown:
            changes.add_column(justify="right", no_wrap=True)
        changes.add_row(*(Text(str(y), style="dim") for y in shown))
        changes.add_row(*(money(by_year[y].change_cents, bold=True) for y in shown))
        parts.append(Padding(changes, (0, 0, 0, 2), expand=False))
        for r in rows:
            if r.earlier_causes_cents is not None:
                parts.append(Text(f"  ← earlier causes bring {euro(r.earlier_causes_cents)} in {r.year} forward "
                                  "(--all-causes lists them)", style="dim italic"))
        # Each mutation once, with what it moved in each year (its legs on this line summed).
        moved: dict[str, tuple[Any, dict[int, int]]] = {}
        for r in rows:
            for x in r.causes:
                per_year = moved.setdefault(x.mutation, (x, {}))[1]
                per_year[r.year] = per_year.get(r.year, 0) + x.amount_cents
        for x, per_year in moved.values():
            cause = Text(f"  ← {x.mutation} {x.kind}: {_per_year(per_year)}", style="dim")
            cause.append_text(Text("\n    ").append_text(plain(x.reason or "—")))
            parts.append(cause)
    return Group(*parts)


def _per_year(per_year: dict[int, int]) -> str:
    """A mutation's amounts per year in brief: one amount over consecutive years is said once."""
    years = sorted(per_year)
    if len(set(per_year.values())) == 1 and len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{euro(per_year[years[0]])} a year, {years[0]}–{years[-1]}"
    return ", ".join(f"{euro(per_year[year])} in {year}" for year in years)


def balance_view(result: Balance) -> Group:
    head = Table(title=f"Structureel evenwicht {result.year}", title_justify="left", show_header=False)
    head.add_column()
    head.add_column(justify="right", no_wrap=True)
    head.add_row("Structurele baten", money(result.structural_baten_cents))
    if result.structural_contributions_cents is not None:
        head.add_row("  waarvan bijdragen deelnemers", money(result.structural_contributions_cents))
    head.add_row("Structurele lasten", money(result.structural_lasten_cents))
    head.add_row(Text("Structureel saldo", style="bold"), money(result.structural_saldo_cents, bold=True))
    head.add_row("Incidentele baten", money(result.incidental_baten_cents))
    if result.incidental_contributions_cents is not None:
        head.add_row("  waarvan bijdragen deelnemers", money(result.incidental_contributions_cents))
    head.add_row("Incidentele lasten", money(result.incidental_lasten_cents))
    head.add_row("Mutatie reserves", money(result.reserves_cents))
    verdict = (Text("in evenwicht: het structureel saldo (structurele baten − lasten − reservemutaties) is niet negatief",
                    style="green") if result.in_balance
               else Text("NIET in evenwicht: het structureel saldo (structurele baten − lasten − reservemutaties) is "
                         "negatief", style="bold red"))
    items = Table(title="Incidentele posten", title_justify="left", header_style="bold")
    for col in ("mutation", "kind", "line", "amount", "reason"):
        items.add_column(col, justify="right" if col == "amount" else "left")
    earlier = result.earlier_incidental
    if earlier is not None:
        for kind, cents in (("lasten", earlier.lasten_cents), ("baten", earlier.baten_cents),
                            ("reserve", earlier.reserves_cents)):
            if cents:
                items.add_row(Text(f"earlier {kind}", style="italic"), "", "", money(cents),
                              Text("use --all to list them", style="dim"))
    for i in result.incidental:
        items.add_row(plain(i.mutation), plain(i.kind), plain(i.line), money(i.amount_cents), plain(i.reason))
    if result.note:
        verdict = Text.assemble(verdict, "\n", Text(result.note, style="italic"))
    return Group(head, verdict, items)


def rows_table(columns: list[str], rows: list[tuple]) -> Table:
    table = Table(header_style="bold")
    for c in columns:
        table.add_column(plain(c))
    for r in rows:
        table.add_row(*[plain(v) for v in r])
    table.caption = f"{len(rows)} rows"
    return table
