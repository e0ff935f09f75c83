"""The one check for free text that becomes part of an event, whatever door it comes in by:
a document file, a key file, a command-line option (`--organisation`, `--decision`,
`--reason`) or an imported history. docs/refused.md lists what it refuses and why."""

from __future__ import annotations

import getpass
import unicodedata
from typing import Any

from ledger.errors import LedgerError

# The longest text of each kind, in characters (after NFC normalisation).
MAX_CHARS = {"reason": 2000, "decision": 500, "title": 300, "reference": 200, "name": 200}

# Bidirectional overrides, embeddings, isolates and marks can make a text read differently
# from what is stored (U+061C is the Arabic letter mark).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class TextRefused(LedgerError):
    """Raised when a text given on the command line (or imported) holds a character the
    ledger refuses, or is longer than its kind allows."""


def normalise(value: str) -> str:
    """NFC, without surrounding white space: the form in which text is stored."""
    return unicodedata.normalize("NFC", value).strip()


def character_problem(value: str) -> str | None:
    """Why the text cannot be stored, or None. Refused: NUL, control characters other than
    tab and newline, bidirectional controls, invisible format characters (zero-width
    spaces and joiners, tag characters, soft hyphens…) and lone surrogates."""
    for c in value:
        if c == "\x00":
            return "contains a NUL character"
        if c in BIDI_CONTROLS:
            return f"contains a right-to-left/bidirectional control character (U+{ord(c):04X})"
        category = unicodedata.category(c)
        if category == "Cc" and c not in "\t\n\r":
            return f"contains a control character (U+{ord(c):04X})"
        if category == "Cf":
            return f"contains an invisible format character (U+{ord(c):04X})"
        if category == "Cs":
            return f"contains a lone surrogate (U+{ord(c):04X}), which is not valid Unicode"
    return None


def one_line(value: str) -> str:
    """``value`` for a message on one line of a terminal: every control, format, line- or
    paragraph-separator character escaped (``\\n``, ``\\x1b``, ``\\u202e``), so stored text
    cannot start a line of its own or move the cursor."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in value)


def text_problems(value: str, kind: str) -> list[str]:
    """Every reason the (normalised) text cannot be stored as a text of this kind."""
    out = []
    problem = character_problem(value)
    if problem:
        out.append(problem)
    limit = MAX_CHARS[kind]
    if len(value) > limit:
        out.append(f"is {len(value)} characters long; at most {limit}")
    return out


def checked_text(value: Any, option: str, kind: str) -> str:
    """The text normalised for storing, or TextRefused naming the option (or field)."""
    if not isinstance(value, str):
        raise TextRefused(f"{option}: must be text")
    try:
        value = normalise(value)
    except (TypeError, ValueError):
        raise TextRefused(f"{option}: is not valid text") from None
    problems = text_problems(value, kind)
    if problems:
        raise TextRefused(f"{option}: {problems[0]}")
    return value


def os_user() -> str:
    """Who runs this program, as the operating system names them (the actor on SQLite)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"
