"""What can go wrong when the read models are asked a question, by name. These are the
root of every error a user can cause: ``ledger.errors`` re-exports them and adds the
ledger's own, so one ``except LedgerError`` catches both, and each message is one line
that the CLI prints as it is."""

from __future__ import annotations


class LedgerError(Exception):
    """Raised when a request cannot be carried out; the message is for the user."""


class UnknownFigure(LedgerError):
    """Raised when an address names no unit or line, or more than one."""


class UnknownPoint(LedgerError):
    """Raised when an --as-of value is neither a document, a position nor a date."""


class UnknownName(LedgerError):
    """Raised when a filter or option names a kind, unit, line, document or year the ledger
    does not have (a typo would otherwise give an empty answer)."""


class NoKeyInForce(LedgerError):
    """Raised when contributions are asked for a year that no distribution key covers."""


class NotPermitted(LedgerError):
    """Raised when the database refuses a write to this user (an auditor recording, say)."""


class QueryRefused(LedgerError):
    """Raised when a query would write, attach or configure, is not valid SQL, or runs too long."""


class NotClassified(LedgerError):
    """An Iv3 question asked of lines that have no taakveld and categorie."""
