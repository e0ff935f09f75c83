"""Budget rules answered from the read models: participants' contributions under the
distribution key in force, and the structural balance (structureel evenwicht)."""

from __future__ import annotations

from decimal import Decimal

from projections.answers import Balance, Contribution, Contributions, Incidental, Share
from projections.common import CARRIES, counts_at, fold
from projections.errors import NoKeyInForce, UnknownFigure
from projections.queries import Views

SCALE = 10**6  # a percentage with four decimals, times 10^4: a key sums to 100 * 10^4


def units_of(percentage: str) -> int:
    whole, _, frac = percentage.partition(".")
    return int(whole) * 10_000 + int(frac.ljust(4, "0"))


def largest_remainder(total_cents: int, weights: list[int]) -> tuple[list[int], list[int]]:
    """Split ``total_cents`` by integer weights summing to SCALE, each share to the cent and
    the shares summing exactly to the total. Returns (shares, rounding adjustments).

    Each participant first gets the exact share rounded towards zero; the cents left over go
    one each to the largest remainders. Ties: the larger weight first, then the earlier
    participant in the key."""
    assert sum(weights) == SCALE, "a key's percentages sum to exactly 100"
    sign = -1 if total_cents < 0 else 1
    magnitude = abs(total_cents)
    floors = [magnitude * w // SCALE for w in weights]
    remainders = [magnitude * w % SCALE for w in weights]
    left = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], -weights[i], i))
    adjustments = [0] * len(weights)
    for i in order[:left]:
        adjustments[i] = 1
    return [sign * (f + a) for f, a in zip(floors, adjustments, strict=True)], [sign * a for a in adjustments]


class Rules:
    def __init__(self, views: Views):
        self.views = views
        self.conn = views.conn

    def key_for(self, year: int, at: int | None = None) -> tuple[str, int, int, list[tuple[str, str]]] | None:
        """The key in force for ``year``: (id, from_year, position, [(name, percentage)])."""
        p = at if at is not None else self.views.head()
        row = self.conn.execute(
            "SELECT position, key, from_year FROM keys WHERE from_year <= ? AND position <= ? "
            "ORDER BY from_year DESC, position DESC LIMIT 1", (year, p),
        ).fetchone()
        if row is None:
            return None
        participants = [(r[0], r[1]) for r in self.conn.execute(
            "SELECT name, percentage FROM key_participants WHERE position=? ORDER BY seq", (row["position"],))]
        return row["key"], row["from_year"], row["position"], participants

    def contributions(self, year: int, at: int | None = None, *, adopted_only: bool = False) -> Contributions:
        key = self.key_for(year, at)
        if key is None:
            raise NoKeyInForce(f"no distribution key is in force for {year}: set one with `begroting key set FILE`")
        key_id, from_year, position, participants = key
        totals = self.views.show(at, adopted_only=adopted_only, years=[year]).totals
        total = totals.te_dekken_cents[year]
        weights = [units_of(pct) for _, pct in participants]
        shares, adjustments = largest_remainder(total, weights)
        return Contributions(
            year=year, key=key_id, key_from=from_year, key_position=position, adopted_only=adopted_only,
            total_cents=total, lasten_cents=totals.lasten_cents[year], baten_cents=totals.baten_cents[year],
            reserves_cents=totals.reserves_cents[year],
            participants=tuple(
                Share(name=name, percentage=pct,
                      exact=str((Decimal(total) * Decimal(pct) / 100 / 100).quantize(Decimal("0.000001"))),
                      amount_cents=share, rounding_cents=adj)
                for (name, pct), share, adj in zip(participants, shares, adjustments, strict=True)
            ),
        )

    def contribution(self, name: str, year: int, at: int | None = None, *, adopted_only: bool = False) -> Contribution:
        result = self.contributions(year, at, adopted_only=adopted_only)
        found = [p for p in result.participants if fold(p.name) == fold(name)]
        if not found:
            names = ", ".join(p.name for p in result.participants)
            raise UnknownFigure(f"{name!r} is not a participant of key {result.key}: {names}")
        header = {f: getattr(result, f) for f in Contribution.__dataclass_fields__ if f != "participant"}
        return Contribution(**header, participant=found[0])

    def balance(self, year: int, at: int | None = None, *, adopted_only: bool = False) -> Balance:
        """Structural baten versus structural lasten; incidental items listed apart."""
        p = at if at is not None else self.views.head()
        rows = self.conn.execute(
            "SELECT e.position, e.seq, e.unit, e.line, e.amount_cents, l.type, "
            f"{CARRIES} AS structural, d.document, m.kind, m.reason "
            "FROM effects e JOIN mutations m USING (position, seq) JOIN documents d ON d.position = e.position "
            "JOIN lines l ON l.unit = e.unit AND l.line = e.line "
            f"WHERE e.year = :year AND {counts_at(':p', adopted_only=adopted_only)} "
            "ORDER BY e.position, e.seq, e.leg", {"year": year, "p": p},
        ).fetchall()
        sums = {(t, s): 0 for t in ("lasten", "baten", "reserve") for s in (0, 1)}
        incidental = []
        for r in rows:
            sums[(r["type"], r["structural"])] += r["amount_cents"]
            if not r["structural"] and r["amount_cents"]:
                incidental.append(Incidental(mutation=f"{r['document']}/{r['seq']}", kind=r["kind"],
                                             line=f"{r['unit']}/{r['line']}", type=r["type"], reason=r["reason"],
                                             amount_cents=r["amount_cents"]))
        structural_lasten, structural_baten = sums[("lasten", 1)], sums[("baten", 1)]
        return Balance(
            year=year, adopted_only=adopted_only,
            structural_lasten_cents=structural_lasten, structural_baten_cents=structural_baten,
            structural_saldo_cents=structural_baten - structural_lasten,
            incidental_lasten_cents=sums[("lasten", 0)], incidental_baten_cents=sums[("baten", 0)],
            reserves_cents=sums[("reserve", 0)] + sums[("reserve", 1)],
            in_balance=structural_lasten <= structural_baten,
            incidental=tuple(incidental),
        )
