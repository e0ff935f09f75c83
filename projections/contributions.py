"""What each participant pays: its contributions per year under the keys in force and the
splits of the mutations (``projections.distribution`` does the arithmetic), what changed for
each participant between two points, and the trail of one participant's amount."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Callable, Hashable, Iterable

from projections.common import check_name, counts_at, fold
from projections.distribution import SIGN, Distribution, Item, KeyRule, Uncovered, apportion, general_key
from projections.errors import NoKeyInForce, UnknownFigure, UnknownName
from projections.participant_answers import (
    Contribution,
    Contributions,
    ContributionsDiff,
    ContributionStep,
    KeyEntry,
    KeyParticipant,
    KeyPool,
    ParticipantChange,
    ParticipantDiff,
    Share,
    SharePart,
    ShareRow,
)
from projections.queries import Views

BY = ("document", "unit", "line", "category")
# What a breakdown groups the items by.
GROUPS: dict[str, Callable[[Item], Hashable]] = {
    "document": lambda i: i.document,
    "unit": lambda i: i.unit,
    "line": lambda i: f"{i.unit}/{i.line}",
    "category": lambda i: i.category,
    "mutation": lambda i: (i.mutation, f"{i.unit}/{i.line}"),
}
# The events that change what a participant pays under given keys (the log's names).
CHANGING = ("document_recorded", "document_adopted", "document_withdrawn", "horizon_extended")


class ContributionQueries:
    def __init__(self, views: Views):
        self.views = views
        self.conn = views.conn

    # ------------------------------------------------------------ the keys and the items

    def rules(self, at: int | None = None) -> list[KeyRule]:
        """Every key set by ``at``, in the order they were set."""
        p = at if at is not None else self.views.head()
        participants: dict[int, list[tuple[str, str]]] = {}
        for r in self.conn.execute("SELECT position, name, percentage FROM key_participants WHERE position <= ? "
                                   "ORDER BY position, seq", (p,)):
            participants.setdefault(r[0], []).append((r[1], r[2]))
        scopes: dict[int, list[str]] = {}
        for r in self.conn.execute("SELECT position, scope FROM key_scopes WHERE position <= ? ORDER BY position, scope",
                                   (p,)):
            scopes.setdefault(r[0], []).append(r[1])
        return [KeyRule(r[0], r[1], r[2], tuple(scopes.get(r[0], ())), tuple(participants.get(r[0], ())))
                for r in self.conn.execute("SELECT position, key, from_year FROM keys WHERE position <= ? "
                                           "ORDER BY position", (p,))]

    def items(self, years: Iterable[int], at: int | None = None, *, adopted_only: bool = False,
              grain: str = "line") -> list[Item]:
        """The parts of te dekken in ``years`` at ``at``, summed per line (``grain`` "line"),
        per document and line ("document") or per mutation and line ("mutation"), each with
        how it falls to the participants."""
        p = at if at is not None else self.views.head()
        wanted = sorted(set(years))
        if not wanted:
            return []
        if grain == "line":
            return self._line_items(wanted, at, adopted_only=adopted_only)
        extra = {"line": "", "document": ", d.document", "mutation": ", d.document, e.seq, m.kind, m.reason"}[grain]
        in_years = f"e.year IN ({', '.join(str(int(y)) for y in wanted)})"
        counts = counts_at(":p", adopted_only=adopted_only)
        keyed = self.conn.execute(
            f"SELECT e.year, e.unit, e.line, l.type, s.key AS split_key, s.category, SUM(e.amount_cents) AS cents{extra} "
            "FROM effects e JOIN documents d ON d.position = e.position "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            "JOIN lines l ON l.unit = e.unit AND l.line = e.line "
            "LEFT JOIN splits s ON s.position = e.position AND s.seq = e.seq AND s.leg = e.leg "
            f"WHERE {in_years} AND {counts} AND (s.position IS NULL OR s.key IS NOT NULL) "
            f"GROUP BY e.year, e.unit, e.line, l.type, s.key, s.category{extra} "
            f"ORDER BY MIN(e.position), MIN(e.seq), e.unit, e.line", {"p": p},
        ).fetchall()
        direct = self.conn.execute(
            f"SELECT e.year, g.unit, g.line, l.type, s.category, e.name, SUM(e.amount_cents) AS cents{extra} "
            "FROM split_effects e JOIN documents d ON d.position = e.position "
            "JOIN mutations m ON m.position = e.position AND m.seq = e.seq "
            "JOIN splits s ON s.position = e.position AND s.seq = e.seq AND s.leg = e.leg "
            "JOIN legs g ON g.position = e.position AND g.seq = e.seq AND g.leg = e.leg "
            "JOIN lines l ON l.unit = g.unit AND l.line = g.line "
            f"WHERE {in_years} AND {counts} AND s.key IS NULL "
            f"GROUP BY e.year, g.unit, g.line, l.type, s.category, e.name{extra} "
            "ORDER BY MIN(e.position), MIN(e.seq), g.unit, g.line", {"p": p},
        ).fetchall()
        out = []
        for rows, is_direct in ((keyed, False), (direct, True)):
            for r in rows:
                mutation = f"{r['document']}/{r['seq']}" if grain == "mutation" else ""
                out.append(Item(
                    year=r["year"], unit=r["unit"], line=r["line"], type=r["type"],
                    cents=SIGN[r["type"]] * r["cents"], split_key=None if is_direct else r["split_key"],
                    category=r["category"] or "", participant=r["name"] if is_direct else None,
                    document=r["document"] if grain != "line" else "", mutation=mutation,
                    kind=r["kind"] if grain == "mutation" else "", reason=r["reason"] if grain == "mutation" else "",
                ))
        return out

    def _line_items(self, years: list[int], at: int | None, *, adopted_only: bool) -> list[Item]:
        """``items`` per line, from the figures kept per point: what splits send elsewhere is
        read from split_figures, and what a line leaves to the key in force for it is its
        figure less that. A part counts when effects are behind it (an item of zero included),
        as when summed from the effects. In chart order, then year; split parts by key,
        category and participant; the participants' own amounts last."""
        p = at if at is not None else self.views.head()
        amount, steps = ("adopted_cents", "adopted_steps") if adopted_only else ("amount_cents", "steps")
        parts: dict[tuple[str, str, int], list[tuple[str, str, str, int, int]]] = {}
        in_years = ", ".join(str(int(y)) for y in years)
        if at is None:
            rows = self.conn.execute(f"SELECT unit, line, year, key, category, participant, {amount}, {steps} "
                                     f"FROM split_figures WHERE year IN ({in_years})")
        else:
            rows = self.conn.execute(
                f"SELECT f.unit, f.line, f.year, f.key, f.category, f.participant, h.{amount}, h.{steps} "
                "FROM split_figures f JOIN split_figure_history h ON h.unit = f.unit AND h.line = f.line "
                "AND h.year = f.year AND h.key = f.key AND h.category = f.category AND h.participant = f.participant "
                "AND h.position = (SELECT MAX(position) FROM split_figure_history WHERE unit = f.unit AND line = f.line "
                "AND year = f.year AND key = f.key AND category = f.category AND participant = f.participant "
                f"AND position <= :p) WHERE f.year IN ({in_years})", {"p": p})
        for unit, line, year, key, category, participant, cents, count in rows:
            if count:
                parts.setdefault((unit, line, year), []).append((key, category, participant, cents, count))
        keyed, direct = [], []
        cells = {year: self.views.year_cells(year, at, adopted_only=adopted_only) for year in years}
        for r in self.views.lines(p):
            unit, line, kind = r["unit"], r["line"], r["type"]
            for year in years:
                cents, _, count = cells[year].get((unit, line), (0, 0, 0))
                found = sorted(parts.get((unit, line, year), ()))
                legs = [part for part in found if not part[2]]
                if count - sum(part[4] for part in legs):  # effects of the line's own, by the key in force
                    keyed.append(Item(year=year, unit=unit, line=line, type=kind,
                                      cents=SIGN[kind] * (cents - sum(part[3] for part in legs))))
                keyed += [Item(year=year, unit=unit, line=line, type=kind, cents=SIGN[kind] * c, split_key=key,
                               category=category) for key, category, _, c, _ in legs if key]
                direct += [Item(year=year, unit=unit, line=line, type=kind, cents=SIGN[kind] * c, category=category,
                                participant=participant) for key, category, participant, c, _ in found if participant]
        return keyed + direct

    def distribution(self, year: int, at: int | None = None, *, adopted_only: bool = False,
                     grain: str = "line", extra: Iterable[Item] = ()) -> tuple[Distribution, list[Item]]:
        items = self.items([year], at, adopted_only=adopted_only, grain=grain) + [i for i in extra if i.year == year]
        return distribute(year, items, self.rules(at)), items

    def keys(self, key: str | None = None) -> tuple[KeyEntry, ...]:
        """Every key as set, in the order set (or only ``key``)."""
        rules = {r.position: r for r in self.rules()}
        rows = self.conn.execute("SELECT position, key, recorded_at, source FROM keys ORDER BY position").fetchall()
        if key is not None and key not in {r["key"] for r in rows}:
            check_name("key", key, [r["key"] for r in rows], "key")
        return tuple(KeyEntry(id=r["key"], from_year=rules[r["position"]].from_year, scope=rules[r["position"]].scope,
                              participants=tuple(KeyParticipant(n, pct) for n, pct in rules[r["position"]].participants),
                              position=r["position"], recorded_at=r["recorded_at"], source=r["source"])
                     for r in rows if key is None or r["key"] == key)

    # ------------------------------------------------------------ the questions

    def contributions(self, year: int, at: int | None = None, *, adopted_only: bool = False,
                      by: str | None = None, round_euro: bool = False) -> Contributions:
        """Each participant's contribution in ``year``: to the cent, its weighted percentage and
        its make-up by key; ``by`` breaks it down by document, unit, line or category;
        ``round_euro`` rounds the amounts to whole euros that sum to the rounded total."""
        if by is not None and by not in BY:
            raise UnknownName(f"--by {by!r}: one of {', '.join(BY)}")
        horizon = self.views.horizon(at)
        if year not in horizon:
            raise UnknownName(f"--year {year}: the ledger's horizon is {horizon.start}-{horizon.stop - 1}")
        found, items = self.distribution(year, at, adopted_only=adopted_only, grain="document" if by == "document" else "line")
        totals = {kind: sum(i.cents * SIGN[kind] for i in items if i.type == kind) for kind in SIGN}
        total = found.total
        amounts = {name: found.amount(name) for name in found.names}
        afronding = None
        if round_euro:
            rounded = apportion(_round_half_up(Fraction(total, 100)), [Fraction(a, 100) for a in amounts.values()])
            amounts = {name: euros * 100 for name, euros in zip(amounts, rounded, strict=True)}
            afronding = total - sum(amounts.values())
        general = general_key(found.rules, year)
        shares = []
        for name in found.names:
            rows = None
            if by is not None:
                rows = tuple(ShareRow(**{by: str(group)}, amount_cents=cents)
                             for group, (cents, _) in found.breakdown(name, GROUPS[by]).items())
            shares.append(Share(
                name=name, percentage=dict(general.participants).get(name) if general else None,
                exact=_euros(found.exact(name), places=6), amount_cents=amounts[name],
                rounding_cents=found.rounding(name),
                weighted_percentage=_percentage(amounts[name], total),
                parts=tuple(SharePart(key=rule.key if rule else None, scope=rule.scope_label if rule else "split",
                                      category=category, amount_cents=cents)
                            for rule, category, cents in found.parts(name)),
                by=rows,
            ))
        return Contributions(
            year=year, key=general.key if general else None, key_from=general.from_year if general else None,
            key_position=general.position if general else None, adopted_only=adopted_only, total_cents=total,
            lasten_cents=totals["lasten"], baten_cents=totals["baten"], reserves_cents=totals["reserve"],
            participants=tuple(shares),
            keys=tuple(KeyPool(key=p.rule.key, from_year=p.rule.from_year, scope=p.rule.scope,
                               position=p.rule.position, total_cents=p.total)
                       for p in sorted(found.pools.values(), key=lambda p: (bool(p.rule.scope), p.rule.position))),
            split_cents=sum(i.cents for i in found.direct), by=by, afronding_cents=afronding,
        )

    def contribution(self, name: str, year: int, at: int | None = None, *, adopted_only: bool = False) -> Contribution:
        """One participant's contribution and its trail: each mutation's part of te dekken and
        the share of it that fell to the participant, and why."""
        result = self.contributions(year, at, adopted_only=adopted_only)
        found = [p for p in result.participants if fold(p.name) == fold(name)]
        if not found:
            names = ", ".join(p.name for p in result.participants)
            raise UnknownFigure(f"{name!r} is not a participant of key {result.key}: {names}" if result.key else
                                f"{name!r} is not a participant of any key in force: {names}")
        share = found[0]
        distribution, items = self.distribution(year, at, adopted_only=adopted_only, grain="mutation")
        totals = {GROUPS["mutation"](i): 0 for i in items}
        for i in items:
            totals[GROUPS["mutation"](i)] += i.cents
        first = {GROUPS["mutation"](i): i for i in reversed(items)}
        steps = []
        for group, (cents, hows) in distribution.breakdown(share.name, GROUPS["mutation"]).items():
            item = first[group]
            steps.append(ContributionStep(mutation=item.mutation, kind=item.kind, line=f"{item.unit}/{item.line}",
                                          reason=item.reason, te_dekken_cents=totals[group], share_cents=cents,
                                          basis="; ".join(hows)))
        header = {f: getattr(result, f) for f in ("year", "key", "key_from", "key_position", "adopted_only",
                                                   "total_cents", "lasten_cents", "baten_cents", "reserves_cents")}
        return Contribution(**header, participant=share, steps=tuple(steps))

    def diff(self, a: int, b: int, *, a_label: str, b_label: str, adopted_only: bool = False,
             round_euro: bool = False) -> ContributionsDiff:
        """What changed for each participant from point ``a`` to point ``b``, per year, split by
        the documents in between: each document's change is what the participant pays just
        after its event less just before, so the changes sum exactly to the total change.
        Every point is distributed by the keys as set at the later point: documents change
        what the participants pay, keys only how it is divided (compare ``contributions
        --as-of`` before and after a key for what a key changes). ``round_euro``: each
        document's changes in whole euros that sum to its rounded total, the rest per document
        and year in ``afronding``, as published difference tables are."""
        low, high = min(a, b), max(a, b)
        years = list(self.views.horizon(high))
        rules = self.rules(high)
        causes = {r[0]: ("horizon" if r[1] == "horizon_extended" else r[2]) for r in self.conn.execute(
            f"SELECT position, event, COALESCE(document, '') FROM log WHERE position > ? AND position <= ? "
            f"AND event IN ({', '.join('?' * len(CHANGING))}) ORDER BY position", (low, high, *CHANGING))}
        start = before = self.amounts(years, low, rules, adopted_only=adopted_only)
        changes: dict[str, list[ParticipantChange]] = {}
        for point, cause in causes.items():
            after = self.amounts(years, point, rules, adopted_only=adopted_only)
            for name, year in sorted(after.keys() | before.keys(), key=lambda ny: (ny[1], ny[0])):
                change = after.get((name, year), 0) - before.get((name, year), 0)
                if change:
                    changes.setdefault(name, []).append(ParticipantChange(cause, year, change))
            before = after
        sign = 1 if b >= a else -1
        names = list(dict.fromkeys([n for n, _ in start] + [n for n, _ in before]))
        if b < a:
            changes = {n: [ParticipantChange(c.document, c.year, -c.amount_cents) for c in cs] for n, cs in changes.items()}
        afronding = _round_columns(changes, names) if round_euro else None
        return ContributionsDiff(
            from_=a_label, to=b_label, from_position=a, to_position=b, adopted_only=adopted_only, years=tuple(years),
            participants=tuple(ParticipantDiff(
                name=name,
                total_cents={y: sum(c.amount_cents for c in changes.get(name, ()) if c.year == y) if round_euro
                             else sign * (before.get((name, y), 0) - start.get((name, y), 0)) for y in years},
                changes=tuple(sorted(changes.get(name, ()), key=lambda c: c.year)),
            ) for name in names),
            afronding=afronding,
        )

    def effect(self, document: str, extra: list[Item], *, adopted_only: bool = False) -> tuple[ParticipantDiff, ...]:
        """What adding ``extra`` (a document not recorded yet) would change for each participant,
        per year, under the keys in force now; nothing when no key is set."""
        head = self.views.head()
        rules = self.rules(head)
        if not rules:
            return ()
        years = list(self.views.horizon(head))
        before = self.amounts(years, head, rules, adopted_only=adopted_only)
        after = self.amounts(years, head, rules, adopted_only=adopted_only, extra=extra)
        names = list(dict.fromkeys([n for n, _ in before] + [n for n, _ in after]))
        change = {(n, y): after.get((n, y), 0) - before.get((n, y), 0) for n in names for y in years}
        return tuple(ParticipantDiff(name=n, total_cents={y: change[(n, y)] for y in years},
                                     changes=tuple(ParticipantChange(document, y, change[(n, y)])
                                                   for y in years if change[(n, y)]))
                     for n in names)

    def amounts(self, years: list[int], at: int, rules: list[KeyRule], *, adopted_only: bool = False,
                extra: Iterable[Item] = ()) -> dict[tuple[str, int], int]:
        """{(participant, year): cents} at ``at`` under ``rules``."""
        items = self.items(years, at, adopted_only=adopted_only) + list(extra)
        out: dict[tuple[str, int], int] = {}
        for year in years:
            found = distribute(year, [i for i in items if i.year == year], rules)
            for name in found.names:
                out[(name, year)] = found.amount(name)
        return out


