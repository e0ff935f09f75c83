"""Trust under hostile and unlucky conditions: no new event is computed from anything but the
events, checks and saves are one step, sums stay within storage, and `verify` proves the
domain's rules on every event, not only the bytes of the chain."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from events import (
    DocumentAdopted,
    DocumentHeader,
    DocumentRecorded,
    IndexedLine,
    Leg,
    Mutation,
    MutationRef,
    document_aggregate_id,
)
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.integrity import link_hash
from ledger.mapper import PydanticMapper, event_from_stored
from ledger.parsing import document_from_mapping
from ledger.reserves import shortfall
from ledger.synthetic import HistoryGenerator
from tests.conftest import RESERVE_BASE as BASE
from tests.conftest import Cli
from tests.forgery import insert_well_chained
from tests.processes import race

STORAGE_LIMIT_CENTS = 2**63 - 1  # what SQLite INTEGER and PostgreSQL bigint hold



INDEX = """
document: {id: idx, kind: voorjaarsnota, title: Indexatie, date: 2025-04-01}
mutations:
  - {kind: indexatie, year: 2025, rates: {personeel: 10}, lines: [u/p], reason: loon}
"""


def figure(bg: Cli, address: str, year: int) -> str:
    return bg.line(bg.json("show"), address)[str(year)]


# ---------------------------------------------------------------- read models are never an input


def test_indexation_base_comes_from_the_events_not_from_tampered_read_models(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    if bg.backend == "sqlite":
        with sqlite3.connect(Path(str(bg.ledger)).with_name("ledger.views.db")) as conn:
            conn.execute("UPDATE figures SET amount_cents = amount_cents * 100 WHERE unit='u' AND line='p'")
    else:
        import psycopg

        with psycopg.connect(str(bg.ledger), autocommit=True) as conn:
            conn.execute("UPDATE begroting_views.figures SET amount_cents = amount_cents * 100 "
                         "WHERE unit='u' AND line='p'")
    bg.record("idx.yaml", INDEX)
    bg("rebuild")
    assert figure(bg, "u/p", 2025) == "990000.00"  # 900,000 + 10 %, not 10 % of 90,000,000


def test_read_models_of_another_ledger_are_rebuilt_not_used(tmp_path):
    path = tmp_path / "l.db"
    bg = Cli(path, tmp_path)
    bg("init", "--organisation", "Eerste", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Path(f"{path}.lock").unlink(missing_ok=True)
    bg("init", "--organisation", "Tweede", "--years", "2025-2026")
    bg.record("other.yaml", """
        document: {id: o, kind: begroting, title: O, date: 2025-01-01}
        chart: [{unit: u, name: U, lines: [{id: p, name: Personeel, type: lasten, cost: personeel}]}]
        mutations: [{kind: wijziging, line: u/p, amounts: {2025: 100}}]
        """)
    # A correction of a document only the first ledger holds is refused.
    result = bg("record", bg.write("corr.yaml", """
        document: {id: c, kind: voorjaarsnota, title: C, date: 2025-04-01}
        mutations: [{kind: correctie, corrects: basis/1, line: u/p, amounts: {2025: 5}}]
        """), ok=False)
    assert result.exit_code == 1 and "'basis' is not in the ledger" in result.stderr
    assert figure(bg, "u/p", 2025) == "100.00"
    assert bg("verify").exit_code == 0


def test_read_models_ahead_of_the_events_are_refused_not_rebuilt(tmp_path):
    path = tmp_path / "l.db"
    bg = Cli(path, tmp_path)
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    with sqlite3.connect(path) as conn:  # the last event vanishes (with its link)
        last = conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
        conn.execute("DELETE FROM stored_events WHERE rowid = ?", (last,))
        conn.execute("DELETE FROM event_chain WHERE position = ?", (last,))
    result = bg("show", ok=False)
    assert result.exit_code == 1 and "do not reflect this event store" in result.stderr
    result = bg("verify", ok=False)
    assert result.exit_code == 1 and "events lost" in result.stderr


# ---------------------------------------------------------------- checks and writes are one step


def _withdraw_400(address: str, name: str, folder: Path) -> str:
    try:
        with Ledger.open(address, write=True) as ledger:
            path = folder / f"{name}.yaml"
            path.write_text(f"document: {{id: {name}, kind: begrotingswijziging, title: W, date: 2025-02-01}}\n"
                            f"mutations:\n  - {{kind: reserve, line: u/res, amounts: {{2025: -400}}, reason: o}}\n")
            ledger.record(str(path))
            return "ok"
    except LedgerError as e:
        return "refused" if "below zero" in str(e) else f"error: {e}"


@pytest.mark.slow
@pytest.mark.parametrize("rounds", [50])
def test_racing_onttrekkingen_never_take_a_reserve_below_zero(bg: Cli, tmp_path, rounds):
    from tests.conftest import FreshDatabase

    for round_ in range(rounds):
        if bg.backend == "sqlite":
            address, db = str(tmp_path / f"race{round_}.db"), None
        else:
            db = FreshDatabase()
            address = db.url
        try:
            c = Cli(address, tmp_path)
            c("init", "--organisation", "Race", "--years", "2025-2026")
            c.record("base.yaml", BASE)
            outcomes = sorted(race(_withdraw_400, [(address, f"w{round_}x{i}", tmp_path) for i in range(4)],
                                   timeout=120))
            assert outcomes == ["ok", "ok", "refused", "refused"], outcomes  # 1000 holds two of 400
            with Ledger.open(address) as ledger:
                assert ledger.verify().ok
                model = ledger.write_model()
                assert model.ledger is not None and shortfall("u/res", model.figures, model.ledger) is None
        finally:
            if db is not None:
                db.drop()


def test_withdrawing_a_toevoeging_that_an_onttrekking_relies_on_is_refused(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    bg.record("add.yaml", """
        document: {id: add, kind: begrotingswijziging, title: Toevoeging, date: 2025-02-01}
        mutations: [{kind: reserve, line: u/res, amounts: {2025: 5000}, reason: toevoeging}]
        """)
    bg.record("take.yaml", """
        document: {id: take, kind: begrotingswijziging, title: Onttrekking, date: 2025-03-01}
        mutations: [{kind: reserve, line: u/res, amounts: {2025: -5500}, reason: onttrekking}]
        """)
    before = bg.event_count()
    result = bg("withdraw", "add", "--reason", "vervalt", ok=False)
    assert result.exit_code == 1 and "below zero in 2025" in result.stderr
    assert bg.event_count() == before


def test_extending_the_horizon_never_carries_a_reserve_below_zero(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    bg.record("take.yaml", """
        document: {id: take, kind: begrotingswijziging, title: Onttrekking, date: 2025-03-01}
        mutations: [{kind: reserve, line: u/res, amounts: {2025: -400}, structural: true, reason: jaarlijks}]
        """)
    before = bg.event_count()
    result = bg("extend", "--to", "2028", ok=False)  # 1000 - 400 a year: 600, 200, then -200 in 2027
    assert result.exit_code == 1 and "reserve u/res below zero in 2027" in result.stderr
    assert bg.event_count() == before
    bg.record("plus.yaml", """
        document: {id: plus, kind: begrotingswijziging, title: Toevoeging, date: 2025-04-01}
        mutations: [{kind: reserve, line: u/res, amounts: {2026: 1}, reason: toevoeging}]
        """)


# ---------------------------------------------------------------- sums stay within storage


def _bound_document(doc_id: str, cents: list[int], chart: bool) -> str:
    lines = "".join(f"  - {{kind: wijziging, line: u/p, amounts: {{2025: {c // 100}.{c % 100:02d}}}, reason: r{i}}}\n"
                    for i, c in enumerate(cents))
    head = f"document: {{id: {doc_id}, kind: begroting, title: T, date: 2025-01-01}}\n"
    if chart:
        head += "chart: [{unit: u, name: U, lines: [{id: p, name: P, type: lasten, cost: personeel}]}]\n"
    return head + "mutations:\n" + lines


def test_amounts_up_to_the_storage_bound_are_kept_and_one_cent_more_is_refused(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2025")
    largest = 10**17 - 1  # the largest amount a file may state
    full, rest = divmod(STORAGE_LIMIT_CENTS, largest)
    bg.record("big.yaml", _bound_document("big", [largest] * full + [rest], chart=True))
    assert figure(bg, "u/p", 2025) == f"{STORAGE_LIMIT_CENTS // 100}.{STORAGE_LIMIT_CENTS % 100:02d}"
    before = bg.event_count()
    result = bg("record", bg.write("cent.yaml", _bound_document("cent", [1], chart=False)), ok=False)
    assert result.exit_code == 1 and "amounts too large" in result.stderr
    assert bg.event_count() == before
    # At the bound every question still answers, and the ledger verifies and rebuilds.
    for args in (["verify"], ["rebuild"], ["explain", "--total", "--year", "2025"], ["history"],
                 ["explain", "u/p", "--year", "2025"], ["diff", "big", "big"]):
        assert bg(*args).exit_code == 0, args


def test_a_full_disk_after_the_commit_says_what_was_recorded(tmp_path):
    path = tmp_path / "l.db"
    bg = Cli(path, tmp_path)
    bg("init", "--organisation", "O", "--years", "2025-2026")
    with Ledger.open(str(path), write=True) as ledger:
        ledger.catch_up()
        pages = ledger.conn.execute("PRAGMA page_count").fetchone()[0]
        ledger.conn.execute(f"PRAGMA max_page_count = {pages}")  # the read models' file can grow no more
        many = "".join(f"  - {{kind: wijziging, line: u/p, amounts: {{2025: {i}}}, reason: {'r' * 900}}}\n"
                       for i in range(1, 201))  # rows enough to need new pages
        (tmp_path / "base.yaml").write_text(BASE + many)
        with pytest.raises(LedgerError) as raised:
            ledger.record(str(tmp_path / "base.yaml"))
    message = str(raised.value)
    assert "recorded at position" in message and "read models were not updated" in message
    assert "next command catches them up" in message
    assert figure(bg, "u/p", 2025) == "920100.00"  # the next command did: 900,000 + 1 + 2 + … + 200
    assert "already recorded" in bg("record", str(tmp_path / "base.yaml")).stdout


# ---------------------------------------------------------------- verify proves the rules


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A ledger of some 60 events whose every event keeps the rules."""
    folder = tmp_path_factory.mktemp("history")
    path = folder / "l.db"
    gen = HistoryGenerator(7, range(2024, 2028))
    with Ledger.init(str(path), "T", 2024, 2027) as ledger:
        opening = gen.opening()
        opening["chart"][0]["lines"].append({"id": "reserve", "name": "Reserve", "type": "reserve",
                                             "opening_balance": "1000.00"})
        ledger.record_input(document_from_mapping(opening, "opening"))
        for i, doc in enumerate(gen.documents(250, sizes=(3, 10))):
            ledger.record_input(document_from_mapping(doc, "doc"))
            if i % 2 == 0:
                ledger.adopt(doc["document"]["id"], date(2024, 7, 1), "Besluit")
        assert ledger.verify().ok
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                        "ORDER BY rowid").fetchall()


