"""What can go wrong, by name. Every error a user can cause derives from LedgerError,
and its message is one line that the CLI prints as it is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: where (file and field) and what."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


class LedgerError(Exception):
    """Raised when a request cannot be carried out; the message is for the user."""


class InvalidInput(LedgerError):
    """Raised when an input file has problems; carries every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LedgerNotFound(LedgerError):
    """Raised when a command needs a ledger that has not been initialised."""


class LedgerExists(LedgerError):
    """Raised when `init` is asked for a ledger that already exists."""


class DocumentNotFound(LedgerError):
    """Raised when a document id is not in the ledger."""


class LifecycleError(LedgerError):
    """Raised when a document cannot be adopted or withdrawn in its current status."""


class UnknownFigure(LedgerError):
    """Raised when an address names no unit or line, or more than one."""


class UnknownPoint(LedgerError):
    """Raised when an --as-of value is neither a document, a position nor a date."""


class LedgerCorrupt(LedgerError):
    """Raised when the event store fails its own checks (chain or rules), so nothing may be
    computed from it until an auditor has looked."""


class StorageError(LedgerError):
    """Raised when the store cannot be reached or refuses the request."""


class WriteConflict(LedgerError):
    """Raised when concurrent writers kept clashing after every retry."""


class NotPermitted(LedgerError):
    """Raised when the database refuses a write to this user (an auditor recording, say)."""


class UnknownName(LedgerError):
    """Raised when a filter or option names a kind, unit, line, document or year the ledger
    does not have (a typo would otherwise give an empty answer)."""
