"""The ledger as a story, for people: the history with each leg's amounts, one document
whole with what it changes, what recording a document does (or would do), and the
reconciliation with a published table. Amounts arrive as integer cents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cli.render import money, plain
from ledger.money import AmountError, parse_cents
from projections.notation import euro, number

if TYPE_CHECKING:
    from ledger.reconcile import Reconciliation
    from projections.answers import DocumentView, HistoryRow


MEASURE_WORDS = {1: "", 1_000: " duizend", 1_000_000: " mln"}


def reconcile_table(result: Reconciliation) -> Table:
    from ledger.reconcile import MEASURES

    table = Table(title=plain(f"Reconciliation with {result.file} (tolerance {number(result.tolerance)})"),
                  title_justify="left", header_style="bold")
    for col in ("row", "figure", "year", "published", "ledger", "difference", "status"):
        table.add_column(col, justify="right" if col in ("published", "ledger", "difference") else "left",
                         no_wrap=col in ("published", "ledger", "difference"))
    style = {"ok": "green", "rounded": "yellow", "warning": "yellow", "mismatch": "bold red"}
    for r in result.rows:
        published = f"€ {number(r.published)}{MEASURE_WORDS[MEASURES[r.measure]]}"
        table.add_row(str(r.row), plain(r.name or r.figure), str(r.year), published,
                      _decimal_euros(r.ledger), _decimal_euros(r.difference), Text(r.status, style=style[r.status]))
    table.caption = (f"{len(result.rows)} rows: {result.mismatches} mismatches, {result.warnings} warnings"
                     + (f", {result.rounded} agreeing only at the precision published (--strict refuses that)"
                        if result.rounded else ""))
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
    parts.append(document_effect_table(doc))
    return Group(*parts)


TOTAL_LABELS = (("lasten", "Lasten"), ("baten", "Baten"), ("saldo", "Saldo"), ("reserves", "Reserves"),
                ("te_dekken", "Te dekken"))


def document_effect_table(doc: DocumentView) -> Table:
    """What the document changes: per unit its lasten, baten and reserves apart, then the
    totals it moves, down to saldo and te dekken."""
    years = sorted(next(iter(doc.totals_cents.values()), {}))
    title = "Effect per unit" + (" (withdrawn: none of it counts any more)" if doc.status == "withdrawn" else "")
    table = Table(title=title, title_justify="left", header_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, min_width=len(title))
    table.add_column("unit", overflow="fold")
    table.add_column("type")
    for y in years:
        table.add_column(str(y), justify="right", no_wrap=True)
    unit = None
    for e in doc.effect:
        table.add_row(plain(e.unit if e.unit != unit else ""), e.type, *[money(e.amounts_cents.get(y, 0)) for y in years])
        unit = e.unit
    table.add_section()
    for key, label in TOTAL_LABELS:
        table.add_row(Text(label, style="bold"), "", *[money(doc.totals_cents[key][y], bold=True) for y in years])
    table.caption = "saldo = baten - lasten; te dekken = lasten - baten + reserves"
    table.caption_justify = "left"
    return table


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


def totals_table(rows: list[tuple[str, int, int, int]], *, title: str) -> Table:
    """The totals a document moves, per year (total, year, before, after): the change, and
    what the total becomes."""
    years = sorted({year for _, year, _, _ in rows})
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False, min_width=len(title))
    table.add_column("total")
    for year in years:
        table.add_column(str(year), justify="right", no_wrap=True)
    by = {(total, year): (before, after) for total, year, before, after in rows}
    for key, label in TOTAL_LABELS:
        cells = []
        for year in years:
            before, after = by[(key, year)]
            cell = Text.assemble(money(after - before, bold=True), "\n", Text(f"→ {euro(after)}", style="dim"))
            cells.append(cell)
        table.add_row(Text(label, style="bold"), *cells)
    table.caption = "each year: the change, and → the total after it (proposals included)"
    table.caption_justify = "left"
    return table
