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
from ledger.money import AmountError, parse_cents
from projections.notation import euro, number, percent

if TYPE_CHECKING:
    from ledger.reconcile import Reconciliation
    from projections.answers import (
        Balance,
        Diff,
        DiffRow,
        DocumentView,
        Explanation,
        HistoryRow,
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
        title += " (bedragen in €)"
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
        table.add_row("", Text(f"{earlier.mutations} earlier mutations", style="italic"), "brought forward",
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
    return table


def explain_tree(result: Explanation) -> Tree:
    def label(r: Explanation) -> Text:
        t = Text(f"{r.name or r.figure}: ", style="bold")
        t.append_text(money(r.amount_cents))
        if r.baten_cents is not None:
            t.append(f"  (lasten {euro(r.lasten_cents or 0)}, baten {euro(r.baten_cents)}, "
                     f"saldo {euro(r.saldo_cents or 0)})", style="dim")
        t.append(f"  [{r.mutation_count()} mutations]", style="dim")
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
        for x in {x.mutation: x for r in rows for x in r.causes}.values():
            cause = Text(f"  ← {x.mutation} {x.kind} {euro(x.amount_cents)}: ", style="dim")
            cause.append(plain(x.reason or "—"))
            parts.append(cause)
    return Group(*parts)


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
    verdict = (Text("in evenwicht: structurele lasten ≤ structurele baten", style="green") if result.in_balance
               else Text("NIET in evenwicht: structurele lasten zijn hoger dan structurele baten", style="bold red"))
    items = Table(title="Incidentele posten", title_justify="left", header_style="bold")
    for col in ("mutation", "kind", "line", "amount", "reason"):
        items.add_column(col, justify="right" if col == "amount" else "left")
    for i in result.incidental:
        items.add_row(plain(i.mutation), plain(i.kind), plain(i.line), money(i.amount_cents), plain(i.reason))
    if result.note:
        verdict = Text.assemble(verdict, "\n", Text(result.note, style="italic"))
    return Group(head, verdict, items)


MEASURE_WORDS = {1: "", 1_000: " duizend", 1_000_000: " mln"}


def reconcile_table(result: Reconciliation) -> Table:
    from ledger.reconcile import MEASURES

    table = Table(title=plain(f"Reconciliation with {result.file} (tolerance {number(result.tolerance)})"),
                  title_justify="left", header_style="bold")
    for col in ("row", "figure", "year", "published", "ledger", "difference", "status"):
        table.add_column(col, justify="right" if col in ("published", "ledger", "difference") else "left",
                         no_wrap=col in ("published", "ledger", "difference"))
    style = {"ok": "green", "rounded": "green", "warning": "yellow", "mismatch": "bold red"}
    for r in result.rows:
        published = f"€ {number(r.published)}{MEASURE_WORDS[MEASURES[r.measure]]}"
        table.add_row(str(r.row), plain(r.name or r.figure), str(r.year), published,
                      _decimal_euros(r.ledger), _decimal_euros(r.difference), Text(r.status, style=style[r.status]))
    rounded = sum(r.status == "rounded" for r in result.rows)
    table.caption = (f"{len(result.rows)} rows: {result.mismatches} mismatches, {result.warnings} warnings"
                     + (f", {rounded} agreeing to the precision published" if rounded else ""))
    return table


def _decimal_euros(text: str) -> str:
    """Euros given as decimal text: whole cents as every amount is shown, else every decimal."""
    try:
        return euro(parse_cents(text))
    except AmountError:
        return f"€ {number(text)}"


def document_view(doc: DocumentView) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for label, key in (("Document", "document"), ("Title", "title"), ("Kind", "kind"), ("Date", "date"),
                       ("Status", "status"), ("Decision", "decision"), ("Recorded", "recorded_at"),
                       ("By", "actor"), ("Position", "position"), ("Source", "source")):
        head.add_row(label, plain(getattr(doc, key) or "—"))
    parts: list[Any] = [head]
    if doc.lifecycle:
        life = Table(title="Lifecycle", title_justify="left", header_style="bold")
        for col in ("#", "event", "date", "decision / reason", "recorded"):
            life.add_column(col)
        for e in doc.lifecycle:
            life.add_row(str(e.position), e.event, plain(e.date), plain(e.decision), e.recorded_at[:19])
        parts.append(life)
    muts = Table(title="Mutations", title_justify="left", header_style="bold")
    for col in ("#", "kind", "legs", "reason / reference"):
        muts.add_column(col)
    for m in doc.mutations:
        legs = "\n".join(f"{g.line} " + ", ".join(f"{y}: {euro(a)}" for y, a in g.amounts_cents.items()) for g in m.legs)
        reason = Text(m.reason or "—")
        if m.reference:
            reason.append(f" ({m.reference})", style="dim")
        if m.corrects:
            reason.append(f" corrects {m.corrects}", style="magenta")
        muts.add_row(str(m.seq), m.kind + (" (structureel)" if m.structural else ""), plain(legs), reason)
    parts.append(muts)
    if doc.corrected_by:
        later = Table(title="Corrected later by", title_justify="left", header_style="bold")
        for col in ("mutation", "corrects", "amount", "reason"):
            later.add_column(col)
        for c in doc.corrected_by:
            later.add_row(plain(f"{c.document}/{c.seq}"), plain(c.corrects), money(c.amount_cents), plain(c.reason))
        parts.append(later)
    years = sorted({y for per_year in doc.effect_cents.values() for y in per_year})
    effect = Table(title="Net effect per unit", title_justify="left", header_style="bold")
    effect.add_column("unit")
    for y in years:
        effect.add_column(str(y), justify="right")
    for unit, per_year in doc.effect_cents.items():
        effect.add_row(plain(unit), *[money(per_year.get(y, 0)) for y in years])
    parts.append(effect)
    return Group(*parts)


def rows_table(columns: list[str], rows: list[tuple]) -> Table:
    table = Table(header_style="bold")
    for c in columns:
        table.add_column(plain(c))
    for r in rows:
        table.add_row(*[plain(v) for v in r])
    table.caption = f"{len(rows)} rows"
    return table


MAX_HISTORY_LEGS = 12  # leg-years listed per mutation; `begroting document` shows them all


MAX_HISTORY_LEGS = 12  # leg-years listed per mutation; `begroting document` shows them all


def history_table(rows: list[HistoryRow]) -> Table:
    """One row per mutation or lifecycle event; a mutation lists each leg's line with the
    amount it names per year, so a shift shows what moved where rather than its net € 0."""
    table = Table(title="History", title_justify="left", header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("document", overflow="fold")
    table.add_column("mutation: line, year, amount", ratio=3)
    table.add_column("reason (reference)", ratio=2, overflow="fold")
    for r in rows:
        doc = Text(f"{r.document}/{r.seq}" if r.seq else r.document)
        doc.append(f"\n{r.document_kind} {r.status}".rstrip(), style="dim")
        doc.append(f"\n{r.recorded_at[:16].replace('T', ' ')}", style="dim")
        what: list[Any] = [Text(r.kind + (" (structureel)" if r.structural else ""))]
        legs = getattr(r, "legs", ())
        if legs:
            what += _legs(legs, r.document)
        reason = Text(r.reason or "")
        if r.reference:
            reason.append(f" ({r.reference})", style="dim")
        if r.corrects:
            reason.append(f"\ncorrects {r.corrects}", style="magenta")
        table.add_row(str(r.position), doc, Group(*what), reason)
    return table


def _legs(legs: Any, document: str) -> list[Any]:
    """Each leg's line, and under it the amount it names per year (at most MAX_HISTORY_LEGS)."""
    parts: list[Any] = []
    shown = 0
    for leg in legs:
        if shown >= MAX_HISTORY_LEGS:
            more = sum(len(leg.amounts_cents) for leg in legs) - shown
            parts.append(Text(f"… {more} more (begroting document {document})", style="dim"))
            break
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(style="dim")
        grid.add_column(justify="right", no_wrap=True)
        for year, cents in sorted(leg.amounts_cents.items()):
            grid.add_row(f"  {year}", money(cents))
            shown += 1
        parts += [Text(leg.line, style="dim", overflow="fold"), grid]
    return parts


def changes_table(changes: list[tuple[str, str, int, int, int]], *, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in ("line", "year", "before", "after", "change"):
        table.add_column(col, justify="left" if col == "line" else "right", no_wrap=col != "line")
    for unit, line, year, before, after in changes:
        table.add_row(plain(f"{unit}/{line}"), str(year), money(before), money(after), money(after - before, bold=True))
    return table
