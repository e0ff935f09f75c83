"""Commands that ask: the begroting, its history, one document, the audit trail of a figure,
what changed between two points, the structural balance, and read-only SQL.
Each parses its options, asks the read models (``ledger.views``) one question, and renders
the answer: ``cli.render`` for people, ``--json`` (``ledger.answers``) for machines."""

from __future__ import annotations

import sys

import click

from cli.bbv import BY_OPTION, diff_by_programma, explain_iv3, show_by_programma
from cli.common import (
    AS_OF_HELP,
    Failure,
    adopted_only_option,
    as_of_option,
    console,
    echo_json,
    errors,
    json_option,
    open_views,
    parse_date,
    whole,
)
from projections.readonly import EXAMPLE_QUERY


@click.command()
@click.option("--year", "years", multiple=True, help="Only this year (repeatable).")
@click.option("--unit", help="Only this unit (id).")
@click.option("--line", help="Only this line (unit/line); the totals are then that line's.")
@adopted_only_option()
@as_of_option(f"{AS_OF_HELP[:-1]}: the begroting as it stood then.")
@click.option("--adopted-on", "adopted_on", metavar="DATE",
              help="The adopted begroting on that day by decision date (YYYY-MM-DD): documents adopted by a "
                   "decision dated on or before it, whenever that was recorded.")
@BY_OPTION
@json_option()
@click.pass_context
def show(ctx: click.Context, years: tuple[str, ...], unit: str | None, line: str | None, adopted_only: bool,
         as_of: str | None, adopted_on: str | None, by: str | None, as_json: bool) -> None:
    """Show the begroting: lines, unit totals, lasten, baten and saldo per year.

    Two time axes: --as-of is when something was recorded (a document, a position, or a
    recording date); --adopted-on is the date of the decision that adopted a document.

    \b
    Example:
      begroting show --year 2024
      begroting show --as-of begroting-2024 --adopted-only --json
      begroting show --adopted-on 2023-03-23
      begroting show --by programma --year 2025
    """
    wanted = [whole(y, "--year", 1, 9999) for y in years]
    decided = parse_date(adopted_on, "--adopted-on").isoformat() if adopted_on is not None else None
    if by and (unit or line or decided):
        raise Failure("--by programma shows every line by its programma: leave out --unit, --line and --adopted-on")
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        ledger.views.check_filters(unit=unit, line=line)
        ledger.views.check_years(wanted, point)
        if by:
            return show_by_programma(ledger.views, point, adopted_only, wanted, as_json)
        data = ledger.views.show(point, adopted_only=adopted_only, years=wanted or None, unit=unit, adopted_on=decided,
                                 line=line)
        if as_json:
            echo_json(data)
            return
        title = f"Begroting {data.organisation}"
        if as_of:
            title += f" — as recorded at {as_of} (position {data.position})"
        if decided:
            title += f" — as adopted on {decided} (by decision date)"
        elif adopted_only:
            title += " — adopted documents only"
        from cli import render  # rich: only for people, not for --json

        out = console()
        out.print(render.show_table(data, title=title, width=out.width))


HISTORY_PAGE = 200  # rows `history` shows on a terminal unless told otherwise
BALANCE_PAGE = 50  # incidental items `balance` lists on a terminal unless told otherwise


@click.command()
@click.option("--kind", help="Only this mutation kind (or lifecycle event, e.g. document_adopted).")
@click.option("--unit", help="Only mutations touching this unit (id).")
@click.option("--line", "line", help="Only mutations touching this line (unit/line).")
@click.option("--document", help="Only this document (id).")
@click.option("--document-kind", help="Only documents of this kind, e.g. voorjaarsnota.")
@click.option("--from", "date_from", help="Effective date from (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Effective date up to and including (YYYY-MM-DD).")
@click.option("--reference", help='Only mutations citing this paragraph or a subparagraph, e.g. "§6.1".')
@click.option("--grep", help="Text in reason, title, reference or lines; case- and accent-insensitive.")
@click.option("--corrections", is_flag=True, help="Only corrections, with what each corrects.")
@as_of_option("Only what was recorded up to this point.")
@click.option("--limit", "limit_text", help=f"Only the latest N rows (on a terminal the default is {HISTORY_PAGE}; "
                                            "--json lists every row unless --limit is given).")