def _event_at(path: Path, position: int):
    with sqlite3.connect(path) as conn:
        _, oid, version, topic, state = _rows(conn)[position - 1]
    return event_from_stored(topic, state, oid, version)


def _forged_document(kind: str, before, ledger_state, rng: random.Random, doc: str):
    """A DocumentRecorded (or adoption) that breaks one rule, stamped just after ``before``."""
    stamp = before.timestamp + timedelta(microseconds=1)
    lasten = sorted(a for a, line in ledger_state.lines.items() if line.type == "lasten")
    year = min(ledger_state.years)
    a, b = rng.sample(lasten, 2)
    mutation = None
    if kind == "unbalanced verschuiving":
        mutation = Mutation(seq=1, kind="verschuiving", legs=(
            Leg(unit=a.split("/")[0], line=a.split("/")[1], amounts_cents={year: -100}),
            Leg(unit=b.split("/")[0], line=b.split("/")[1], amounts_cents={year: 100_000_000})))
    elif kind == "reserve below zero":
        mutation = Mutation(seq=1, kind="reserve", legs=(
            Leg(unit="alg", line="reserve", amounts_cents={year: -100_000_001}),))
    elif kind == "correction of nothing":
        mutation = Mutation(seq=1, kind="correctie", corrects=MutationRef(document="nergens", seq=1), legs=(
            Leg(unit=a.split("/")[0], line=a.split("/")[1], amounts_cents={year: 5}),))
    elif kind == "indexation on a made-up base":
        line = ledger_state.lines[a]
        mutation = Mutation(seq=1, kind="indexatie", legs=(
            Leg(unit=a.split("/")[0], line=a.split("/")[1], amounts_cents={year: 10_000_000}),),
            indexation=(IndexedLine(unit=a.split("/")[0], line=a.split("/")[1], cost=line.cost,
                                    base_cents=100_000_000, rate_percent="10", outcome_cents=10_000_000),))
    elif kind == "year outside the horizon":
        mutation = Mutation(seq=1, kind="wijziging", legs=(
            Leg(unit=a.split("/")[0], line=a.split("/")[1], amounts_cents={year - 5: 100}),))
    if kind == "backdated":
        mutation = Mutation(seq=1, kind="wijziging", legs=(
            Leg(unit=a.split("/")[0], line=a.split("/")[1], amounts_cents={year: 100}),))
        stamp = before.timestamp - timedelta(days=30)
    if kind == "adoption of nothing":
        return DocumentAdopted(originator_id=document_aggregate_id(doc), originator_version=2, timestamp=stamp,
                               actor="x", document=doc, date=date(2024, 1, 1), decision="AB")
    assert mutation is not None, kind
    return DocumentRecorded(
        originator_id=document_aggregate_id(doc), originator_version=1, timestamp=stamp, actor="postgres",
        header=DocumentHeader(id=doc, kind="begrotingswijziging", title="Vervalst", date=date(2024, 1, 1)),
        mutations=(mutation,), content_sha256="0" * 64)


