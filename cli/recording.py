"""Commands that record: a new ledger, documents, their adoption and withdrawal, the
horizon, distribution keys, and the demo ledger."""

from __future__ import annotations

import click

from cli.common import (
    DEMO_LEDGER,
    Failure,
    adopted_only_option,
    console,
    echo_json,
    errors,
    json_option,
    open_ledger,
    parse_date,
    whole,
)


@click.command()
@click.option("--organisation", required=True, help="The organisation whose budget this is.")
@click.option("--years", required=True, help="The horizon, first-last, e.g. 2024-2027.")
@click.option("--kind", type=click.Choice(["organisation", "gr"]), default="organisation", show_default=True,
              help="gr: a joint body (gemeenschappelijke regeling) financed by its participants, whose "
                   "contributions `balance` counts as baten.")
@click.option("--overheidslaag", type=click.Choice(["provincie", "gemeente", "gr"]),
              help="The kind of public body, for the BBV and the CBS Iv3 code lists (gr implies --kind gr).")
@click.option("--overheidsnummer", default="", help="Its CBS number, for an Iv3 delivery.")
@click.pass_context
def init(ctx: click.Context, organisation: str, years: str, kind: str, overheidslaag: str | None,
         overheidsnummer: str) -> None:
    """Create a new ledger for an organisation and a horizon of years.

    \b
    Example:
      begroting init --organisation "BIJ12" --years 2024-2027
      begroting init --organisation "GR Drie" --years 2025-2028 --overheidslaag gr
    """
    from ledger.application import Ledger

    first, _, last = (part.strip() for part in years.partition("-"))
    if not all(part.isascii() and part.isdigit() and len(part) == 4 for part in (first, last)):
        raise Failure(f"--years: {years[:30]!r} is not a horizon; write first-last, e.g. 2024-2027")
    if overheidsnummer and not overheidslaag:
        raise Failure("--overheidsnummer: give --overheidslaag too (the number is CBS's for that kind of body)")
    with errors():
        opened = Ledger.init(ctx.obj["ledger"], organisation, int(first), int(last),
                             "gr" if "gr" in (kind, overheidslaag) else "organisation",
                             overheidslaag=overheidslaag or "", overheidsnummer=overheidsnummer)
        with opened as ledger:
            click.echo(f"Created ledger {ledger.location} for {organisation}, {first}-{last}.")


@click.command()
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
    from cli import render_participants, render_records
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
                if len(files) > 1:
                    out.print("Each file is checked against the ledger as it is, not after the files before it.")
                out.print(render_records.changes_table(result.changes, title=f"Effect of {result.document}"))
                out.print(render_records.totals_table(result.totals, title=f"Effect of {result.document} on the totals"))
                if result.participants:
                    out.print(render_participants.participants_effect_table(result.participants,
                                                               title=f"What {result.document} costs each participant"))
                if result.programmas:
                    from cli.bbv import programma_change_view

                    out.print(programma_change_view(result.programmas, f"Effect of {result.document} per programma"))
        if as_json:
            from ledger.answers import Recorded

            echo_json([Recorded.of(r) for r in results])


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
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
            out = console()
            out.print(render.show_table(data, title=f"Begroting {data.organisation} (demo: {path})", width=out.width))


COMMANDS = [init, record, adopt, withdraw, extend, demo]