@click.option("--all", "show_all", is_flag=True, help="Every row, however many.")
@json_option()
@click.pass_context
def history(ctx: click.Context, kind: str | None, unit: str | None, line: str | None, document: str | None,
            document_kind: str | None, date_from: str | None, date_to: str | None, reference: str | None,
            grep: str | None, corrections: bool, as_of: str | None, limit_text: str | None, show_all: bool,
            as_json: bool) -> None:
    """List mutations and lifecycle events (adoption, withdrawal…) in ledger order.

    Filters compose: every one given must hold.

    \b
    Example:
      begroting history --kind verschuiving --unit gbo
      begroting history --document-kind voorjaarsnota --from 2024-01-01 --to 2024-06-30
      begroting history --reference "§6.1" --grep informatieveiligheid
      begroting history --corrections --json
    """
    for value, option in ((date_from, "--from"), (date_to, "--to")):
        if value is not None:
            parse_date(value, option)
    limit = whole(limit_text, "--limit", 1, 10**9) if limit_text is not None else None
    if limit is None and not (show_all or as_json):
        limit = HISTORY_PAGE
    unit_id, _, line_id = (line or "").partition("/")
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        ledger.views.check_filters(kind=kind, unit=unit, line=line, document=document, document_kind=document_kind)
        rows = ledger.views.history(
            ledger.views.resolve_point(as_of), kind=kind, unit=unit or (unit_id if line else None), line=line_id or None,
            document=document, document_kind=document_kind, date_from=date_from, date_to=date_to,
            reference=reference, grep=grep, corrections=corrections, limit=None if limit is None else limit + 1,
        )
        earlier = limit is not None and len(rows) > limit
        rows = rows[1:] if earlier else rows
        if as_json:
            echo_json(rows)
        else:
            from cli import render_records  # rich: only for people, not for --json

            console().print(render_records.history_table(rows))
            if earlier:
                console().print(f"Earlier rows are not shown: the latest {limit} are (--limit N, or --all).")


@click.command()
@click.argument("document_id", metavar="DOCUMENT")
@as_of_option("The document as it stood at that point.")
@json_option()
@click.pass_context
def document(ctx: click.Context, document_id: str, as_of: str | None, as_json: bool) -> None:
    """Show one document whole: header, status, decision, mutations, later corrections, effect per unit.

    \b
    Example:
      begroting document begroting-2024
    """
    from dataclasses import replace

    from projections.bbv import Bbv

    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        doc = ledger.views.document(document_id, point)
        if doc is None:
            raise Failure(f"no document {document_id!r} in the ledger")
        doc = replace(doc, programmas=Bbv(ledger.views).document_programmas(document_id, point) or None)
        if as_json:
            echo_json(doc)
        else:
            from cli import render_records
            from cli.bbv import programma_change_view

            console().print(render_records.document_view(doc))
            if doc.programmas:
                console().print(programma_change_view(doc.programmas, "Effect per programma"))


SQL_HELP = """Run one read-only SQL query over the read models (schema: docs/read-models.md).

    Exactly one statement, and it can only read: the read-model file is opened read-only
    (PostgreSQL: a READ ONLY transaction, rolled back, as the role begroting_reader that may
    only SELECT the read models). A query is stopped after 60 s (env BEGROTING_SQL_TIMEOUT_S).
    BLOB/bytea values print as hex. `pragma table_info(figures)` lists a table's columns.

    \b
    Example:
      begroting sql "{example}"
    """


