"""`diff` against a brute-force scan of the effects: every pair of points (a < b, a > b,
a == b; on PostgreSQL, 60 of them at random, for time), limits None/0/1/2/3, proposals
included and adopted only, both backends. Written by a hostile review of the faster diff."""

from __future__ import annotations

import random

import pytest

from ledger.application import Ledger
from projections.common import counts_at
from tests.test_point_in_time import random_history


def brute(ledger: Ledger, a: int, b: int, adopted_only: bool) -> dict:
    at_a, at_b = counts_at(":a", adopted_only=adopted_only), counts_at(":b", adopted_only=adopted_only)
    out: dict = {}
    for r in ledger.conn.execute(
        f"SELECT e.unit, e.line, e.year, e.amount_cents, {at_b} AS at_b, d.document, d.title, d.kind, e.seq, "
        f"e.position, m.kind, m.reason, m.reference FROM effects e JOIN documents d ON d.position = e.position "
        f"JOIN mutations m ON m.position = e.position AND m.seq = e.seq WHERE {at_a} != {at_b} "
        "ORDER BY e.position, e.seq, e.leg", {"a": a, "b": b},
    ):
        r = tuple(r)
        out.setdefault(r[:3], []).append(
            (r[9], f"{r[5]}/{r[8]}", r[5], r[6], r[7], r[10], r[11], r[12], r[3] if r[4] else -r[3]))
    return out


@pytest.mark.parametrize("seed, documents", [(11, 6), (3, 9)])
def test_diff_equals_a_brute_force_scan_at_every_pair_and_limit(ledger_address, seed, documents):
    with Ledger.init(str(ledger_address), "T", 2024, 2026) as ledger:
        random_history(ledger, seed, documents)
        head = ledger.views.head()
        checked = 0
        pairs = [(a, b) for a in range(0, head + 1) for b in range(0, head + 1)]
        if str(ledger_address).startswith("postgresql"):
            pairs = random.Random(seed).sample(pairs, 60)
        for a, b in pairs:
            for adopted_only in (False, True):
                expected = brute(ledger, a, b, adopted_only)
                for limit in (None, 0, 1, 2, 3):
                    d = ledger.views.diff(a, b, show_all=True, adopted_only=adopted_only, limit=limit)
                    assert (d.start, d.end) == (a, b)
                    for row in d.changes:
                        want = expected.get((row.unit, row.line, row.year), [])
                        got = [tuple(c) for c in row.causes]
                        assert row.change_cents == row.after_cents - row.before_cents
                        assert sum(w[-1] for w in want) == row.change_cents, (a, b, row)
                        if limit is None or len(want) <= limit:
                            assert got == want, (a, b, limit, adopted_only, row)
                            assert row.earlier_causes_cents is None
                        else:
                            assert got == want[len(want) - limit:], (a, b, limit, adopted_only, row)
                            assert row.earlier_causes_cents == sum(w[-1] for w in want[:len(want) - limit])
                        checked += 1
                    keys = {(r.unit, r.line, r.year) for r in d.changes}
                    assert set(expected) <= keys
        assert checked > 500
