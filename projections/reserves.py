"""The verloop of the reserves: per reserve line and year of the horizon, the balance at the
start, the toevoegingen and onttrekkingen (each with the mutation and document that made it)
and the balance at the end.

A reserve starts the horizon with its ``opening_balance_cents``; every later year starts with
the year before's closing balance. A reserve line's amount in a year is the sum of its
``effects`` rows that count at the point (``counts_at``): a positive row is a toevoeging, a
negative one an onttrekking, so closing = opening + toevoegingen + onttrekkingen, the same
balance the write model keeps from going below zero (``ledger.reserves.shortfall``).
Structural reserve mutations count in later years because ``effects`` holds their carried
rows. A *point* is a ledger position; ``None`` means now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections.answers import OMIT_NONE
from projections.common import counts_at
from projections.points import ViewsBase

TOEVOEGING = "toevoeging"
ONTTREKKING = "onttrekking"


@dataclass(frozen=True)
class ReserveMovement:
    """One mutation leg's toevoeging to (amount > 0) or onttrekking from (amount < 0) a
    reserve in one year."""

    movement: str  # toevoeging | onttrekking
    document: str
    mutation: str  # document/seq
    title: str
    status: str  # adopted | proposed, at the point asked
    position: int
    reason: str
    reference: str
    structural: bool
    amount_cents: int
    carried_from: int | None = field(default=None, metadata=OMIT_NONE)  # the named year it carried in from


@dataclass(frozen=True)
class ReserveYear:
    """A reserve in one year: opening + toevoegingen + onttrekkingen = closing (onttrekkingen
    are zero or negative)."""

    unit: str
    line: str
    name: str
    unit_name: str
    year: int
    opening_cents: int
    toevoegingen_cents: int
    onttrekkingen_cents: int
    closing_cents: int
    documents: tuple[ReserveMovement, ...]


class ReserveQueries(ViewsBase):
    def reserves(self, at: int | None = None, *, adopted_only: bool = False,
                 years: list[int] | None = None, unit: str | None = None) -> list[ReserveYear]:
        """Every reserve line's verloop at that point, one row per reserve and year of the
        horizon (or of ``years`` only; balances still run from the horizon's first year), in
        chart order then year order."""
        p = at if at is not None else self.head()
        horizon = list(self.horizon(p))
        reserves = [r for r in self.lines(p) if r["type"] == "reserve" and (unit is None or r["unit"] == unit)]
        if not reserves or not horizon:
            return []
        movements: dict[tuple[str, str, int], list[ReserveMovement]] = {}
        for r in self.conn.execute(
            "SELECT e.unit, e.line, e.year, e.amount_cents, e.source_year, e.position, e.seq, "
            "m.reason, m.reference, m.structural, d.document, d.title, d.adopted_position "
            "FROM effects e JOIN documents d ON d.position = e.position "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            "JOIN lines l ON l.unit = e.unit AND l.line = e.line "
            f"WHERE l.type = 'reserve' AND e.amount_cents != 0 AND {counts_at(':p', adopted_only=adopted_only)} "
            "ORDER BY e.position, e.seq, e.leg, e.year",
            {"p": p},
        ):
            movements.setdefault((r["unit"], r["line"], r["year"]), []).append(_movement(r, p))
        wanted = set(horizon if years is None else years)
        out: list[ReserveYear] = []
        for reserve in reserves:
            balance = reserve["opening_balance_cents"] or 0
            for year in horizon:
                moved = tuple(movements.get((reserve["unit"], reserve["line"], year), ()))
                added = sum(m.amount_cents for m in moved if m.amount_cents > 0)
                taken = sum(m.amount_cents for m in moved if m.amount_cents < 0)
                closing = balance + added + taken
                if year in wanted:
                    out.append(ReserveYear(
                        unit=reserve["unit"], line=reserve["line"], name=reserve["line_name"],
                        unit_name=reserve["unit_name"], year=year, opening_cents=balance,
                        toevoegingen_cents=added, onttrekkingen_cents=taken, closing_cents=closing,
                        documents=moved,
                    ))
                balance = closing
        return out


def _movement(r: Any, p: int) -> ReserveMovement:
    adopted = r["adopted_position"] is not None and r["adopted_position"] <= p
    return ReserveMovement(
        movement=TOEVOEGING if r["amount_cents"] > 0 else ONTTREKKING, document=r["document"],
        mutation=f"{r['document']}/{r['seq']}", title=r["title"], status="adopted" if adopted else "proposed",
        position=r["position"], reason=r["reason"] or "", reference=r["reference"] or "",
        structural=bool(r["structural"]), amount_cents=r["amount_cents"],
        carried_from=r["source_year"] if r["source_year"] not in (None, r["year"]) else None,
    )
