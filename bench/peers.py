"""The same history in plain-text accounting, side by side: hledger and ledger-cli (when
installed) balance a journal of every mutation leg, and hledger answers an as-of question
(`bal -e DATE`, the postings dated before DATE). A tool that is not installed gives None.

Each transaction is dated with its document's date and posts to ``unit:line:year``, so the
balance is the begroting per line and year and `-e` cuts the history where ``--as-of`` does.
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


def peers(folder: Path, events: Path, as_of: str, tick: Callable[[int], None]) -> dict[str, float | None]:
    """``as_of``: the date of the document half-way (ISO); `-e` takes the day after, exclusive.
    ``tick`` is told how many of the four steps (journal, three balances) are done."""
    out: dict[str, float | None] = {"hledger_bal_s": None, "hledger_bal_as_of_s": None, "ledger_bal_s": None}
    if not any(shutil.which(tool) for tool in ("hledger", "ledger")):
        return out
    journal = folder / "history.journal"
    write_journal(events, journal)
    tick(1)
    end = (date.fromisoformat(as_of) + timedelta(days=1)).isoformat()
    for done, (name, command) in enumerate((
            ("hledger_bal_s", ["hledger", "-f", str(journal), "bal"]),
            ("hledger_bal_as_of_s", ["hledger", "-f", str(journal), "bal", "-e", end]),
            # ledger 3.3 fails to lay out its report on a terminal whose width it reads as nothing
            ("ledger_bal_s", ["ledger", "-f", str(journal), "bal", "--columns", "100"])), start=2):
        out[name] = seconds(command)
        tick(done)
    return out