FORGERIES = ["unbalanced verschuiving", "reserve below zero", "correction of nothing",
             "indexation on a made-up base", "year outside the horizon", "backdated", "adoption of nothing"]


@pytest.mark.parametrize("kind", FORGERIES)
def test_verify_names_every_well_chained_forgery_that_breaks_a_rule(history, tmp_path, kind):
    import shutil

    rng = random.Random(kind)
    with sqlite3.connect(history) as conn:
        n = conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    with Ledger.open(str(history)) as ledger:
        state = ledger.write_model().ledger
    mapper = PydanticMapper()
    positions = rng.sample(range(3, n + 1), 20)
    for p in positions:
        path = tmp_path / "forged.db"
        for f in tmp_path.glob("forged*"):
            f.unlink()
        shutil.copy(history, path)
        forged = _forged_document(kind, _event_at(path, p - 1), state, rng, f"vervalst-{p}")
        insert_well_chained(path, p, mapper.to_stored_event(forged))
        with Ledger.open(str(path)) as ledger:
            report = ledger.verify()
        assert not report.ok, f"{kind} at {p} passed verify"
        assert report.problems[0].startswith(f"position {p}:"), (kind, p, report.problems)


def test_a_forged_event_stops_recording_until_it_is_dealt_with(history, tmp_path):
    import shutil

    path = tmp_path / "forged.db"
    shutil.copy(history, path)
    with Ledger.open(str(history)) as ledger:
        state = ledger.write_model().ledger
    forged = _forged_document("unbalanced verschuiving", _event_at(path, 9), state, random.Random(1), "vervalst")
    insert_well_chained(path, 10, PydanticMapper().to_stored_event(forged))
    bg = Cli(path, tmp_path)
    before = bg.event_count()
    result = bg("withdraw", "doc-2", "--reason", "x", ok=False)
    assert result.exit_code == 1 and "fails verification (position 10:" in result.stderr
    assert bg.event_count() == before


