"""What the web tests share: a story ledger (the Kaderbrief, a key, a document whose text is
the HTML report test's XSS corpus, the Voorjaarsnota) on SQLite or PostgreSQL, a real
`begroting serve` in a child process, and the documents a controller uploads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from tests.conftest import CHART, Cli, FreshDatabase
from tests.test_core import VOORJAARSNOTA
from tests.test_exports import INJECT

TEST_HOSTS = ("127.0.0.1", "localhost", "testserver")  # Starlette's TestClient asks as "testserver"
ROOT = Path(__file__).resolve().parent.parent
KEY = """
key:
  id: sleutel-2025
  from: 2025
  participants:
    - {name: Gemeente Een, percentage: 60}
    - {name: Gemeente Twee, percentage: 40}
"""
# A good upload: a begrotingswijziging that adds € 12.345,67 to alpha/personeel in 2026.
GOOD_UPLOAD = """
document: {id: bw-web, kind: begrotingswijziging, title: "Wijziging uit de browser", date: 2025-09-01}
mutations:
  - {kind: wijziging, line: alpha/personeel, amounts: {2026: 12345.67}, reason: "Extra formatie <b>web</b>"}
"""
# A bad upload: two problems, both reported, nothing recorded.
BAD_UPLOAD = """
document: {id: bw-bad, kind: begrotingswijziging, title: "Fout", date: 2025-09-01}
mutations:
  - {kind: wijziging, line: alpha/bestaatniet, amounts: {2026: 10}, reason: x}
  - {kind: verschuiving, reason: y, legs: [{line: alpha/personeel, amounts: {2025: -5}}, {line: beta/personeel, amounts: {2025: 4}}]}
"""


def story(bg: Cli) -> Cli:
    """The ledger every web test reads: the adopted Kaderbrief (position 5 after its
    adoption in the same save), a key, the injection document, the proposed Voorjaarsnota."""
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    bg("key", "set", bg.write("key.yaml", KEY))
    bg.record("inject.yaml", INJECT)
    bg.record("vjn.yaml", VOORJAARSNOTA)
    return bg


def story_ledger(folder: Path, backend: str) -> Iterator[Cli]:
    """A story ledger on SQLite (a file in ``folder``) or in a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield story(Cli(folder / "ledger.db", folder))
        return
    db = FreshDatabase()
    try:
        yield story(Cli(db.url, folder))
    finally:
        db.drop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`begroting serve` in a child process, as a user starts it."""

    def __init__(self, ledger: str, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--ledger", ledger, "serve", "--port", str(self.port), *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited {self.process.returncode}: {self.process.stdout.read() if self.process.stdout else ''}")
            try:
                urllib.request.urlopen(self.url + "/integrity", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("serve did not answer within 30 s")

    def stop(self) -> str:
        """Ctrl-C, as a user stops it; returns what it printed."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read() if self.process.stdout else ""
