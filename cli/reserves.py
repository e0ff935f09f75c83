"""``begroting reserves``: the verloopoverzicht reserves — per reserve and year, the balance at
the start, the toevoegingen and onttrekkingen with the mutations that made them, and the
balance at the end (``projections.reserves``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.common import adopted_only_option, as_of_option, console, echo_json, errors, json_option, open_views, whole

if TYPE_CHECKING:
    from rich.console import Group

    from projections.reserves import ReserveYear


@click.command()
@click.option("--year", "years", multiple=True, help="Only this year (repeatable); balances still run from the "
              "horizon's first year.")
@click.option("--unit", help="Only the reserves of this unit (id).")
@adopted_only_option()
@as_of_option("A document id, a ledger position or a date: the reserves as they stood then.")
@json_option("Print as JSON: one object per reserve and year, amounts in euros.")
@click.pass_context
def reserves(ctx: click.Context, years: tuple[str, ...], unit: str | None, adopted_only: bool, as_of: str | None,
             as_json: bool) -> None:
    """Show the verloop of every reserve: opening balance, toevoegingen, onttrekkingen and
    closing balance per year, with the mutations that made them.

    The first year of the horizon opens with the reserve's opening balance; every later year
    with the year before's closing balance.

    \b
    Example:
      begroting reserves --year 2024
      begroting reserves --as-of kaderbrief-2024 --adopted-only --json
    """
    from projections.reserves import ReserveQueries

    wanted = [whole(y, "--year", 1, 9999) for y in years]
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        ledger.views.check_filters(unit=unit)
        ledger.views.check_years(wanted, point)
        rows = ReserveQueries(ledger.views.conn).reserves(point, adopted_only=adopted_only, years=wanted or None,
                                                          unit=unit)
        if as_json:
            echo_json(rows)
            return
        title = f"Verloop reserves {ledger.views.organisation()}"
        if as_of:
            title += f" — as of {as_of} (position {point})"
        if adopted_only:
            title += " — adopted documents only"
        console().print(reserves_view(rows, title=title))


def reserves_view(rows: list[ReserveYear], *, title: str) -> Group:
    """One table per reserve: a row per year (opening, toevoegingen, onttrekkingen, closing) and
    under it a row per mutation that moved the reserve. Fits 80 columns: ids and reasons
    fold onto further lines, amounts never wrap."""
    from rich import box
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from cli.render import money

    parts: list[Table | Text] = [Text(title, style="bold", overflow="fold")]
    if not rows:
        parts.append(Text("no reserve lines (type reserve) to show at this point"))
        return Group(*parts)
    by_reserve: dict[tuple[str, str], list[ReserveYear]] = {}
    for row in rows:
        by_reserve.setdefault((row.unit, row.line), []).append(row)
    any_proposed = False
    for (unit, line), years in by_reserve.items():
        first = years[0]
        parts.append(Text(f"\n{first.unit_name} / {first.name} ({unit}/{line})", style="bold", overflow="fold"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column("year / mutation", overflow="fold", min_width=12)
        for header in ("opening", "toevoegingen", "onttrekkingen", "closing"):
            table.add_column(header, justify="right", no_wrap=True)
        for y in years:
            table.add_row(Text(str(y.year), style="bold"), money(y.opening_cents), money(y.toevoegingen_cents),
                          money(y.onttrekkingen_cents), money(y.closing_cents, bold=True))
            for m in y.documents:
                label = Text(m.mutation)
                if m.status != "adopted":
                    label.append(" *", style="yellow")
                    any_proposed = True
                notes = [m.reason] if m.reason else []
                if m.carried_from is not None:
                    notes.append(f"structural, carried in from {m.carried_from}")
                if notes:
                    label.append("\n" + "; ".join(notes), style="dim")
                amount = money(m.amount_cents)
                added, taken = (amount, Text("")) if m.amount_cents > 0 else (Text(""), amount)
                table.add_row(Padding(label, (0, 0, 0, 2)), "", added, taken, "")
        parts.append(table)
    if any_proposed:
        parts.append(Text("* proposed (not yet adopted) document; use --adopted-only to leave it out", style="yellow"))
    return Group(*parts)


COMMANDS = [reserves]
