"""The pure functions everything else stands on, tested on their own: how a leg counts in
each year, text to cents and back, rounding half away from zero, and the hash chain."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import kind_carries, year_effects
from ledger.integrity import GENESIS, link_hash, walk_chain
from ledger.money import MAX_EUROS, AmountError, decimal_text, parse_cents, round_half_away

YEARS = range(2024, 2029)


# ---------------------------------------------------------------- year_effects


def test_an_incidental_leg_counts_only_in_its_named_years():
    assert year_effects({2025: 100, 2027: -5}, carries=False, years=YEARS) == {2025: (100, 2025), 2027: (-5, 2027)}


def test_a_structural_leg_carries_its_latest_named_year_forward():
    assert year_effects({2025: 100, 2027: 40}, carries=True, years=YEARS) == {
        2025: (100, 2025), 2026: (100, 2025), 2027: (40, 2027), 2028: (40, 2027)}


def test_years_outside_the_horizon_count_nowhere():
    assert year_effects({2030: 1}, carries=False, years=YEARS) == {}
    assert year_effects({2020: 7}, carries=True, years=YEARS) == {y: (7, 2020) for y in YEARS}


def test_a_kasschuif_never_carries():
    assert not kind_carries("kasschuif", structural=True)
    assert kind_carries("wijziging", structural=True) and not kind_carries("wijziging", structural=False)


@given(st.dictionaries(st.integers(2020, 2032), st.integers(-10**12, 10**12), max_size=6), st.booleans())
def test_every_effect_comes_from_a_named_year_at_or_before_it(amounts, carries):
    for year, (amount, source) in year_effects(amounts, carries=carries, years=YEARS).items():
        assert year in YEARS and source <= year and amounts[source] == amount
        assert carries or source == year


# ---------------------------------------------------------------- cents


@pytest.mark.parametrize("text, cents", [
    ("4100.15", 410015), ("250015.00", 25001500), ("-0.5", -50), ("+7", 700), (" 12.3 ", 1230),
    ("999999999999999.99", 99999999999999999),
])
def test_plain_amounts_become_exact_cents(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", ["1.234,56", "1,234.56", "1e3", "NaN", "inf", "1.005", "١٢", "", "€ 5",
                                  str(MAX_EUROS)])
def test_anything_else_is_refused_rather_than_guessed(text):
    with pytest.raises(AmountError):
        parse_cents(text)


@given(st.integers(-(MAX_EUROS * 100 - 1), MAX_EUROS * 100 - 1))
def test_cents_survive_text_and_back(cents):
    assert parse_cents(decimal_text(cents)) == cents


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize("numerator, denominator, expected", [
    (5, 10, 1), (-5, 10, -1), (4, 10, 0), (15, 10, 2), (-15, 10, -2), (5, -10, -1), (0, 7, 0),
])
def test_halves_round_away_from_zero(numerator, denominator, expected):
    assert round_half_away(numerator, denominator) == expected


@given(st.integers(-10**30, 10**30), st.integers(1, 10**12))
def test_rounding_agrees_with_decimal_half_up(numerator, denominator):
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP) \
        if abs(numerator) < 10**26 else None
    got = round_half_away(numerator, denominator)
    if expected is not None:
        assert got == int(expected)
    assert abs(got * denominator - numerator) * 2 <= denominator


# ---------------------------------------------------------------- the chain


def _rows(n: int):
    previous, rows = GENESIS, []
    for position in range(1, n + 1):
        oid, state = UUID(int=position).hex, f'{{"n":{position}}}'.encode()
        previous = link_hash(previous, position, oid, 1, "t", state)
        rows.append([position, oid, 1, "t", state, previous])
    return rows


def test_an_intact_chain_walks_to_its_head():
    rows = _rows(5)
    assert walk_chain(rows) == (5, rows[-1][5], None)


def test_a_changed_byte_stops_the_walk_at_its_position():
    rows = _rows(5)
    rows[2][4] = b'{"n":33}'
    head, link, problem = walk_chain(rows)
    assert (head, link) == (2, rows[1][5]) and problem.startswith("position 3: event does not match")


def test_a_missing_event_is_named_unless_gaps_are_allowed():
    rows = _rows(5)
    del rows[1]
    assert walk_chain(rows)[2] == "position 2: event missing (the next stored event is at 3)"
    assert walk_chain(rows, contiguous=False)[2].startswith("position 3: event does not match")


# ---------------------------------------------------------------- SQLite's dialect to PostgreSQL's


@pytest.mark.parametrize("sqlite, postgresql", [
    ("SELECT amount_cents FROM figures WHERE unit = ? AND year = ?",
     "SELECT amount_cents FROM figures WHERE unit = %s AND year = %s"),
    ("SELECT * FROM documents WHERE id = :doc", "SELECT * FROM documents WHERE id = %(doc)s"),
    ("SELECT name FROM lines WHERE name LIKE 'a%'", "SELECT name FROM lines WHERE name LIKE 'a%%'"),
    ("INSERT OR IGNORE INTO log VALUES (?, ?)", "INSERT INTO log VALUES (%s, %s) ON CONFLICT DO NOTHING"),
    ("INSERT OR REPLACE INTO tracking (name, position) VALUES ('views', ?)",
     "INSERT INTO tracking (name, position) VALUES ('views', %s) ON CONFLICT (name) DO UPDATE SET "
     "position = EXCLUDED.position"),
])
def test_statements_are_translated_to_postgresql(sqlite, postgresql):
    from projections.db import translate

    assert translate(sqlite) == postgresql


def test_sqlite_only_statements_have_no_postgresql_meaning_and_begin_immediate_locks():
    from projections.db import VIEWS_SCHEMA, translate

    assert translate("PRAGMA journal_mode = wal") is None and translate("  vacuum") is None
    assert translate("BEGIN IMMEDIATE") == f"BEGIN; LOCK TABLE {VIEWS_SCHEMA}.tracking IN SHARE ROW EXCLUSIVE MODE"