def distribute(year: int, items: list[Item], rules: list[KeyRule]) -> Distribution:
    try:
        return Distribution.of(year, items, rules)
    except Uncovered as e:
        general = general_key(rules, year)
        what = f"line {e.item.unit}/{e.item.line}" if general is None and rules else "te dekken"
        raise NoKeyInForce(f"no distribution key is in force for {what} in {year}: "
                           "set one with `begroting key set FILE`") from None


def _round_columns(changes: dict[str, list[ParticipantChange]], names: list[str]) -> tuple[ParticipantChange, ...]:
    """Round each document's changes in each year to whole euros summing to the document's
    rounded total (largest remainder), in place; returns what rounding left per column."""
    columns: dict[tuple[str, int], dict[str, int]] = {}
    for name, found in changes.items():
        for c in found:
            columns.setdefault((c.document, c.year), {})[name] = c.amount_cents
    rounded: dict[str, list[ParticipantChange]] = {name: [] for name in names}
    left = []
    for (document, year), exact in columns.items():
        cents = [exact.get(name, 0) for name in names]
        euros = apportion(_round_half_up(Fraction(sum(cents), 100)), [Fraction(c, 100) for c in cents])
        for name, whole in zip(names, euros, strict=True):
            if whole or exact.get(name):
                rounded[name].append(ParticipantChange(document, year, whole * 100))
        left.append(ParticipantChange(document, year, sum(cents) - 100 * sum(euros)))
    changes.clear()
    changes.update(rounded)
    return tuple(left)


def _round_half_up(value: Fraction) -> int:
    """To the nearest whole number, halves away from zero."""
    whole = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return whole if value >= 0 else -whole


def _euros(cents: Fraction, *, places: int) -> str:
    value = Decimal(cents.numerator) / Decimal(cents.denominator) / 100
    return str(value.quantize(Decimal(1).scaleb(-places)))


def _percentage(amount: int, total: int) -> str | None:
    if total == 0:
        return None
    return str((Decimal(amount) * 100 / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
