"""Commands that exchange: export the begroting (xlsx, csv, json), import a ledger from a JSON
export, write the HTML audit report, and reconcile with a published table."""

from __future__ import annotations

import sys

import click

from cli.common import (
    Failure,
    adopted_only_option,
    as_of_option,
    console,
    echo_json,
    errors,
    json_option,
    open_ledger,
    open_views,
    whole,
    with_progress,
)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), help="Default: from the file name.")
@as_of_option("A document id, a ledger position or a date.")
@adopted_only_option()
@click.option("--bom", is_flag=True, help="CSV: write a UTF-8 byte order mark (for Excel).")
@click.option("--dutch", is_flag=True,
              help="CSV for Dutch Excel: the same as --sep ';' --decimal ',' (with the BOM, no thousands separators).")
@click.option("--sep", metavar="CHAR", help="CSV: the field separator (default ','); another one adds the BOM.")
@click.option("--decimal", metavar="MARK", help="CSV: the decimal mark of amounts, '.' (default) or ','.")
@click.option("--year", "years", multiple=True, help="xlsx, csv: only this year (repeatable).")
@click.option("--unit", help="xlsx, csv: only this unit (id).")
@click.option("--line", help="xlsx, csv: only this line (unit/line).")
@click.pass_context
def export(ctx: click.Context, file: str, fmt: str | None, as_of: str | None, adopted_only: bool, bom: bool,
           dutch: bool, sep: str | None, decimal: str | None, years: tuple[str, ...], unit: str | None,
           line: str | None) -> None:
    """Export the begroting: xlsx (per-cell history), csv (a row per line and year) or json.

    \b
    Example:
      begroting export --format xlsx begroting-2024.xlsx --adopted-only
      begroting export begroting-2024.csv --bom
      begroting export --format csv --dutch begroting-2024.csv
      begroting export ninb-2024.xlsx --unit ninb --year 2024
    """
    from cli import exports
    from ledger.outputs import check_output, replacing
    from ledger.storage import Location

    fmt = fmt or file.rsplit(".", 1)[-1].lower()
    if fmt not in ("xlsx", "csv", "json"):
        raise Failure(f"--format: give xlsx, csv or json (the file name {file!r} does not say)")
    sep, decimal = csv_style(fmt, dutch, sep, decimal)
    if fmt == "json" and (years or unit or line):
        raise Failure("--year, --unit and --line: the json export is the whole ledger (its history); "
                      "filter xlsx or csv")
    wanted = [whole(y, "--year", 1, 9999) for y in years]
    with errors():
        check_output(file, Location.parse(ctx.obj["ledger"]), "FILE")
        with open_ledger(ctx, quiet=True) as ledger:
            point = ledger.views.resolve_point(as_of)
            ledger.views.check_filters(unit=unit, line=line)
            ledger.views.check_years(wanted, point)
            with replacing(file, ledger.location, "FILE") as temporary:
                snapshot = exports.Snapshot(ledger, point, adopted_only, years=wanted or None, unit=unit, line=line)
                write = {"xlsx": exports.write_xlsx, "json": exports.write_json}.get(
                    fmt, lambda s, p: exports.write_csv(s, p, bom=bom, sep=sep, decimal=decimal))
                write(snapshot, temporary)
    click.echo(f"Wrote {file}.")


