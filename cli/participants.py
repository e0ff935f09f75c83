"""The participants' commands: distribution keys (set, list, show) and what each participant
pays (contributions for a year, or what changed between two points)."""

from __future__ import annotations

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
)


@click.group()
def key() -> None:
    """Distribution keys (verdeelsleutels): who pays which share of what is to be covered.

    A key without a scope is the general key; a key with `scope: [unit or unit/line, …]`
    covers only those units and lines. For a line, the most specific key in force wins.

    \b
    Example:
      begroting key set verdeelsleutel-2024.yaml
      begroting key list
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


@key.command("list")
@json_option()
@click.pass_context
def key_list(ctx: click.Context, as_json: bool) -> None:
    """Every key as set: id, from which year, scope and participants.

    \b
    Example:
      begroting key list --json
    """
    _show_keys(ctx, None, as_json)


@key.command("show")
@click.argument("key_id")
@json_option()
@click.pass_context
def key_show(ctx: click.Context, key_id: str, as_json: bool) -> None:
    """One key: from which year, its scope, and each participant's percentage.

    \b
    Example:
      begroting key show ipo-2024
    """
    _show_keys(ctx, key_id, as_json)


def _show_keys(ctx: click.Context, key_id: str | None, as_json: bool) -> None:
    from projections.contributions import ContributionQueries

    with errors(), open_views(ctx, quiet=as_json) as ledger:
        keys = ContributionQueries(ledger.views).keys(key_id)
    if as_json:
        echo_json(keys[0] if key_id is not None else list(keys))
    else:
        from cli import render_participants

        console().print(render_participants.keys_table(keys, participants=key_id is not None))


@click.command()
@click.option("--year", help="The year to split.")
@click.option("--diff", "points", nargs=2, metavar="A B",
              help="What changed for each participant between two points (documents, positions or dates).")
@click.option("--by", type=click.Choice(["document", "unit", "line", "category"]),
              help="Break each participant's amount down (with --year).")
@click.option("--round", "rounding", type=click.Choice(["euro"]),
              help="Round to whole euros that sum to the rounded total; the rest is the afronding.")
@adopted_only_option()
@as_of_option()
@json_option()
@click.pass_context
def contributions(ctx: click.Context, year: str | None, points: tuple[str, str] | None, by: str | None,
                  rounding: str | None, adopted_only: bool, as_of: str | None, as_json: bool) -> None:
    """What each participant pays: te dekken split by the keys in force and the mutations'
    own splits, each key's part to the cent by largest remainder.

    \b
    Example:
      begroting contributions --year 2024
      begroting contributions --year 2024 --by document
      begroting contributions --year 2024 --round euro
      begroting contributions --diff begroting-2024 voorjaarsnota-2024
    """
    from cli import render_participants
    from projections.contributions import ContributionQueries

    if (year is None) == (points is None):
        raise Failure("give --year Y, or --diff A B")
    if points is not None and (by or as_of):
        raise Failure("--by and --as-of go with --year, not with --diff")
    shown: object
    with errors(), open_views(ctx, quiet=as_json) as ledger:
        ask = ContributionQueries(ledger.views)
        if points is not None:
            a, b = (ledger.views.resolve_point(p) for p in points)
            head = ledger.views.head()
            changed = ask.diff(head if a is None else a, head if b is None else b, a_label=points[0],
                               b_label=points[1], adopted_only=adopted_only, round_euro=rounding == "euro")
            shown = changed if as_json else render_participants.contributions_diff_table(changed)
        else:
            number = whole(year or "", "--year", 1, 9999)
            point = ledger.views.resolve_point(as_of)
            ledger.views.check_years([number], point)
            split = ask.contributions(number, point, adopted_only=adopted_only, by=by, round_euro=rounding == "euro")
            shown = split if as_json else render_participants.contributions_table(split)
    if as_json:
        echo_json(shown)
    else:
        console().print(shown)


COMMANDS = [key, contributions]
