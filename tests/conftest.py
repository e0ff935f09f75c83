"""Shared test helpers: a real ledger file in a temp folder and the CLI run in-process."""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli


class Cli:
    """Runs `begroting --ledger <tmp ledger> ...` in-process and keeps the output."""

    def __init__(self, ledger: Path | str, folder: Path):
        self.ledger = ledger  # a SQLite file, or a postgresql:// URL
        self.folder = folder
        self.runner = CliRunner(env={"COLUMNS": "250"})

    def __call__(self, *args: str, ok: bool = True):
        result = self.runner.invoke(cli, ["--ledger", str(self.ledger), *args], catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"begroting {' '.join(args)} exited {result.exit_code}:\n{result.output}")
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)

    def write(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return str(path)

    def record(self, name: str, text: str, *extra: str):
        return self("record", self.write(name, text), *extra)

    @property
    def backend(self) -> str:
        return "postgresql" if str(self.ledger).startswith("postgresql://") else "sqlite"

    def event_count(self) -> int:
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(str(self.ledger)) as conn:
                return conn.execute("SELECT COUNT(*) FROM begroting_events").fetchone()[0]
        with sqlite3.connect(self.ledger) as conn:
            return conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]

    def line(self, show: dict, address: str) -> dict[str, str]:
        unit, line = address.split("/")
        return next(x for x in show["lines"] if x["unit"] == unit and x["line"] == line)["years"]


# A small adopted begroting with a reserve of € 1.000, a lasten and a baten line.
RESERVE_BASE = """
document: {id: basis, kind: begroting, title: Basis, date: 2025-01-01, status: adopted, decision: AB}
chart:
  - unit: u
    name: U
    lines:
      - {id: res, name: Reserve, type: reserve, opening_balance: 1000}
      - {id: p, name: Personeel, type: lasten, cost: personeel}
      - {id: b, name: Baten, type: baten}
mutations:
  - {kind: wijziging, line: u/p, amounts: {2025: 900000}, structural: true, reason: basis}
"""

PG_SERVER = os.environ.get("BEGROTING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("sqlite", "postgresql", "both"), default="both",
                     help="Run the ledger/projection/CLI tests on SQLite, on PostgreSQL, or on both (default).")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("backend")
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if chosen == "both" else [chosen],
                             scope="module" if "demo" in metafunc.fixturenames else "function")


def postgres_or_skip() -> None:
    """PostgreSQL tests never skip in CI; elsewhere they skip when no server answers."""
    import psycopg

    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.Error as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER} in CI: {e}")
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} ({str(e).strip().splitlines()[0]})")


class FreshDatabase:
    """A database created for one test (or module) and dropped afterwards."""

    def __init__(self):
        import psycopg

        postgres_or_skip()
        self.name = f"begroting_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        self.url = f"{PG_SERVER}/{self.name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def ledger_address(tmp_path: Path, backend: str):
    if backend == "sqlite":
        yield tmp_path / "ledger.db"
        return
    db = FreshDatabase()
    try:
        yield db.url
    finally:
        db.drop()


@pytest.fixture
def bg(tmp_path: Path, ledger_address) -> Cli:
    return Cli(ledger_address, tmp_path)


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Cli:
    """The demo ledger (SQLite), built once per test module: for tests that only read it, or
    that add documents of their own after what they check of the demo."""
    folder = tmp_path_factory.mktemp("demo")
    bg = Cli(folder / "begroting-demo.db", folder)
    bg("demo")
    return bg


CHART = """
document:
  id: kb-2025
  kind: kaderbrief
  title: Kaderbrief 2025
  date: 2024-03-21
  status: adopted
  decision: Bestuur 21-03-2024
chart:
  - unit: alpha
    name: Eenheid Alpha
    lines:
      - {id: personeel, name: Personele kosten, type: lasten, cost: personeel}
      - {id: uitvoering, name: Uitvoeringskosten, type: lasten, cost: materieel}
  - unit: beta
    name: Eenheid Beta
    lines:
      - {id: personeel, name: Personele kosten, type: lasten, cost: personeel}
      - {id: subsidie, name: Rijksbijdrage, type: baten}
      - {id: reserve, name: Reserve Beta, type: reserve, opening_balance: 1000}
mutations:
  - kind: wijziging
    line: alpha/personeel
    amounts: {2025: 1000000}
    structural: true
    reason: Basis formatie
    reference: "§1"
  - kind: wijziging
    line: alpha/uitvoering
    amounts: {2025: 250015.00, 2027: 300000}
    structural: true
    reason: Basis uitvoering
    reference: "§2"
  - kind: wijziging
    line: beta/personeel
    amounts: {2025: 400000, 2026: 100000}
    reason: Tijdelijke inhuur
    reference: "§3"
  - kind: wijziging
    line: beta/subsidie
    amounts: {2025: 300000}
    structural: true
    reason: Rijksbijdrage
    reference: "§4"
"""


@pytest.fixture
def kaderbrief(bg: Cli) -> Cli:
    """A ledger for 2025-2027 with the adopted Kaderbrief 2025 recorded."""
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    return bg