@click.command(help=SQL_HELP.format(example=EXAMPLE_QUERY))
@click.argument("query")
@json_option("Print rows as JSON objects.")
@click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")
@click.pass_context
def sql(ctx: click.Context, query: str, as_json: bool, as_csv: bool) -> None:
    from projections.readonly import run_query

    with errors(), open_views(ctx, quiet=True) as ledger:
        columns, rows = run_query(ledger.location, query)
    if as_json:
        echo_json([dict(zip(columns, r, strict=True)) for r in rows])
    elif as_csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        from cli import render

        console().print(render.rows_table(columns, rows))


@click.command()
@click.argument("figure", required=False)
@click.option("--year", "year_text", required=True, help="The year of the figure.")
@click.option("--total", is_flag=True, help="Explain the grand total instead of a unit or line.")
@click.option("--contribution", help="Explain a participant's contribution instead (name as in the key).")
@click.option("--iv3", nargs=2, metavar="TAAKVELD CATEGORIE", help="Explain an Iv3 cell instead, e.g. --iv3 0.4 1.1.")
@as_of_option()
@adopted_only_option()
@click.option("--limit", "limit_text", default="50", show_default=True,
              help="List the latest N mutations; earlier ones are summed as 'brought forward'.")
@click.option("--all", "show_all", is_flag=True, help="List every mutation, however many.")
@click.option("--waterfall", is_flag=True, help="Draw a bridge chart, one bar per document.")
@click.option("--svg", "svg", type=click.Path(dir_okay=False), help="Also write the waterfall as an SVG image.")
@json_option()
@click.pass_context
def explain(ctx: click.Context, figure: str | None, year_text: str, total: bool, contribution: str | None,
            iv3: tuple[str, str] | None, as_of: str | None, adopted_only: bool, limit_text: str, show_all: bool,
            waterfall: bool, svg: str | None, as_json: bool) -> None:
    """Explain a figure: every mutation that made it, with running totals.

    FIGURE is `unit`, `unit/line` (ids) or display names, e.g.
    "Faunazaken/Open-eind-regeling afhandelen faunaschades".

    \b
    Example:
      begroting explain faunazaken/open-eind --year 2024
      begroting explain faunazaken --year 2024
      begroting explain --total --year 2024 --as-of kaderbrief-2024
      begroting explain faunazaken/open-eind --year 2024 --waterfall --svg open-eind.svg
      begroting explain --contribution "Provincie Utrecht" --year 2024
      begroting explain --iv3 0.4 1.1 --year 2024
    """
    year = whole(year_text, "--year", 1, 9999)
    limit = whole(limit_text, "--limit", 1, 1_000_000)
    if iv3:
        with errors(), open_views(ctx, quiet=as_json) as ledger:
            return explain_iv3(ledger.views, iv3, year, ledger.views.resolve_point(as_of), adopted_only,
                               None if show_all else limit, as_json)
    if contribution:
        from cli import render_participants
        from projections.contributions import ContributionQueries

        with errors(), open_views(ctx, quiet=as_json) as ledger:
            point = ledger.views.resolve_point(as_of)
            ledger.views.check_years([year], point)
            share = ContributionQueries(ledger.views).contribution(contribution, year, point,
                                                                   adopted_only=adopted_only)
        if as_json:
            echo_json(share)
        else:
            console().print(render_participants.contribution_view(share))
        return
    if not total and not figure:
        raise Failure("name a FIGURE (unit or unit/line) or give --total or --contribution")
    if svg:
        from ledger.outputs import check_output
        from ledger.storage import Location

        with errors():
            check_output(svg, Location.parse(ctx.obj["ledger"]), "--svg")
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        fig = ledger.views.total_figure() if total else ledger.views.resolve_figure(figure or "")
        ledger.views.check_years([year], point)
        # The waterfall needs every document's part, so it takes the whole trail.
        every_step = show_all or waterfall or bool(svg)
        result = ledger.views.explain(fig, year, point, adopted_only=adopted_only, limit=None if every_step else limit)
        if svg:
            from cli import charts
            from ledger.outputs import replacing

            with replacing(svg, ledger.location, "--svg") as temporary:
                charts.waterfall_svg(result, temporary)
        if as_json:
            echo_json(result)
            return
        from cli import render

        out = console()
        if fig.kind == "line":
            out.print(render.explain_table(result))
        else:
            out.print(render.explain_tree(result))
        if waterfall or svg:
            out.print(render.waterfall_text(result))
        if svg:
            out.print(f"Wrote {svg}")


