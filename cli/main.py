"""The `begroting` command. Each command parses its options, makes one call into the
ledger or its read models, and renders the answer (rich for people, --json for machines).
Heavy imports happen inside commands so that `begroting --help` starts fast."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import date
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

import click

from projections.readonly import EXAMPLE_QUERY

if TYPE_CHECKING:
    from ledger.application import Ledger

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_LEDGER = "begroting.db"
DEMO_LEDGER = "begroting-demo.db"
AS_OF_HELP = "A document id, a ledger position or a date (or doc:ID, pos:N, date:YYYY-MM-DD)."
ADOPTED_ONLY_HELP = "Leave out documents not yet adopted."


class Failure(click.ClickException):
    """Raised when a command cannot do what was asked: every problem is printed on stderr as
    "error: …" (a message of several lines as it is), and the command exits with 1."""

    exit_code = 1

    def __init__(self, message: str, problems: Sequence[str] | None = None):
        super().__init__(message)
        self.problems = list(problems) if problems is not None else None if "\n" in message else [message]

    def show(self, file: IO[Any] | None = None) -> None:
        if self.problems is None:
            click.echo(self.message, err=True)
        for problem in self.problems or ():
            click.echo(f"error: {problem}", err=True)


@contextmanager
def errors() -> Iterator[None]:
    """Turn every expected failure into a Failure: one clear line per problem, exit 1."""
    from ledger.errors import InvalidInput, LedgerError

    try:
        yield
    except click.ClickException:
        raise
    except InvalidInput as e:
        raise Failure(str(e), [str(problem) for problem in e.problems]) from None
    except (LedgerError, OSError, ImportError) as e:
        raise Failure(str(e)) from None
    except Exception as e:  # a bug, or a store failure we did not foresee
        from eventsourcing.persistence import PersistenceError

        if os.environ.get("BEGROTING_DEBUG"):
            raise
        if isinstance(e, PersistenceError) or type(e).__module__ == "sqlite3":
            raise Failure(f"storage: {e}") from None
        raise Failure(f"internal error ({type(e).__name__}: {e}); set BEGROTING_DEBUG=1 for a traceback") from None


def console(stderr: bool = False) -> Any:
    from cli.render import console as make

    return make(stderr)


def echo_json(answer: Any, *, compact: bool = False) -> None:
    """Print an answer as JSON (ledger.answers.dumps: amounts as decimal euro text)."""
    from ledger.answers import dumps

    click.echo(dumps(answer, compact=compact))


def with_progress(enabled: bool, description: str, work: Callable[[Any], T]) -> T:
    """``work(update)`` under a rich progress bar on a terminal; ``work(None)`` when piped
    or with --json."""
    if not enabled or not sys.stderr.isatty():
        return work(None)
    from cli.render import progress_bar

    bar, update = progress_bar(description)
    with bar:
        return work(update)


def open_ledger(ctx: click.Context, *, write: bool = False, quiet: bool = False) -> Ledger:
    """The ledger of ``--ledger``, its read models caught up, its notices said on stderr."""
    from ledger.application import Ledger

    ledger = Ledger.open(ctx.obj["ledger"], write=write)
    with_progress(not quiet, "catching up", ledger.catch_up)
    for notice in ledger.notices:
        click.echo(f"note: {notice}", err=True)
    if ledger.views_stale:
        click.echo(f"note: {ledger.actor} may not update the shared read models; they show position "
                   f"{ledger.views.head()} (a controller's next command catches them up)", err=True)
    return ledger


# ------------------------------------------------------------------ reading option values


def parse_date(value: str | None, option: str) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise Failure(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def whole(value: str, option: str, low: int, high: int) -> int:
    """A whole-number option in ASCII digits within bounds (click's int takes "²" and 10**20)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12) or not low <= int(text) <= high:
        raise Failure(f"{option} {value[:30]!r}: give a whole number from {low} to {high}")
    return int(text)


# ------------------------------------------------------------------ options many commands take


def json_option(help: str = "Print as JSON.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def as_of_option(help: str = AS_OF_HELP) -> Callable[[F], F]:
    return click.option("--as-of", help=help)


def adopted_only_option(help: str = ADOPTED_ONLY_HELP) -> Callable[[F], F]:
    return click.option("--adopted-only", is_flag=True, help=help)


def _check_ledger_address(text: str) -> None:
    """An address that cannot even be read (port 99999, ~nosuchuser) gets one line."""
    if not text.startswith(("postgres", "~")):
        return  # a plain path: read when the ledger is opened
    from ledger.storage import Location

    try:
        location = Location.parse(text)
        getattr(location, "port", None)
    except (ValueError, RuntimeError, KeyError) as e:
        raise Failure(f"--ledger: cannot read {text.split('@')[-1]!r} as a ledger address: {e}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--ledger", "ledger", envvar="BEGROTING_LEDGER", default=DEFAULT_LEDGER, show_default=True,
              help="The ledger file (env BEGROTING_LEDGER).")
@click.version_option(package_name="begroting")
@click.pass_context
def cli(ctx: click.Context, ledger: str) -> None:
    """An event-sourced ledger for budget amendments (begrotingswijzigingen).

    \b
    Example:
      begroting init --organisation BIJ12 --years 2024-2027
      begroting record kaderbrief-2024.yaml
      begroting show --year 2024
    """
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand is not None:
        _check_ledger_address(ledger)
    ctx.obj["ledger"] = ledger
    ctx.obj["ledger_given"] = ctx.get_parameter_source("ledger") == click.core.ParameterSource.COMMANDLINE


@cli.command()
@click.option("--organisation", required=True, help="The organisation whose budget this is.")
@click.option("--years", required=True, help="The horizon, first-last, e.g. 2024-2027.")
@click.pass_context
def init(ctx: click.Context, organisation: str, years: str) -> None:
    """Create a new ledger for an organisation and a horizon of years.

    \b
    Example:
      begroting init --organisation "BIJ12" --years 2024-2027
    """
    from ledger.application import Ledger

    first, _, last = (part.strip() for part in years.partition("-"))
    if not all(part.isascii() and part.isdigit() and len(part) == 4 for part in (first, last)):
        raise Failure(f"--years: {years[:30]!r} is not a horizon; write first-last, e.g. 2024-2027")
    with errors():
        with Ledger.init(ctx.obj["ledger"], organisation, int(first), int(last)) as ledger:
            click.echo(f"Created ledger {ledger.location} for {organisation}, {first}-{last}.")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show the effect; record nothing.")
@adopted_only_option("Index on adopted figures only (default: proposals included).")
@click.option("--max-size", "max_size", default="50", show_default=True, metavar="MB",
              help="Refuse files larger than this many megabytes.")
@json_option("Print the outcome as JSON.")
@click.pass_context
def record(ctx: click.Context, files: tuple[str, ...], dry_run: bool, adopted_only: bool, max_size: str,
           as_json: bool) -> None:
    """Record P&C documents (YAML or CSV), each one atomically.

    A file with problems is reported whole (every problem, with file and field) and
    nothing of it is recorded. Recording the same content again is a no-op.

    \b
    Example:
      begroting record kaderbrief-2024.yaml
      begroting record voorjaarsnota-2024.yaml --dry-run
    """
    from cli import render
    from ledger.parsing import read_document

    max_mb = whole(max_size, "--max-size", 1, 100_000)
    with errors(), open_ledger(ctx, write=not dry_run, quiet=as_json) as ledger:
        results = []
        for path in files:
            result = ledger.record_input(read_document(path, max_mb=max_mb), dry_run=dry_run, adopted_only=adopted_only)
            results.append(result)
            if as_json:
                continue
            out = console()
            if result.already_recorded:
                out.print(f"{path}: {result.document} is already recorded (same content); nothing to do.")
                continue
            verb = "Would record" if dry_run else "Recorded"
            where = f" at position {result.position}" if result.position else ""
            out.print(f"{verb} {result.document} ({result.mutation_count} mutations){where}.")
            if result.new_lines:
                out.print(f"New lines: {', '.join(result.new_lines)}")
            if result.excluded_from_indexation:
                out.print("Not indexed: " + "; ".join(result.excluded_from_indexation))
            if dry_run:
                out.print(render.changes_table(result.changes, title=f"Effect of {result.document}"))
        if as_json:
            from ledger.answers import Recorded

            echo_json([Recorded.of(r) for r in results])


@cli.command()
@click.argument("document")
@click.option("--date", "when", help="Decision date (YYYY-MM-DD); default today.")
@click.option("--decision", required=True, help="The decision that adopted it, e.g. 'IPO-bestuur 23-03-2023'.")
@click.pass_context
def adopt(ctx: click.Context, document: str, when: str | None, decision: str) -> None:
    """Record that a proposed document was adopted (vastgesteld).

    \b
    Example:
      begroting adopt kaderbrief-2024 --date 2023-03-23 --decision "IPO-bestuur 23-03-2023"
    """
    with errors(), open_ledger(ctx, write=True) as ledger:
        position = ledger.adopt(document, parse_date(when, "--date"), decision)
        click.echo(f"{document} adopted ({decision}) at position {position}." if position
                   else f"{document} was already adopted ({decision}); nothing to do.")


@cli.command()
@click.argument("document")
@click.option("--date", "when", help="Date of withdrawal (YYYY-MM-DD); default today.")
@click.option("--reason", required=True, help="Why the proposal is withdrawn.")
@click.pass_context
def withdraw(ctx: click.Context, document: str, when: str | None, reason: str) -> None:
    """Record that a proposed document was withdrawn; its mutations stop counting.

    \b
    Example:
      begroting withdraw bw-3 --date 2024-05-01 --reason "Vervangen door bw-4"
    """
    with errors(), open_ledger(ctx, write=True) as ledger:
        position = ledger.withdraw(document, parse_date(when, "--date"), reason)
        click.echo(f"{document} withdrawn at position {position}." if position
                   else f"{document} was already withdrawn; nothing to do.")


@cli.command()
@click.option("--to", "to_year", type=int, required=True, help="The new last year of the horizon.")
@click.pass_context
def extend(ctx: click.Context, to_year: int) -> None:
    """Add years at the end of the horizon; structural amounts carry into them.

    \b
    Example:
      begroting extend --to 2028
    """
    with errors(), open_ledger(ctx, write=True) as ledger:
        position = ledger.extend(to_year)
        click.echo(f"Horizon extended to {to_year} at position {position}." if position
                   else f"The horizon already runs to {to_year}; nothing to do.")


@cli.group()
def key() -> None:
    """Distribution keys (verdeelsleutels): who pays which share of what is to be covered.

    \b
    Example:
      begroting key set verdeelsleutel-2024.yaml
    """


@key.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def key_set(ctx: click.Context, file: str) -> None:
    """Record a distribution key from a YAML file; it holds from its `from` year on.

    \b
    Example:
      begroting key set docs/verdeelsleutel-ipo-2024.yaml
    """
    with errors(), open_ledger(ctx, write=True) as ledger:
        position = ledger.set_key(file)
        click.echo(f"Key from {file} set at position {position}." if position
                   else f"{file}: this key is already set; nothing to do.")


@cli.command()
@click.option("--year", "years", type=int, multiple=True, help="Years to show (default: the first).")
@click.pass_context
def demo(ctx: click.Context, years: tuple[int, ...]) -> None:
    """Build the BIJ12 Begroting 2024 demo ledger from the shipped documents and show it.

    Writes ./begroting-demo.db unless --ledger is given. It only ever writes a new ledger:
    running it again on a demo ledger it built changes nothing, and any other ledger (one
    made with `init`, or a demo someone recorded into) is refused, untouched.

    \b
    Example:
      begroting demo
      begroting --ledger begroting-demo.db explain "Faunazaken/Open-eind-regeling afhandelen faunaschades" --year 2024
    """
    from cli import render
    from ledger.demo import build_demo

    path = ctx.obj["ledger"] if ctx.obj["ledger_given"] else DEMO_LEDGER
    with errors():
        with build_demo(path, say=lambda text: click.echo(text, err=True)) as ledger:
            data = ledger.views.show(None, years=list(years) or [2024])
            console().print(render.show_table(data, title=f"Begroting {data.organisation} (demo: {path})"))


@cli.command()
@click.option("--year", "years", multiple=True, help="Only this year (repeatable).")
@click.option("--unit", help="Only this unit (id).")
@adopted_only_option()
@as_of_option(f"{AS_OF_HELP[:-1]}: the begroting as it stood then.")
@json_option()
@click.pass_context
def show(ctx: click.Context, years: tuple[str, ...], unit: str | None, adopted_only: bool, as_of: str | None,
         as_json: bool) -> None:
    """Show the begroting: lines, unit totals, lasten, baten and saldo per year.

    \b
    Example:
      begroting show --year 2024
      begroting show --as-of kaderbrief-2024 --adopted-only --json
    """
    from cli import render

    wanted = [whole(y, "--year", 1, 9999) for y in years]
    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        ledger.views.check_filters(unit=unit)
        ledger.views.check_years(wanted, point)
        data = ledger.views.show(point, adopted_only=adopted_only, years=wanted or None, unit=unit)
        if as_json:
            echo_json(data)
            return
        title = f"Begroting {data.organisation}"
        if as_of:
            title += f" — as of {as_of} (position {data.position})"
        if adopted_only:
            title += " — adopted documents only"
        console().print(render.show_table(data, title=title))


@cli.command()
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
@json_option()
@click.pass_context
def history(ctx: click.Context, kind: str | None, unit: str | None, line: str | None, document: str | None,
            document_kind: str | None, date_from: str | None, date_to: str | None, reference: str | None,
            grep: str | None, corrections: bool, as_of: str | None, as_json: bool) -> None:
    """List mutations and lifecycle events (adoption, withdrawal…) in ledger order.

    Filters compose: every one given must hold.

    \b
    Example:
      begroting history --kind verschuiving --unit gbo
      begroting history --document-kind voorjaarsnota --from 2024-01-01 --to 2024-06-30
      begroting history --reference "§6.1" --grep informatieveiligheid
      begroting history --corrections --json
    """
    from cli import render

    for value, option in ((date_from, "--from"), (date_to, "--to")):
        if value is not None:
            parse_date(value, option)
    unit_id, _, line_id = (line or "").partition("/")
    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        ledger.views.check_filters(kind=kind, unit=unit, line=line, document=document, document_kind=document_kind)
        rows = ledger.views.history(
            ledger.views.resolve_point(as_of), kind=kind, unit=unit or (unit_id if line else None), line=line_id or None,
            document=document, document_kind=document_kind, date_from=date_from, date_to=date_to,
            reference=reference, grep=grep, corrections=corrections,
        )
        if as_json:
            echo_json(rows)
        else:
            console().print(render.history_table(rows))


@cli.command()
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
    from cli import render

    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        doc = ledger.views.document(document_id, ledger.views.resolve_point(as_of))
        if doc is None:
            raise Failure(f"no document {document_id!r} in the ledger")
        if as_json:
            echo_json(doc)
        else:
            console().print(render.document_view(doc))


SQL_HELP = """Run one read-only SQL query over the read models (schema: docs/read-models.md).

    Exactly one statement, and it can only read: the read-model file is opened read-only
    (PostgreSQL: a READ ONLY transaction, rolled back, as the role begroting_reader that may
    only SELECT the read models). A query is stopped after 60 s (env BEGROTING_SQL_TIMEOUT_S).
    BLOB/bytea values print as hex. `pragma table_info(figures)` lists a table's columns.

    \b
    Example:
      begroting sql "{example}"
    """


@cli.command(help=SQL_HELP.format(example=EXAMPLE_QUERY))
@click.argument("query")
@json_option("Print rows as JSON objects.")
@click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")
@click.pass_context
def sql(ctx: click.Context, query: str, as_json: bool, as_csv: bool) -> None:
    from cli import render
    from projections.readonly import run_query

    with errors(), open_ledger(ctx, quiet=True) as ledger:
        columns, rows = run_query(ledger.location, query)
    if as_json:
        echo_json([dict(zip(columns, r)) for r in rows])
    elif as_csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        console().print(render.rows_table(columns, rows))


@cli.command()
@click.argument("figure", required=False)
@click.option("--year", "year_text", required=True, help="The year of the figure.")
@click.option("--total", is_flag=True, help="Explain the grand total instead of a unit or line.")
@click.option("--contribution", help="Explain a participant's contribution instead (name as in the key).")
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
            as_of: str | None, adopted_only: bool, limit_text: str, show_all: bool, waterfall: bool, svg: str | None,
            as_json: bool) -> None:
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
    """
    from cli import charts, render

    year = whole(year_text, "--year", 1, 9999)
    limit = whole(limit_text, "--limit", 1, 1_000_000)
    if contribution:
        from projections.rules import Rules

        with errors(), open_ledger(ctx, quiet=as_json) as ledger:
            point = ledger.views.resolve_point(as_of)
            result = Rules(ledger.views).contribution(contribution, year, point, adopted_only=adopted_only)
        if as_json:
            echo_json(result)
        else:
            console().print(render.contribution_view(result))
        return
    if not total and not figure:
        raise Failure("name a FIGURE (unit or unit/line) or give --total or --contribution")
    if svg:
        from ledger.outputs import check_output
        from ledger.storage import Location

        with errors():
            check_output(svg, Location.parse(ctx.obj["ledger"]), "--svg")
    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        fig = ledger.views.total_figure() if total else ledger.views.resolve_figure(figure or "")
        ledger.views.check_years([year], point)
        # The waterfall needs every document's part, so it takes the whole trail.
        every_step = show_all or waterfall or bool(svg)
        result = ledger.views.explain(fig, year, point, adopted_only=adopted_only, limit=None if every_step else limit)
        if svg:
            from ledger.outputs import replacing

            with replacing(svg, ledger.location, "--svg") as temporary:
                charts.waterfall_svg(result, temporary)
        if as_json:
            echo_json(result)
            return
        out = console()
        if fig.kind == "line":
            out.print(render.explain_table(result))
        else:
            out.print(render.explain_tree(result))
        if waterfall or svg:
            out.print(render.waterfall_text(result))
        if svg:
            out.print(f"Wrote {svg}")


@cli.command()
@click.argument("start")
@click.argument("end")
@click.option("--all", "show_all", is_flag=True, help="Also list lines that did not change.")
@adopted_only_option("Compare adopted figures only.")
@json_option()
@click.pass_context
def diff(ctx: click.Context, start: str, end: str, show_all: bool, adopted_only: bool, as_json: bool) -> None:
    """What changed between two points (documents, positions or dates), and why.

    \b
    Example:
      begroting diff kaderbrief-2024 begroting-2024
    """
    from cli import render

    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        a, b = ledger.views.resolve_point(start), ledger.views.resolve_point(end)
        result = ledger.views.diff(a, b, adopted_only=adopted_only, show_all=show_all)
        if as_json:
            echo_json(result)
        else:
            console().print(render.diff_table(result, title=f"From {start} (position {a}) to {end} (position {b})"))


@cli.command()
@click.option("--year", required=True, help="The year to split.")
@adopted_only_option()
@as_of_option()
@json_option()
@click.pass_context
def contributions(ctx: click.Context, year: str, adopted_only: bool, as_of: str | None, as_json: bool) -> None:
    """Split what is to be covered (te dekken) over the participants, to the cent.

    \b
    Example:
      begroting contributions --year 2024
    """
    _print_rule(ctx, year, as_of, adopted_only, as_json, ask=lambda rules: rules.contributions,
                draw=lambda render: render.contributions_table)


def _print_rule(ctx: click.Context, year_text: str, as_of: str | None, adopted_only: bool, as_json: bool, *,
                ask: Callable[[Any], Callable[..., Any]], draw: Callable[[Any], Callable[[Any], Any]]) -> None:
    """A budget rule of projections.rules for a year (``ask`` picks it from the Rules), as JSON
    or drawn by the cli.render function that ``draw`` picks."""
    from cli import render
    from projections.rules import Rules

    year = whole(year_text, "--year", 1, 9999)
    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        point = ledger.views.resolve_point(as_of)
        ledger.views.check_years([year], point)
        result = ask(Rules(ledger.views))(year, point, adopted_only=adopted_only)
        if as_json:
            echo_json(result)
        else:
            console().print(draw(render)(result))


@cli.command()
@click.option("--year", required=True, help="The year to check.")
@adopted_only_option()
@as_of_option()
@json_option()
@click.pass_context
def balance(ctx: click.Context, year: str, adopted_only: bool, as_of: str | None, as_json: bool) -> None:
    """Structural balance (structureel evenwicht): structural baten against structural lasten.

    Incidental items are listed apart; a year whose structural lasten exceed its structural
    baten is flagged.

    \b
    Example:
      begroting balance --year 2025
    """
    _print_rule(ctx, year, as_of, adopted_only, as_json, ask=lambda rules: rules.balance,
                draw=lambda render: render.balance_view)


@cli.command()
@json_option("Print the outcome as JSON.")
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """Drop the read models and rebuild them from the events alone.

    \b
    Example:
      begroting rebuild
    """
    from ledger.answers import Rebuilt
    from ledger.application import Ledger
    from ledger.storage import Location
    from projections.db import rebuild_lock

    def waiting() -> None:
        click.echo("note: another rebuild is running; waiting for it to finish", err=True)

    with errors():
        location = Location.parse(ctx.obj["ledger"])
        try:
            found = location.exists()
        except Exception:  # server down, wrong password…: Ledger.open says which
            found = False
        if not found:
            Ledger.open(ctx.obj["ledger"]).close()  # raises the usual one line
        with rebuild_lock(location, waiting), Ledger.open(ctx.obj["ledger"]) as ledger:
            count = with_progress(not as_json, "rebuilding the read models", ledger.rebuild)
        if as_json:
            echo_json(Rebuilt(count), compact=True)
        else:
            click.echo(f"Rebuilt the read models from {count} events.")


@cli.command()
@click.option("--digest", help="A digest kept earlier (position:sha256): prove the ledger still extends it.")
@json_option("Print the outcome as JSON.")
@click.pass_context
def verify(ctx: click.Context, digest: str | None, as_json: bool) -> None:
    """Check the ledger: walk the hash chain, replay every event and compare the read models.

    Exits 1 naming the first bad position when anything was altered, removed or inserted.

    \b
    Example:
      begroting verify
      begroting verify --digest 412:5f2c…
    """
    from ledger.application import Ledger

    with errors(), Ledger.open(ctx.obj["ledger"]) as ledger:
        report = with_progress(not as_json, "replaying every event", lambda update: ledger.verify(digest, update))
        if as_json:
            from ledger.answers import Verified

            echo_json(Verified.of(report))
        elif report.ok:
            behind = report.views_position is not None and report.views_position < report.head_position
            views = (f"read models at position {report.views_position} of {report.head_position} match a replay up to there"
                     if behind else "read models match a replay")
            click.echo(f"ok: {report.events} events, hash chain intact, every event keeps the ledger's rules, {views}"
                       + (", ledger extends the digest" if digest else "") + f". Head: {report.digest}")
        else:
            for problem in report.problems:
                click.echo(f"TAMPERED: {problem}", err=True)
        if not report.ok:
            sys.exit(1)


@cli.command()
@json_option()
@click.pass_context
def digest(ctx: click.Context, as_json: bool) -> None:
    """Print the head of the hash chain (position:sha256) to keep outside the ledger.

    \b
    Example:
      begroting digest > digest-2024-06-01.txt
      begroting verify --digest "$(cat digest-2024-06-01.txt)"
    """
    from ledger.answers import Digest
    from ledger.application import Ledger

    with errors(), Ledger.open(ctx.obj["ledger"]) as ledger:
        head = Digest.parse(ledger.digest())
        if as_json:
            echo_json(head, compact=True)
        else:
            click.echo(str(head))


@cli.group()
def roles() -> None:
    """Controller and auditor roles on a shared PostgreSQL ledger.

    \b
    Example:
      begroting roles setup --controller ctl_user --auditor aud_user
    """


@roles.command("setup")
@click.option("--controller", required=True, help="The role that may record and adopt.")
@click.option("--auditor", required=True, help="The role that may only read, explain and verify.")
@click.option("--print", "print_only", is_flag=True, help="Only print the statements; apply nothing.")
@click.pass_context
def roles_setup(ctx: click.Context, controller: str, auditor: str, print_only: bool) -> None:
    """Create (if need be) and grant the two roles; run it as the ledger's owner.

    \b
    Example:
      begroting --ledger postgresql://owner@db/begroting roles setup --controller ctl_user --auditor aud_user
    """
    from ledger import roles as roles_module
    from ledger.application import Ledger

    with errors():
        with Ledger.open(ctx.obj["ledger"]) as ledger:
            sql = roles_module.statements(ledger.location, controller, auditor)
            for statement in sql:
                click.echo(roles_module.text(statement) + ";")
            if not print_only:
                roles_module.apply(ledger.location, sql)
                click.echo(f"-- applied: {controller} may record and adopt; {auditor} may read, explain and verify.")


@cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), help="Default: from the file name.")
@as_of_option("A document id, a ledger position or a date.")
@adopted_only_option()
@click.option("--bom", is_flag=True, help="CSV: write a UTF-8 byte order mark (for Excel).")
@click.pass_context
def export(ctx: click.Context, file: str, fmt: str | None, as_of: str | None, adopted_only: bool, bom: bool) -> None:
    """Export the begroting: xlsx (per-cell history), csv (a row per line and year) or json.

    \b
    Example:
      begroting export --format xlsx begroting-2024.xlsx --adopted-only
      begroting export begroting-2024.csv --bom
    """
    from cli import exports
    from ledger.outputs import check_output, replacing
    from ledger.storage import Location

    fmt = fmt or file.rsplit(".", 1)[-1].lower()
    if fmt not in ("xlsx", "csv", "json"):
        raise Failure(f"--format: give xlsx, csv or json (the file name {file!r} does not say)")
    with errors():
        check_output(file, Location.parse(ctx.obj["ledger"]), "FILE")
        with open_ledger(ctx, quiet=True) as ledger, replacing(file, ledger.location, "FILE") as temporary:
            snapshot = exports.Snapshot(ledger, ledger.views.resolve_point(as_of), adopted_only)
            write = {"xlsx": exports.write_xlsx, "json": exports.write_json}.get(
                fmt, lambda s, p: exports.write_csv(s, p, bom=bom))
            write(snapshot, temporary)
    click.echo(f"Wrote {file}.")


@cli.command("import")
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


@cli.command()
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


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--tolerance", default="0", show_default=True,
              help="Differences up to this much (in the row's own measure) are warnings, not errors.")
@as_of_option()
@adopted_only_option()
@json_option()
@click.pass_context
def reconcile(ctx: click.Context, file: str, tolerance: str, as_of: str | None, adopted_only: bool, as_json: bool) -> None:
    """Compare the ledger with a published table (CSV: unit, line, year, amount[, measure]).

    A blank line means the unit's lasten total; measure is euro (default), thousands or
    millions. Exits 1 on any mismatch beyond --tolerance.

    \b
    Example:
      begroting reconcile published-2024.csv --tolerance 0.05
    """
    from cli import render
    from ledger import reconcile as reconciling

    with errors():
        limit = reconciling.tolerance(tolerance)
    with errors(), open_ledger(ctx, quiet=as_json) as ledger:
        result = reconciling.reconcile(ledger.views, file, limit, ledger.views.resolve_point(as_of), adopted_only)
    if as_json:
        echo_json(result)
    else:
        console().print(render.reconcile_table(result))
    if result.mismatches:
        sys.exit(1)


def main() -> None:
    cli(prog_name="begroting")


if __name__ == "__main__":
    main()