def csv_style(fmt: str, dutch: bool, sep: str | None, decimal: str | None) -> tuple[str, str]:
    """The separator and decimal mark the export asks for; a Failure (exit 1, nothing written)
    when the options do not go together."""
    from cli.exports import DUTCH_CSV, csv_style_problem

    given = [name for name, value in (("--dutch", dutch), ("--sep", sep), ("--decimal", decimal))
             if value not in (None, False)]
    if given and fmt != "csv":
        raise Failure(f"{' and '.join(given)}: only for --format csv (this export is {fmt})")
    if dutch:
        for name, value, wanted in (("--sep", sep, DUTCH_CSV[0]), ("--decimal", decimal, DUTCH_CSV[1])):
            if value is not None and value != wanted:
                raise Failure(f"--dutch means --sep ';' --decimal ','; it cannot go with {name} {value!r}")
        sep, decimal = DUTCH_CSV
    if sep is None and decimal == ",":
        raise Failure(f"--decimal {decimal!r}: give a --sep too, the default ',' would split the amounts "
                      "(for Dutch Excel: --sep ';' --decimal ',', or --dutch)")
    sep = "," if sep is None else sep
    decimal = "." if decimal is None else decimal
    problem = csv_style_problem(sep, decimal)
    if problem:
        raise Failure(problem)
    return sep, decimal


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def import_(ctx: click.Context, file: str) -> None:
    """Create a ledger from a JSON export: the same stored events at the same positions, same digest.

    The whole file is checked first (positions, event types, every hash-chain link); any
    problem refuses it and nothing is written. The ledger must be new or empty. Exports in
    the older format 1 are recorded again, document by document, through the same checks.

    \b
    Example:
      begroting --ledger copy.db import begroting-2024.json
    """
    from ledger.transfer import import_file

    with errors():
        ledger = with_progress(True, "importing", lambda update: import_file(ctx.obj["ledger"], file, update))
        with ledger:
            click.echo(f"Imported {file} into {ledger.location} ({ledger.views.head()} events).")


@click.command()
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False), help="The report to write.")
@as_of_option("A document id, a ledger position or a date.")
@adopted_only_option()
@click.pass_context
def report(ctx: click.Context, html_file: str, as_of: str | None, adopted_only: bool) -> None:
    """Write a self-contained HTML audit report: tables, trails, documents, digest, waterfalls.

    \b
    Example:
      begroting report --html audit-2024.html
    """
    from cli import exports
    from ledger.outputs import check_output, replacing
    from ledger.storage import Location

    with errors():
        check_output(html_file, Location.parse(ctx.obj["ledger"]), "--html")
        with open_ledger(ctx, quiet=True) as ledger, replacing(html_file, ledger.location, "--html") as temporary:
            exports.write_html(exports.Snapshot(ledger, ledger.views.resolve_point(as_of), adopted_only), temporary)
    click.echo(f"Wrote {html_file}.")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--contributions", "contributions_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Compare the participants' contributions instead (CSV: participant, year, amount[, measure]).")
@click.option("--tolerance", default="0", show_default=True,
              help="Differences up to this much (in the row's own measure) are warnings, not errors.")
@click.option("--strict", is_flag=True,
              help="No agreement by rounding: a figure published in thousands or millions must also be "
                   "within --tolerance.")
@as_of_option()
@adopted_only_option()
@json_option()
@click.pass_context
def reconcile(ctx: click.Context, file: str | None, contributions_file: str | None, tolerance: str, strict: bool,
              as_of: str | None, adopted_only: bool, as_json: bool) -> None:
    """Compare the ledger with a published table (CSV: unit, line, year, amount[, measure]).

    A blank line means the unit's lasten total; measure is euro (default), thousands or
    millions. A figure in thousands or millions that the ledger's rounds to is "rounded"
    (counted apart; --strict refuses that). With --contributions, the table holds
    participant, year, amount[, measure]. Exits 1 on any mismatch beyond --tolerance.

    \b
    Example:
      begroting reconcile published-2024.csv --tolerance 0.05
      begroting reconcile --contributions bijdragen-2025.csv
    """
    from cli import render_records
    from ledger import reconcile as reconciling

    if (file is None) == (contributions_file is None):
        raise Failure("give a FILE of figures, or --contributions FILE")
    with errors():
        limit = reconciling.tolerance(tolerance)
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        if contributions_file is not None:
            result = reconciling.reconcile_contributions(ledger.views, contributions_file, limit, point, adopted_only,
                                                         strict)
        else:
            result = reconciling.reconcile(ledger.views, file or "", limit, point, adopted_only, strict)
    if as_json:
        echo_json(result)
    else:
        console().print(render_records.reconcile_table(result))
    if result.mismatches:
        sys.exit(1)


COMMANDS = [export, import_, report, reconcile]
