"""The same history in plain-text accounting, side by side: hledger and ledger-cli (when
installed) each answer three questions on a journal of every mutation leg: the balance
(`bal`), the balance as of a date (`bal -e DATE`, the postings dated before DATE) and the
register of one line (`reg`, every posting to it). A tool that is not installed gives None.

Each transaction is dated with its document's date and posts to ``unit:line:year``, so the
balance is the begroting per line and year, `-e` cuts the history where ``--as-of`` does,
and the register of ``unit:line`` lists the postings of the mutations `history --line`
lists (one row per leg and year there, one per mutation here).

``ratios`` sets each peer figure beside the `begroting` process that answers the same
question: peer seconds ÷ ours, so above 1 means `begroting` is the faster.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

# peer figure → (the begroting figure beside it, what each command is; for the printed table)
PAIRS: dict[str, tuple[str, str, str]] = {
    "hledger_bal_s": ("show_cli_ms_p50", "hledger bal", "show"),
    "hledger_bal_as_of_s": ("show_as_of_cli_ms_p50", "hledger bal -e DATE", "show --as-of"),
    "hledger_reg_s": ("history_line_cli_ms_p50", "hledger reg ^UNIT:LINE:", "history --line --all"),
    "ledger_bal_s": ("show_cli_ms_p50", "ledger bal", "show"),
    "ledger_bal_as_of_s": ("show_as_of_cli_ms_p50", "ledger bal -e DATE", "show --as-of"),
    "ledger_reg_s": ("history_line_cli_ms_p50", "ledger reg ^UNIT:LINE:", "history --line --all"),
}


def write_journal(events: Path, journal: Path) -> None:
    conn = sqlite3.connect(events)
    try:
        with open(journal, "w") as out:
            for (state,) in conn.execute(
                    "SELECT state FROM stored_events WHERE topic='begroting:DocumentRecorded' ORDER BY rowid"):
                doc = json.loads(state)
                header = doc["header"]
                for m in doc["mutations"]:
                    for leg in m["legs"]:
                        for year, cents in leg["amounts_cents"].items():
                            out.write(f"{header['date']} {header['id']}/{m['seq']}\n"
                                      f"    {leg['unit']}:{leg['line']}:{year}  {cents / 100:.2f} EUR\n"
                                      f"    mutaties\n\n")
    finally:
        conn.close()


def seconds(command: list[str]) -> float | None:
    """The command's wall time; None when it is not installed or fails (said on stderr)."""
    if shutil.which(command[0]) is None:
        return None
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"{' '.join(command[:1] + command[3:])} failed, left out: {tail}", file=sys.stderr)
        return None
    return round(time.perf_counter() - started, 3)


def peers(folder: Path, events: Path, as_of: str, line: str,
          tick: Callable[[int], None]) -> dict[str, float | None]:
    """``as_of``: the date of the document half-way (ISO); `-e` takes the day after, exclusive.
    ``line``: ``unit/line``, whose register is asked. ``tick`` is told how many of the seven
    steps (journal, six commands) are done."""
    out: dict[str, float | None] = dict.fromkeys(PAIRS)
    if not any(shutil.which(tool) for tool in ("hledger", "ledger")):
        return out
    journal = folder / "history.journal"
    write_journal(events, journal)
    tick(1)
    end = (date.fromisoformat(as_of) + timedelta(days=1)).isoformat()
    account = "^" + line.replace("/", ":") + ":"  # a regular expression: this line's years, no other line
    # ledger 3.3 fails to lay out its report on a terminal whose width it reads as nothing
    wide = ["--columns", "100"]
    commands = {
        "hledger_bal_s": ["hledger", "-f", str(journal), "bal"],
        "hledger_bal_as_of_s": ["hledger", "-f", str(journal), "bal", "-e", end],
        "hledger_reg_s": ["hledger", "-f", str(journal), "reg", account],
        "ledger_bal_s": ["ledger", "-f", str(journal), "bal", *wide],
        "ledger_bal_as_of_s": ["ledger", "-f", str(journal), "bal", "-e", end, *wide],
        "ledger_reg_s": ["ledger", "-f", str(journal), "reg", account, *wide],
    }
    for done, (name, command) in enumerate(commands.items(), start=2):
        out[name] = seconds(command)
        tick(done)
    return out


def ratios(figures: dict) -> dict[str, float | None]:
    """``<peer figure>_ratio``: the peer's seconds ÷ the `begroting` process beside it."""
    out: dict[str, float | None] = {}
    for peer, (ours, _, _) in PAIRS.items():
        theirs, mine = figures.get(peer), figures.get(ours)
        out[peer.removesuffix("_s") + "_ratio"] = round(theirs * 1000 / mine, 2) if theirs and mine else None
    return out


def table(figures: dict) -> list[tuple[str, str, str, str, str]]:
    """Rows (peer command, its time, our command, its time, ratio) for the printed table."""
    rows = []
    for peer, (ours, theirs_said, ours_said) in PAIRS.items():
        ratio = figures.get(peer.removesuffix("_s") + "_ratio")
        theirs, mine = figures.get(peer), figures.get(ours)
        rows.append((theirs_said, "—" if theirs is None else f"{theirs:,.2f} s", f"begroting {ours_said}",
                     "—" if mine is None else f"{mine / 1000:,.2f} s",
                     "—" if ratio is None else f"{ratio:,.2f} ×"))
    return rows
