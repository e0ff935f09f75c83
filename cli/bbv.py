"""BBV and Iv3: classify lines (programma, taakveld, categorie), the BBV overviews of a year
(``bbv``), and an Iv3 delivery to CBS (``iv3``); the rendering of the begroting per programma
that ``show --by programma`` and ``diff --by programma`` use is here too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli.common import adopted_only_option, as_of_option, console, echo_json, errors, json_option, open_ledger, open_views, whole
from projections.notation import euro

if TYPE_CHECKING:
    from projections.bbv_answers import BbvOverview, Iv3Trail, ProgrammaDiff, ProgrammaTable, ProgrammaYears
    from projections.queries import Views

BY_OPTION = click.option("--by", type=click.Choice(["programma"]),
                         help="Per programma (BBV): lasten, baten, saldo and reserve mutations.")
PARTS = {"algemene_dekkingsmiddelen": "Algemene dekkingsmiddelen", "overhead": "Overhead",
         "vpb": "Vennootschapsbelasting (Vpb)", "onvoorzien": "Onvoorzien"}


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def classify(ctx: click.Context, file: str) -> None:
    """Classify lines by programma, Iv3 taakveld and categorie from a year on (YAML).

    \b
    classify:
      from: 2025
      programmas: [{id: p1, name: Bestuur}]
      lines:
        - {line: a/bestuur, programma: p1, taakveld: "0.1", categorie: "1.1"}
    organisation: {overheidslaag: gr, overheidsnummer: "0123",
                   contact: {name: …, email: …, phone: …}}   (optional)

    A field left out keeps what held; as-of questions see what held then.

    \b
    Example:
      begroting classify indeling-2025.yaml
    """
    with errors(), open_ledger(ctx, write=True) as ledger:
        position = ledger.classify(file)
        click.echo(f"Classification from {file} recorded at position {position}." if position
                   else f"Classification from {file} holds already; nothing recorded.")


@click.command()
@click.option("--year", required=True, help="The year of the overviews.")
@adopted_only_option()
@as_of_option()
@json_option()
@click.pass_context
def bbv(ctx: click.Context, year: str, adopted_only: bool, as_of: str | None, as_json: bool) -> None:
    """The BBV overviews of a year: baten en lasten per programma, what falls apart by
    taakveld, reserve mutations, geraamd resultaat, incidentele baten en lasten and the
    structureel begrotingssaldo (evenwicht: yes/no per year of the horizon).

    \b
    Example:
      begroting bbv --year 2024
      begroting bbv --year 2025 --as-of begroting-2025 --json
    """
    from projections.bbv import Bbv

    wanted = whole(year, "--year", 1, 9999)
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        answer = Bbv(ledger.views).overview(wanted, point, adopted_only=adopted_only)
        if as_json:
            echo_json(answer)
            return
        console().print(overview_view(answer))


@click.command()
@click.option("--year", required=True, help="The boekjaar of the delivery.")
@click.option("--periode", default="0", show_default=True, help="0: the begroting (the only one a ledger of "
              "budgets delivers).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The JSON file to write.")
@click.option("--contact-name", default="", help="The contact CBS asks (else the ledger's, from classify).")
@click.option("--contact-email", default="", help="Their e-mail address.")
@click.option("--contact-phone", default="", help="Their phone number.")
@adopted_only_option()
@as_of_option()
@json_option("Print what was written and checked as JSON.")
@click.pass_context
def iv3(ctx: click.Context, year: str, periode: str, out: str, contact_name: str, contact_email: str,
        contact_phone: str, adopted_only: bool, as_of: str | None, as_json: bool) -> None:
    """Write an Iv3 delivery (CBS schema v2.1.1): lasten and baten per taakveld × categorie.

    Every line must be classified; the delivery is checked against the schema, the code list
    of its year (codes, grijze cellen) and CBS's controle PF006 before it is written.

    \b
    Example:
      begroting iv3 --year 2024 --out iv3-2024.json --contact-name "P. Controller" \\
        --contact-email p.controller@bij12.nl --contact-phone 0301234567
    """
    from ledger.iv3 import delivery
    from ledger.outputs import check_output, write_text
    from ledger.storage import Location

    with errors():
        check_output(out, Location.parse(ctx.obj["ledger"]), "--out")  # before anything is asked
    wanted = whole(year, "--year", 1, 9999)
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        text, report = delivery(ledger.views, wanted, at=point, adopted_only=adopted_only,
                                periode=whole(periode, "--periode", 0, 5),
                                contact={"name": contact_name, "email": contact_email, "phone": contact_phone})
        write_text(out, text, ledger.location, "--out")
        if as_json:
            echo_json(report)
            return
        click.echo(f"Iv3 {report.year} (periode 0, begroting) written to {out}: {report.cells} cells, "
                   f"lasten {euro(report.lasten_cents)}, baten {euro(report.baten_cents)}.")
        for check in report.checks:
            click.echo(f"  {'ok  ' if check.passed else 'note'} {check.code}: {check.check}"
                       + (f" — {check.detail}" if check.detail else ""))
        click.echo(f"  Not applicable to a begroting: {', '.join(report.not_applicable)}.")


# ---------------------------------------------------------------- for show, diff and explain


def show_by_programma(views: Views, point: int | None, adopted_only: bool, years: list[int], as_json: bool) -> None:
    """``show --by programma``."""
    from projections.bbv import Bbv

    table = Bbv(views).by_programma(point, adopted_only=adopted_only, years=years or None)
    if as_json:
        echo_json(table)
    else:
        console().print(programma_view(table, f"Begroting {table.organisation} per programma"))


def diff_by_programma(views: Views, start: tuple[str, int | None], end: tuple[str, int | None], adopted_only: bool,
                      years: list[int], as_json: bool) -> None:
    """``diff A B --by programma``."""
    from projections.bbv import Bbv

    change = Bbv(views).diff_by_programma(start[1], end[1], adopted_only=adopted_only, years=years or None)
    if as_json:
        echo_json(change)
    else:
        console().print(programma_diff_view(change, f"Per programma, from {start[0]} (position {start[1]}) to "
                                                    f"{end[0]} (position {end[1]})"))


def explain_iv3(views: Views, cell: tuple[str, str], year: int, point: int | None, adopted_only: bool,
                limit: int | None, as_json: bool) -> None:
    """``explain --iv3 TAAKVELD CATEGORIE``."""
    from projections.bbv import Bbv

    trail = Bbv(views).iv3_trail(*cell, year, point, adopted_only=adopted_only, limit=limit)
    if as_json:
        echo_json(trail)
    else:
        console().print(iv3_trail_view(trail))


# ---------------------------------------------------------------- rendering


def _table(first: str) -> Any:
    from rich.table import Table

    table = Table()
    table.add_column(first, overflow="fold", max_width=30)
    return table


def _titled(title: str, table: Any) -> Any:
    """A table under a title of its own, which wraps at the terminal's width, not the table's."""
    from rich.console import Group
    from rich.text import Text

    return Group(Text(title, style="bold"), table)


def overview_view(o: BbvOverview) -> Any:
    from rich.console import Group

    head = f"Overzicht van baten en lasten {o.organisation} {o.year}"
    table = _table("Programma")
    for name in ("Lasten", "Baten", "Saldo"):
        table.add_column(name, justify="right")
    for r in o.programmas:
        table.add_row(f"{r.programma} {r.name}".strip(), euro(r.lasten_cents), euro(r.baten_cents), euro(r.saldo_cents))
    if o.contributions_cents is not None:
        table.add_row("Bijdragen deelnemers", "", euro(o.contributions_cents), euro(o.contributions_cents))
    table.add_row("Saldo van baten en lasten", "", "", euro(o.saldo_van_baten_en_lasten_cents), style="bold")
    for r in o.programmas:
        if r.toevoegingen_cents or r.onttrekkingen_cents:
            table.add_row(f"Reserves {r.programma}: toevoegingen / onttrekkingen", euro(r.toevoegingen_cents),
                          euro(r.onttrekkingen_cents), euro(r.onttrekkingen_cents - r.toevoegingen_cents))
    table.add_row("Geraamd resultaat", "", "", euro(o.geraamd_resultaat_cents), style="bold")
    apart = _table("Part")
    for name in ("Taakvelden", "Lasten", "Baten"):
        apart.add_column(name, justify="right")
    for p in o.apart:
        apart.add_row(PARTS.get(p.part, p.part), ", ".join(p.taakvelden) or "-", euro(p.lasten_cents),
                      euro(p.baten_cents))
    incidental = _table("Programma")
    for name in ("Lasten", "Baten", "Toevoeging", "Onttrekking"):
        incidental.add_column(name, justify="right")
    for r in o.incidenteel:
        incidental.add_row(f"{r.programma} {r.name}".strip(), euro(r.lasten_cents), euro(r.baten_cents),
                           euro(r.toevoegingen_cents), euro(r.onttrekkingen_cents))
    verdict = _table("Year")
    verdict.add_column("Saldo", justify="right")
    verdict.add_column("Structureel evenwicht")
    for y in o.per_year:
        verdict.add_row(str(y.year), euro(y.structureel_saldo_cents), "ja" if y.structureel_evenwicht else "nee")
    parts: list[Any] = [
        _titled(head + (" — adopted documents only" if o.adopted_only else ""), table),
        _titled("Of the programma's, by taakveld (BBV art. 17; not added again)", apart),
        _titled("Overzicht incidentele baten en lasten", incidental),
        _titled("Structureel begrotingssaldo", verdict)]
    if o.note:
        parts.append(f"Note: {o.note}.")
    return Group(*parts)


def programma_view(data: ProgrammaTable, title: str) -> Any:
    return _programma_years(data.programmas, data.years, title)


def programma_diff_view(data: ProgrammaDiff, title: str) -> Any:
    return _programma_years(data.change, data.years, title, change=True)


def programma_change_view(rows: tuple[ProgrammaYears, ...], title: str) -> Any:
    """A document's change per programma (record --dry-run, document)."""
    years = tuple(sorted(rows[0].lasten_cents)) if rows else ()
    return _programma_years(rows, years, title, change=True)


