"""The structural balance (structureel evenwicht) answered from the read models; what the
participants pay is ``projections.contributions``."""

from __future__ import annotations

import heapq
from typing import Any

from projections.answers import Balance, EarlierIncidental, Incidental
from projections.common import CARRIES, counts_at
from projections.contributions import ContributionQueries
from projections.errors import NoKeyInForce
from projections.queries import Views


class Rules:
    def __init__(self, views: Views):
        self.views = views
        self.conn = views.conn

    def balance(self, year: int, at: int | None = None, *, adopted_only: bool = False,
                limit: int | None = None) -> Balance:
        """Structural baten versus structural lasten and structural reserve mutations;
        incidental items listed apart (with ``limit``, the latest that many). The sums come
        from the figures kept per point, split into their structural and incidental parts,
        so the answer costs the lines and the items listed, not the length of the history."""
        p = at if at is not None else self.views.head()
        types = {(r["unit"], r["line"]): r["type"] for r in self.views.lines(p)}
        sums = {(t, s): 0 for t in ("lasten", "baten", "reserve") for s in (0, 1)}
        cells = self.views.year_cells(year, at, adopted_only=adopted_only)
        for address, (cents, structural, _) in cells.items():
            sums[(types[address], 1)] += structural
            sums[(types[address], 0)] += cents - structural
        incidental = self._incidental(year, p, adopted_only, limit, [a for a in types if a in cells])
        earlier = None
        if limit is not None and len(incidental) > limit:  # the items not listed: what the listed leave
            incidental = incidental[len(incidental) - limit:]
            listed = {t: sum(i.amount_cents for i in incidental if i.type == t) for t in ("lasten", "baten", "reserve")}
            earlier = EarlierIncidental(*(sums[(t, 0)] - listed[t] for t in ("lasten", "baten", "reserve")))
        structural_lasten, structural_baten = sums[("lasten", 1)], sums[("baten", 1)]
        incidental_baten = sums[("baten", 0)]
        contributions, incidental_contributions, note = None, None, None
        if self.views.organisation_kind() == "gr":
            # A joint body's participants cover its te dekken: their contributions are its
            # baten (BBV), the structural part structural, so covering its costs is evenwicht.
            contributions = structural_lasten - structural_baten + sums[("reserve", 1)]
            incidental_contributions = sums[("lasten", 0)] - incidental_baten + sums[("reserve", 0)]
            try:
                ContributionQueries(self.views).distribution(year, p, adopted_only=adopted_only)
                note = "a joint body (gr): the participants' contributions count as baten"
            except NoKeyInForce as e:
                contributions, incidental_contributions, note = 0, 0, f"a joint body (gr), but {e}"
            structural_baten += contributions
            incidental_baten += incidental_contributions
        return Balance(
            year=year, adopted_only=adopted_only,
            structural_lasten_cents=structural_lasten, structural_baten_cents=structural_baten,
            # A structural toevoeging to a reserve is a structural claim, a structural onttrekking a
            # structural means (BBV): the saldo is structural baten − lasten − net structural reserve mutations.
            structural_saldo_cents=structural_baten - structural_lasten - sums[("reserve", 1)],
            incidental_lasten_cents=sums[("lasten", 0)], incidental_baten_cents=incidental_baten,
            reserves_cents=sums[("reserve", 0)] + sums[("reserve", 1)],
            in_balance=structural_baten - structural_lasten - sums[("reserve", 1)] >= 0,
            incidental=tuple(incidental), earlier_incidental=earlier,
            structural_contributions_cents=contributions, incidental_contributions_cents=incidental_contributions,
            note=note,
        )

    def _incidental(self, year: int, p: int, adopted_only: bool, limit: int | None,
                    lines: list[tuple[str, str]]) -> list[Incidental]:
        """The incidental effects on the year that count at ``p`` (amounts other than zero), in
        ledger order; with ``limit``, the latest ``limit + 1`` (one more says there are
        earlier ones), merged from each line's own read newest first from its index and no
        further back than the oldest of the latest found so far."""
        counted = (f"e.year = :year AND e.position <= :p AND {counts_at(':p', adopted_only=adopted_only)} "
                   f"AND NOT {CARRIES} AND e.amount_cents != 0")
        joins = ("FROM effects e JOIN documents d ON d.position = e.position "
                 "JOIN mutations m ON m.position = e.position AND m.seq = e.seq ")
        select = ("SELECT e.position, e.seq, e.leg, e.unit, e.line, e.amount_cents, d.document, m.kind, m.reason, "
                  "l.type " + joins + "JOIN lines l ON l.unit = e.unit AND l.line = e.line ")
        params: dict[str, Any] = {"year": year, "p": p}
        if limit is None:
            rows = self.conn.execute(select + f"WHERE {counted} ORDER BY e.position, e.seq, e.leg", params).fetchall()
        else:
            wanted = limit + 1
            top: list[tuple[int, ...]] = []  # a heap of (position, seq, leg): its first is the oldest kept
            for unit, line in lines:
                for key in self.conn.execute(
                        f"SELECT e.position, e.seq, e.leg {joins}WHERE e.unit = :unit AND e.line = :line AND {counted} "
                        "AND e.position >= :floor ORDER BY e.position DESC, e.seq DESC, e.leg DESC LIMIT :n",
                        {**params, "unit": unit, "line": line, "n": wanted,
                         "floor": top[0][0] if len(top) == wanted else 0}):
                    if len(top) < wanted:
                        heapq.heappush(top, tuple(key))
                    elif tuple(key) > top[0]:
                        heapq.heapreplace(top, tuple(key))
                    else:
                        break  # this line's remaining items are older still
            rows = []
            if top:
                chosen = ", ".join(f"({int(k[0])}, {int(k[1])}, {int(k[2])})" for k in top)
                rows = self.conn.execute(
                    f"WITH k (position, seq, leg) AS (VALUES {chosen}) " + select.replace(
                        "FROM effects e", "FROM k JOIN effects e ON e.position = k.position AND e.seq = k.seq "
                                          "AND e.leg = k.leg AND e.year = :year")
                    + "ORDER BY e.position, e.seq, e.leg", params).fetchall()
        return [Incidental(mutation=f"{r['document']}/{r['seq']}", kind=r["kind"], line=f"{r['unit']}/{r['line']}",
                           type=r["type"], reason=r["reason"], amount_cents=r["amount_cents"]) for r in rows]
