"""The structural balance (structureel evenwicht) answered from the read models; what the
participants pay is ``projections.contributions``."""

from __future__ import annotations

from projections.answers import Balance, Incidental
from projections.common import CARRIES, counts_at
from projections.contributions import ContributionQueries
from projections.errors import NoKeyInForce
from projections.queries import Views


class Rules:
    def __init__(self, views: Views):
        self.views = views
        self.conn = views.conn

    def balance(self, year: int, at: int | None = None, *, adopted_only: bool = False) -> Balance:
        """Structural baten versus structural lasten and structural reserve mutations;
        incidental items listed apart."""
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
            incidental=tuple(incidental),
            structural_contributions_cents=contributions, incidental_contributions_cents=incidental_contributions,
            note=note,
        )