def _programma_years(rows: tuple[ProgrammaYears, ...], years: tuple[int, ...], title: str, *,
                     change: bool = False) -> Any:
    table = _table("Programma")
    table.add_column("", style="dim")
    for y in years:
        table.add_column(str(y), justify="right")
    for r in rows:
        label = f"{r.programma} {r.name}".strip()
        for name, values in (("lasten", r.lasten_cents), ("baten", r.baten_cents), ("saldo", r.saldo_cents),
                             ("toevoegingen", r.toevoegingen_cents), ("onttrekkingen", r.onttrekkingen_cents)):
            if name in ("toevoegingen", "onttrekkingen") and not any(values.values()):
                continue
            if change and not any(values.values()):
                continue
            table.add_row(label, name, *(euro(values[y]) for y in years))
            label = ""
        table.add_section()
    return _titled(title, table)


def iv3_trail_view(t: Iv3Trail) -> Any:
    from rich.console import Group

    lines = _table("Line")
    lines.add_column("Amount", justify="right")
    for c in t.lines:
        lines.add_row(c.lines[0], euro(c.amount_cents))
    steps = _table("Mutation")
    for name in ("Line", "Amount"):
        steps.add_column(name, justify="right" if name == "Amount" else "left")
    if t.brought_forward_steps:
        steps.add_row(f"{t.brought_forward_steps} earlier steps", "", euro(t.brought_forward_cents))
    for s in t.steps:
        steps.add_row(f"{s.document}/{s.seq} {s.kind}", s.line, euro(s.amount_cents))
    return Group(_titled(f"Iv3 {t.taakveld} × {t.categorie} in {t.year}: lasten {euro(t.lasten_cents)}, "
                         f"baten {euro(t.baten_cents)}", lines), _titled("How it arose", steps))


COMMANDS = [classify, bbv, iv3]
