"""What can go wrong, by name. Every error a user can cause derives from LedgerError,
and its message is one line that the CLI prints as it is. The base and the errors of the
read models are defined in ``projections.errors`` (the lower layer) and re-exported here."""

from __future__ import annotations

from dataclasses import dataclass

from projections.errors import (  # noqa: F401  (re-exported)
    LedgerError,
    NoKeyInForce,
    NotPermitted,
    QueryRefused,
    UnknownFigure,
    UnknownName,
    UnknownPoint,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: where (file and field) and what."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


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


class LedgerCorrupt(LedgerError):
    """Raised when the event store fails its own checks (chain or rules), so nothing may be
    computed from it until an auditor has looked."""


class StorageError(LedgerError):
    """Raised when the store cannot be reached or refuses the request."""


class WriteConflict(LedgerError):
    """Raised when concurrent writers kept clashing after every retry."""