def test_an_unknown_topic_is_reported_by_verify(history, tmp_path):
    import shutil

    path = tmp_path / "odd.db"
    shutil.copy(history, path)
    before = _event_at(path, 4)
    stored = PydanticMapper().to_stored_event(before)
    stored = type(stored)(originator_id=stored.originator_id, originator_version=99, topic="x", state=stored.state)
    with sqlite3.connect(path) as conn:
        n = conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    insert_well_chained(path, n + 1, stored)
    bg = Cli(path, tmp_path)
    result = bg("verify", ok=False)
    assert result.exit_code == 1 and f"position {n + 1}: unknown event type 'x'" in result.stderr
    # Other commands still answer, from the events before it, and say the ledger needs verification.
    result = bg("show")
    assert f"needs verification: position {n + 1} cannot be read" in result.stderr
    assert bg.json("show")["lines"]
    before = bg.event_count()
    result = bg("withdraw", "doc-3", "--reason", "x", ok=False)
    assert result.exit_code == 1 and "fails verification" in result.stderr and bg.event_count() == before


def test_a_stored_id_in_another_form_fails_verify_and_blocks_writes(history, tmp_path):
    import shutil
    import uuid

    path = tmp_path / "dashed.db"
    shutil.copy(history, path)
    with sqlite3.connect(path) as conn:  # the adoption of an adopted document, its id now dashed
        p, oid = conn.execute("SELECT rowid, originator_id FROM stored_events WHERE topic LIKE '%DocumentAdopted' "
                              "ORDER BY rowid LIMIT 1").fetchone()
        conn.execute("UPDATE stored_events SET originator_id = ? WHERE rowid = ?", (str(uuid.UUID(oid)), p))
        adopted = json.loads(conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (p,)).fetchone()[0])
    bg = Cli(path, tmp_path)
    result = bg("verify", ok=False)
    assert result.exit_code == 1 and f"position {p}: originator id" in result.stderr
    result = bg("withdraw", adopted["document"], "--reason", "x", ok=False)
    assert result.exit_code == 1


