"""A reserve's balance through the years, and whether a change takes it below zero."""

from __future__ import annotations

from ledger.domain import LedgerState


class Shifted:
    """``figures`` with ``delta`` added, without copying ``figures``: what a change would
    make of them, for the checks to read before the change is applied."""

    def __init__(self, figures: dict[tuple[str, int], int], delta: dict[tuple[str, int], int]):
        self.figures, self.delta = figures, delta

    def get(self, key: tuple[str, int], default: int = 0) -> int:
        return self.figures.get(key, default) + self.delta.get(key, 0)


Figures = dict[tuple[str, int], int] | Shifted  # (line address, year) → cents


def shortfall(address: str, figures: Figures, ledger: LedgerState,
              before: Figures | None = None) -> tuple[int, int] | None:
    """(year, balance) of the first year a reserve's balance is below zero, or None. With
    ``before``, only a year whose balance is also lower than with those figures counts: a
    change may not take a reserve below zero, nor deeper below it, but it may leave a
    reserve that an older program took below zero as it was, or raise it."""
    balance = was = ledger.lines[address].opening_balance_cents
    for year in ledger.years:
        balance += figures.get((address, year), 0)
        if before is not None:
            was += before.get((address, year), 0)
        if balance < 0 and (before is None or balance < was):
            return year, balance
    return None
