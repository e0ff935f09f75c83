"""Money is integer cents. These are the only ways in (from text) and out (to JSON and
spreadsheets); ``projections.notation`` is how an amount is shown to a person."""

from __future__ import annotations

import re
from decimal import Decimal

MAX_EUROS = 10**15
# ASCII digits only: \d would also take Bengali, Arabic-Indic or fullwidth digits.
_PLAIN = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]{1,2}))?$")
_TOO_PRECISE = re.compile(r"^[+-]?[0-9]+\.[0-9]{3,}$")


class AmountError(ValueError):
    """Raised when a text is not an amount in plain euros with at most two decimals."""


def parse_cents(text: str) -> int:
    """``"4100.15"`` → ``410015``. Only plain numbers with a dot and at most two
    decimals are accepted; Dutch (``1.234,56``), thousands separators, exponents,
    NaN, infinities and digits other than ASCII 0-9 are refused rather than guessed at."""
    text = str(text).strip()
    m = _PLAIN.match(text)
    if not m:
        if _TOO_PRECISE.match(text):
            raise AmountError(f"amount {text!r} has more than 2 decimals")
        raise AmountError(
            f"amount {text!r} is not a plain number: write euros with a dot and at most "
            "2 decimals, e.g. 1234.56"
        )
    sign, euros, decimals = m.groups()
    if len(euros.lstrip("0")) > 15 or int(euros) >= MAX_EUROS:
        raise AmountError(f"amount {text!r} is beyond 10^15 euro")
    cents = int(euros) * 100 + int((decimals or "0").ljust(2, "0"))
    return -cents if sign == "-" else cents


def decimal_text(cents: int) -> str:
    """``410015`` → ``"4100.15"`` (for JSON: always two decimals)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


def to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def round_half_away(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (no floats)."""
    q, r = divmod(abs(numerator), abs(denominator))
    if 2 * r >= abs(denominator):
        q += 1
    return q if (numerator >= 0) == (denominator > 0) else -q
