"""Commands that prove: verify the hash chain and the read models, print the digest to keep,
rebuild the read models from the events, and set up the roles of a shared ledger."""

from __future__ import annotations

import sys

import click

from cli.common import echo_json, errors, json_option, with_progress


@click.command()
@json_option("Print the outcome as JSON.")
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """Drop the read models and rebuild them from the events alone.

    \b
    Example:
      begroting rebuild
    """
    from ledger.answers import Rebuilt
    from ledger.maintenance import opened_for_rebuild

    def waiting() -> None:
        click.echo("note: another rebuild is running; waiting for it to finish", err=True)

    with errors():
        with opened_for_rebuild(ctx.obj["ledger"], waiting) as ledger:
            count = with_progress(not as_json, "rebuilding the read models", ledger.rebuild)
        if as_json:
            echo_json(Rebuilt(count), compact=True)
        else:
            click.echo(f"Rebuilt the read models from {count} events.")


@click.command()
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
            if not report.ok:
                sys.exit(1)
            return
        from ledger.text import one_line

        for finding in report.findings:
            click.echo(f"finding: {one_line(finding)}")
        if report.ok:
            behind = report.views_position is not None and report.views_position < report.head_position
            views = (f"read models at position {report.views_position} of {report.head_position} "
                     "match a replay up to there" if behind else "read models match a replay")
            n = len(report.findings)
            rules = ("every event keeps the ledger's rules" if not n else
                     f"every event keeps the ledger's rules but the {n} finding{'s' if n > 1 else ''} above "
                     "(recorded by an earlier version, acknowledged by the owner)")
            click.echo(f"ok: {report.events} events, hash chain intact, {rules}, {views}"
                       + (", ledger extends the digest" if digest else "") + f". Head: {report.digest}")
        elif report.problems:
            for problem in report.problems:
                click.echo(f"TAMPERED: {one_line(problem)}", err=True)
        else:
            for finding in report.unacknowledged:
                click.echo(f"UNACKNOWLEDGED: {one_line(finding)}", err=True)
            n = len(report.unacknowledged)
            click.echo(f"{n} event(s) break today's rules; if an earlier version of begroting recorded them "
                       "(check who recorded each, and when), the owner signs them off with "
                       f"`begroting acknowledge --findings {n}`", err=True)
        if not report.ok:
            sys.exit(1)


@click.command()
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


@click.group()
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


@click.command()
@click.option("--findings", "count", type=int, required=True,
              help="How many events `verify` lists as unacknowledged: they are signed off only all together.")
@click.pass_context
def acknowledge(ctx: click.Context, count: int) -> None:
    """Sign off what an earlier version of begroting recorded and today's rules refuse.

    Ledgers recorded before today's rules may hold events those versions allowed (a shift
    between lasten and baten that changes the saldo, writers' clocks seconds apart, a reserve
    below zero, a withdrawn document still corrected). `verify` lists them and fails until
    the owner acknowledges them: an event that names each one, word for word, and from which
    today's rules hold. Nothing else is ever acknowledged: a forgery added later fails again.

    \b
    Example:
      begroting verify
      begroting acknowledge --findings 3
    """
    from ledger.application import Ledger

    with errors(), Ledger.open(ctx.obj["ledger"], write=True) as ledger:
        position = ledger.acknowledge(count)
        click.echo(f"Acknowledged {count} finding(s) at position {position}; today's rules hold from here on.")


COMMANDS = [verify, digest, rebuild, roles, acknowledge]