@click.command()
@click.argument("start")
@click.argument("end")
@click.option("--all", "show_all", is_flag=True, help="Also list lines that did not change.")
@click.option("--year", "years", multiple=True, help="Only this year (repeatable).")
@click.option("--unit", help="Only this unit (id).")
@click.option("--line", help="Only this line (unit/line).")
@click.option("--limit", "limit_text", default="10", show_default=True,
              help="Causes listed per figure: the latest ones; earlier ones are brought forward as one amount.")
@click.option("--all-causes", is_flag=True, help="List every cause, however many.")
@adopted_only_option("Compare adopted figures only.")
@BY_OPTION
@json_option()
@click.pass_context
def diff(ctx: click.Context, start: str, end: str, show_all: bool, years: tuple[str, ...], unit: str | None,
         line: str | None, limit_text: str, all_causes: bool, adopted_only: bool, by: str | None, as_json: bool) -> None:
    """What changed between two points (documents, positions or dates), and why.

    \b
    Example:
      begroting diff kaderbrief-2024 begroting-2024
      begroting diff kaderbrief-2024 begroting-2024 --unit ninb --year 2024
      begroting diff begroting-2025 bw-1 --by programma
    """
    wanted = [whole(y, "--year", 1, 9999) for y in years]
    limit = None if all_causes else whole(limit_text, "--limit", 1, 1_000_000)
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        a, b = ledger.views.resolve_point(start), ledger.views.resolve_point(end)
        ledger.views.check_filters(unit=unit, line=line)
        ledger.views.check_years(wanted)
        if by:
            return diff_by_programma(ledger.views, (start, a), (end, b), adopted_only, wanted, as_json)
        result = ledger.views.diff(a, b, adopted_only=adopted_only, show_all=show_all, years=wanted or None,
                                   unit=unit, line=line, limit=limit)
        if as_json:
            echo_json(result)
        else:
            from cli import render

            console().print(render.diff_table(result, title=f"From {start} (position {a}) to {end} (position {b})"))


@click.command()
@click.option("--year", "year_text", required=True, help="The year to check.")
@adopted_only_option()
@as_of_option()
@click.option("--limit", "limit_text", help=f"List the latest N incidental items, the earlier ones summed (on a "
                                            f"terminal the default is {BALANCE_PAGE}; --json lists every item unless "
                                            "--limit is given).")
@click.option("--all", "show_all", is_flag=True, help="List every incidental item, however many.")
@json_option()
@click.pass_context
def balance(ctx: click.Context, year_text: str, adopted_only: bool, as_of: str | None, limit_text: str | None,
            show_all: bool, as_json: bool) -> None:
    """Structural balance (structureel evenwicht): structural baten against structural lasten.

    Incidental items are listed apart; a year whose structural lasten exceed its structural
    baten is flagged.

    \b
    Example:
      begroting balance --year 2025
    """
    from projections.rules import Rules

    year = whole(year_text, "--year", 1, 9999)
    limit = whole(limit_text, "--limit", 0, 1_000_000) if limit_text is not None else None
    if show_all:
        limit = None
    elif limit is None and not as_json:
        limit = BALANCE_PAGE
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        ledger.views.check_years([year], point)
        result = Rules(ledger.views).balance(year, point, adopted_only=adopted_only, limit=limit)
        if as_json:
            echo_json(result)
        else:
            from cli.render import balance_view

            console().print(balance_view(result))


COMMANDS = [show, history, document, sql, explain, diff, balance]