# ---------------------------------------------------------------- budget rules that let wrong figures through


def test_a_shift_between_lasten_and_baten_must_leave_the_saldo(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    before = bg.event_count()
    result = bg("record", bg.write("wrong.yaml", """
        document: {id: wrong, kind: begrotingswijziging, title: W, date: 2025-02-01}
        mutations:
          - kind: verschuiving
            legs: [{line: u/p, amounts: {2025: 100000}}, {line: u/b, amounts: {2025: -100000}}]
        """), ok=False)
    assert result.exit_code == 1 and "does not net to zero in 2025: off by € 200.000" in result.stderr
    assert bg.event_count() == before
    bg.record("right.yaml", """
        document: {id: right, kind: begrotingswijziging, title: R, date: 2025-02-01}
        mutations:
          - kind: verschuiving
            legs: [{line: u/p, amounts: {2025: 100000}}, {line: u/b, amounts: {2025: 100000}}]
        """)
    totals = bg.json("show")["totals"]
    assert totals["saldo"]["2025"] == "-900000.00"  # baten − lasten as before the shift


def test_a_document_with_live_corrections_cannot_be_withdrawn(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2026")
    bg.record("base.yaml", BASE)
    bg.record("w.yaml", """
        document: {id: w, kind: voorjaarsnota, title: W, date: 2025-02-01}
        mutations: [{kind: wijziging, line: u/p, amounts: {2025: 500}}]
        """)
    bg.record("c.yaml", """
        document: {id: c, kind: begrotingswijziging, title: C, date: 2025-03-01}
        mutations: [{kind: correctie, corrects: w/1, line: u/p, amounts: {2025: 50}}]
        """)
    before = bg.event_count()
    result = bg("withdraw", "w", "--reason", "vervalt", ok=False)
    assert result.exit_code == 1 and "corrected by 'c'; withdraw those first" in result.stderr
    assert bg.event_count() == before
    bg("withdraw", "c", "--reason", "vervalt")
    bg("withdraw", "w", "--reason", "vervalt")
    assert figure(bg, "u/p", 2025) == "900000.00"


def test_a_correction_carries_like_the_mutation_it_corrects(bg: Cli):
    bg("init", "--organisation", "O", "--years", "2025-2027")
    bg.record("base.yaml", BASE)  # u/p: structural 900,000
    dry = bg.record("c.yaml", """
        document: {id: c, kind: voorjaarsnota, title: C, date: 2025-03-01}
        mutations: [{kind: correctie, corrects: basis/1, line: u/p, amounts: {2025: 25000}}]
        """, "--dry-run", "--json")
    changed_years = {c["year"] for c in json.loads(dry.stdout)[0]["changes"]}
    assert changed_years == {"2025", "2026", "2027"}
    bg.record("c.yaml", """
        document: {id: c, kind: voorjaarsnota, title: C, date: 2025-03-01}
        mutations: [{kind: correctie, corrects: basis/1, line: u/p, amounts: {2025: 25000}}]
        """)
    assert [figure(bg, "u/p", y) for y in (2025, 2026, 2027)] == ["925000.00"] * 3
    bg.record("i.yaml", """
        document: {id: i, kind: voorjaarsnota, title: I, date: 2025-03-01}
        mutations: [{kind: correctie, corrects: basis/1, line: u/p, amounts: {2025: 1}, structural: false}]
        """)
    assert [figure(bg, "u/p", y) for y in (2025, 2026)] == ["925001.00", "925000.00"]


@pytest.fixture
def shared(tmp_path):
    """A PostgreSQL ledger with the base document and a controller and an auditor role:
    (owner's Cli, a function giving the ledger's address as a role, controller, auditor)."""
    import uuid

    import psycopg

    from tests.conftest import PG_SERVER, FreshDatabase

    db = FreshDatabase()
    suffix = uuid.uuid4().hex[:8]
    controller, auditor = f"ctl_{suffix}", f"aud_{suffix}"
    try:
        owner = Cli(db.url, tmp_path)
        owner("init", "--organisation", "O", "--years", "2025-2026")
        owner.record("base.yaml", BASE)
        owner("roles", "setup", "--controller", controller, "--auditor", auditor)
        yield owner, lambda user: f"postgresql://{user}@{PG_SERVER.split('@', 1)[1]}/{db.name}", controller, auditor
    finally:
        db.drop()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for role in (controller, auditor):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_read_models_behind_the_events_are_not_tampered_ones(shared, tmp_path):
    """An auditor may not catch the shared read models up: behind is reported as such, and the
    part they hold is still compared with a replay."""
    owner, as_user, controller, auditor = shared
    with Ledger.open(as_user(controller), write=True) as ledger:  # killed after the commit, as it were
        ledger.record_input(document_from_mapping(
            {"document": {"id": "w", "kind": "voorjaarsnota", "title": "W", "date": "2025-02-01"},
             "mutations": [{"kind": "wijziging", "line": "u/p", "amounts": {2025: "5"}}]}, "w.yaml"), catch_up=False)
    aud = Cli(as_user(auditor), tmp_path)
    events = owner.event_count()
    result = aud("verify")
    assert result.exit_code == 0
    assert f"read models at position {events - 1} of {events}" in result.stdout
    assert aud.json("verify")["views_position"] == events - 1


def test_a_controller_forging_a_well_chained_event_on_postgresql_is_caught_by_verify(shared, tmp_path):
    """As the controller, with plain SQL: a DocumentRecorded whose shift is not budget-neutral,
    stored with a correctly computed chain link. The database lets a controller insert; the
    rules are what catch it."""
    import psycopg

    owner, as_user, controller, auditor = shared
    with Ledger.open(str(owner.ledger)) as ledger:
        last = ledger.app.mapper.to_domain_event(ledger.app.recorder.select_notifications(1, 100)[-1])
    forged = DocumentRecorded(
        originator_id=document_aggregate_id("vervalst"), originator_version=1, actor=controller,
        timestamp=last.timestamp + timedelta(seconds=1),
        header=DocumentHeader(id="vervalst", kind="begrotingswijziging", title="V", date=date(2025, 2, 1)),
        mutations=(Mutation(seq=1, kind="verschuiving", legs=(
            Leg(unit="u", line="p", amounts_cents={2025: -100}),
            Leg(unit="u", line="p", amounts_cents={2025: 100_000_000}))),),
        content_sha256="0" * 64)
    stored = PydanticMapper().to_stored_event(forged)
    with psycopg.connect(as_user(controller)) as conn, conn.transaction():
        position = conn.execute(
            "INSERT INTO begroting_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id",
            (stored.originator_id, 1, stored.topic, stored.state)).fetchone()[0]
        previous = conn.execute("SELECT sha256 FROM event_chain ORDER BY position DESC LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO event_chain VALUES (%s, %s)", (position, link_hash(
            previous, position, stored.originator_id, 1, stored.topic, stored.state)))
    result = Cli(as_user(auditor), tmp_path)("verify", ok=False)
    assert result.exit_code == 1
    assert f"position {position}: document 'vervalst'" in result.stderr and "net to zero" in result.stderr
