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
import time
from datetime import date, timedelta
from pathlib import Path


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
    if shutil.which(command[0]) is None:
        return None
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 3)


def peers(folder: Path, events: Path, as_of: str) -> dict[str, float | None]:
    """``as_of``: the date of the document half-way (ISO); `-e` takes the day after, exclusive."""
    out: dict[str, float | None] = {"hledger_bal_s": None, "hledger_bal_as_of_s": None, "ledger_bal_s": None}
    if not any(shutil.which(tool) for tool in ("hledger", "ledger")):
        return out
    journal = folder / "history.journal"
    write_journal(events, journal)
    end = (date.fromisoformat(as_of) + timedelta(days=1)).isoformat()
    out["hledger_bal_s"] = seconds(["hledger", "-f", str(journal), "bal"])
    out["hledger_bal_as_of_s"] = seconds(["hledger", "-f", str(journal), "bal", "-e", end])
    out["ledger_bal_s"] = seconds(["ledger", "-f", str(journal), "bal"])
    return out
