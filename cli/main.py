"""The `begroting` command: one click group, its commands registered from modules by theme
(``cli.recording``, ``cli.questions``, ``cli.integrity``, ``cli.exchange``). Each command
parses its options, makes one call into the ledger or its read models, and renders the
answer (rich for people, --json for machines). Heavy imports happen inside commands so that
`begroting --help` starts fast."""

from __future__ import annotations

import click

from cli import bbv, exchange, integrity, participants, questions, recording, reserves, serve
from cli.common import DEFAULT_LEDGER, Failure


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


for _module in (recording, participants, questions, integrity, exchange, reserves, bbv, serve):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="begroting")


if __name__ == "__main__":
    main()
