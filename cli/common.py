"""What every command shares: opening the ledger, the one error path (a ``Failure``: one line
per problem on stderr, exit code 1), progress bars, printing JSON, and the options that many
commands take. Heavy imports happen inside functions so that `begroting --help` starts fast."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import date
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

import click

if TYPE_CHECKING:
    from ledger.application import Ledger
    from ledger.reading import ReadModels

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
    """Print an answer as JSON (ledger.answer_json.dumps: amounts as decimal euro text)."""
    from ledger.answer_json import dumps

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


def open_views(ctx: click.Context, *, quiet: bool = False) -> Ledger | ReadModels:
    """The read models of ``--ledger`` for a question that only reads them (``views``,
    ``location``): opened without the event store's library when they are caught up and
    bound to this ledger's events (``ledger.reading``), else as ``open_ledger`` opens them."""
    from ledger.reading import open_caught_up

    found = open_caught_up(ctx.obj["ledger"])
    return found if found is not None else open_ledger(ctx, quiet=quiet)


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
