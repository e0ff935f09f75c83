"""How an amount or a percentage is shown to a person: the one notation every front end
uses (terminal, xlsx comments, HTML, the web pages). Dutch: thousands dots, a decimal comma,
the minus after the euro sign ("€ -300.000"), cents only when there are any. JSON and CSV
carry plain decimal text instead (``ledger.money.decimal_text``)."""

from __future__ import annotations


def euro(cents: int, *, symbol: bool = True) -> str:
    """Dutch notation, the one way an amount is shown to a person: ``5391690800`` →
    ``€ 53.916.908``, ``-30000050`` → ``€ -300.000,50``; cents only when there are any."""
    whole, rest = divmod(abs(cents), 100)
    text = ("-" if cents < 0 else "") + _thousands(whole)
    if rest:
        text += f",{rest:02d}"
    return f"€ {text}" if symbol else text


def exact_euro(text: str) -> str:
    """An exact amount in euros given as decimal text (a share to six decimals), in the same
    notation with the decimals it needs but at least two: "2204763.394800" → "€ 2.204.763,3948"."""
    whole, _, decimals = text.partition(".")
    return f"€ {number(whole)},{decimals.rstrip('0').ljust(2, '0')}"


def number(text: str) -> str:
    """A decimal number given as text, in Dutch notation with the decimals it has:
    "-1234567.5" → "-1.234.567,5", "53.9" → "53,9"."""
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text.lstrip("+"))
    whole, dot, decimals = text.partition(".")
    return f"{sign}{_thousands(int(whole or 0))}" + (f",{decimals}" if dot and decimals else "")


def percent(text: str) -> str:
    """A percentage given as decimal text, in Dutch notation: "5.2" → "5,2 %"."""
    return f"{number(text)} %"


def _thousands(whole: int) -> str:
    return f"{whole:,}".replace(",", ".")
