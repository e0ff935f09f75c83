"""How te dekken falls to the participants: pure arithmetic on items, no SQL.

An ``Item`` is a part of te dekken in one year (lasten and reserve mutations count as they
are, baten against). It falls to the participants in one of three ways:

- by the key its own split names (``split: {key: …}``);
- in the participants' own amounts of an explicit split (a *direct* item names its
  participant);
- otherwise by the most specific key in force for its line: a key whose scope names the
  line, else one naming its unit, else the general key; among equals the one from the
  latest year, then the one set last.

Each key's *pool* (the sum of the items that fall to it) is split once, by largest remainder,
so every participant's share is its exact share rounded to a cent and the shares sum exactly
to the pool. A breakdown of a participant's share (by document, line, mutation, …) is
apportioned the same way, so it sums exactly to that share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import floor
from typing import Any, Callable, Hashable, Iterable

from events import kind_carries, year_effects
from projections.notation import percent

SCALE = 10**6  # a percentage with four decimals, times 10^4: a key sums to 100 * 10^4
SIGN = {"lasten": 1, "reserve": 1, "baten": -1}  # how a line's amount counts in te dekken


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


def apportion(target: int, exact: list[Fraction]) -> list[int]:
    """Whole numbers, one per exact value, each its value rounded down or up, that sum to
    ``target`` (which must be the sum of the values rounded down or up): the largest
    fractions are rounded up; ties go to the earlier value."""
    floors = [floor(x) for x in exact]
    left = target - sum(floors)
    assert 0 <= left <= len(exact), "the target is the sum of the values, rounded"
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class KeyRule:
    """A key as set: in force from ``from_year`` for what its scope names (or everything)."""

    position: int
    key: str
    from_year: int
    scope: tuple[str, ...]
    participants: tuple[tuple[str, str], ...]  # (name, percentage) in key order

    @property
    def weights(self) -> list[int]:
        return [units_of(percentage) for _, percentage in self.participants]

    @property
    def scope_label(self) -> str:
        return ", ".join(self.scope) if self.scope else "general"

    def level(self, unit: str, line: str) -> int | None:
        """How specifically the key covers the line: 2 by name, 1 by its unit, 0 as the
        general key; None when its scope leaves the line out."""
        if not self.scope:
            return 0
        if f"{unit}/{line}" in self.scope:
            return 2
        return 1 if unit in self.scope else None


def key_in_force(rules: Iterable[KeyRule], unit: str, line: str, year: int) -> KeyRule | None:
    """The most specific key in force for the line in ``year``."""
    best, rank = None, None
    for rule in rules:
        level = rule.level(unit, line) if rule.from_year <= year else None
        if level is not None and (rank is None or (level, rule.from_year, rule.position) > rank):
            best, rank = rule, (level, rule.from_year, rule.position)
    return best


def general_key(rules: Iterable[KeyRule], year: int) -> KeyRule | None:
    candidates = [r for r in rules if not r.scope and r.from_year <= year]
    return max(candidates, key=lambda r: (r.from_year, r.position), default=None)


@dataclass(frozen=True)
class Item:
    """A part of te dekken in one year, with what a breakdown may group it by."""

    year: int
    unit: str
    line: str
    type: str
    cents: int  # as it counts in te dekken
    split_key: str | None = None  # falls by this key (split: {key: …})
    category: str = ""
    participant: str | None = None  # direct: this participant's own amount of an explicit split
    document: str = ""
    mutation: str = ""  # document/seq, when the items are per mutation
    kind: str = ""
    reason: str = ""


@dataclass
class Pool:
    rule: KeyRule
    items: list[Item] = field(default_factory=list)
    total: int = 0
    shares: list[int] = field(default_factory=list)
    adjustments: list[int] = field(default_factory=list)


class Uncovered(Exception):
    """An item that no key covers (no general key, and no scoped key for its line)."""

    def __init__(self, item: Item):
        super().__init__(f"{item.unit}/{item.line}")
        self.item = item


@dataclass
class Distribution:
    """The items of one year, each fallen to a pool or a participant, and every share."""

    year: int
    rules: list[KeyRule]
    pools: dict[int, Pool]  # by the key's position
    direct: list[Item]
    names: list[str]  # every participant, general key first

    @classmethod
    def of(cls, year: int, items: Iterable[Item], rules: list[KeyRule]) -> Distribution:
        """Raises Uncovered for an item no key covers, KeyError for a split by an unknown key."""
        by_id = {r.key: r for r in rules}
        pools: dict[int, Pool] = {}
        direct: list[Item] = []
        resolved: dict[tuple[str, str], KeyRule | None] = {}
        for item in items:
            if item.participant is not None:
                direct.append(item)
                continue
            if item.split_key is not None:
                rule: KeyRule | None = by_id[item.split_key]
            else:
                where = (item.unit, item.line)
                if where not in resolved:
                    resolved[where] = key_in_force(rules, item.unit, item.line, year)
                rule = resolved[where]
                if rule is None:
                    if item.cents:
                        raise Uncovered(item)
                    continue
            assert rule is not None
            pool = pools.setdefault(rule.position, Pool(rule))
            pool.items.append(item)
            pool.total += item.cents
        for pool in pools.values():
            pool.shares, pool.adjustments = largest_remainder(pool.total, pool.rule.weights)
        general = general_key(rules, year)
        ordered = ([general] if general is not None else []) + [p.rule for p in sorted(pools.values(), key=_order)]
        names: list[str] = []
        for name in [n for rule in ordered for n, _ in rule.participants] + [i.participant or "" for i in direct]:
            if name not in names:
                names.append(name)
        return cls(year, rules, pools, direct, names)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.pools.values()) + sum(i.cents for i in self.direct)

    def amount(self, name: str) -> int:
        return sum(self._pool_share(p, name)[0] for p in self.pools.values()) + \
            sum(i.cents for i in self.direct if i.participant == name)

    def rounding(self, name: str) -> int:
        return sum(self._pool_share(p, name)[1] for p in self.pools.values())

    def exact(self, name: str) -> Fraction:
        """The participant's exact share, in cents."""
        out = Fraction(sum(i.cents for i in self.direct if i.participant == name))
        for pool in self.pools.values():
            weight = self._weight(pool, name)
            out += Fraction(pool.total * weight, SCALE)
        return out

    def parts(self, name: str) -> list[tuple[KeyRule | None, str, int]]:
        """The participant's make-up: (key, category, cents) per key pool, then per category
        of its own split amounts."""
        out: list[tuple[KeyRule | None, str, int]] = [
            (p.rule, "", self._pool_share(p, name)[0]) for p in sorted(self.pools.values(), key=_order)
            if self._weight(p, name) or self._pool_share(p, name)[0]]
        categories: dict[str, int] = {}
        for i in self.direct:
            if i.participant == name:
                categories[i.category] = categories.get(i.category, 0) + i.cents
        return out + [(None, category, cents) for category, cents in categories.items()]

    def breakdown(self, name: str, by: Callable[[Item], Hashable]) -> dict[Hashable, tuple[int, list[str]]]:
        """The participant's amount by ``by(item)``: {group: (cents, how it fell)}, in the
        order the groups first appear; each pool's share apportioned over its groups."""
        out: dict[Hashable, tuple[int, list[str]]] = {}

        def add(group: Hashable, cents: int, how: str) -> None:
            before, hows = out.get(group, (0, []))
            out[group] = (before + cents, hows if how in hows else [*hows, how])

        for pool in sorted(self.pools.values(), key=_order):
            weight = self._weight(pool, name)
            share = self._pool_share(pool, name)[0]
            groups: dict[Hashable, int] = {}
            for item in pool.items:
                groups[by(item)] = groups.get(by(item), 0) + item.cents
            rounded = apportion(share, [Fraction(cents * weight, SCALE) for cents in groups.values()])
            percentage = dict(pool.rule.participants).get(name, "0")
            for group, cents in zip(groups, rounded, strict=True):
                add(group, cents, f"key {pool.rule.key} ({pool.rule.scope_label}) {percent(percentage)}")
        for item in self.direct:
            if item.participant == name:
                add(by(item), item.cents, f"own split {item.category}".rstrip())
        return out

    def _weight(self, pool: Pool, name: str) -> int:
        for (n, _), weight in zip(pool.rule.participants, pool.rule.weights, strict=True):
            if n == name:
                return weight
        return 0

    def _pool_share(self, pool: Pool, name: str) -> tuple[int, int]:
        for (n, _), share, adjustment in zip(pool.rule.participants, pool.shares, pool.adjustments, strict=True):
            if n == name:
                return share, adjustment
        return 0, 0


def _order(pool: Pool) -> tuple[int, int]:
    return (len(pool.rule.scope) > 0, pool.rule.position)


def items_of(document: str, mutations: Iterable[Any], line_types: dict[str, str], years: range) -> list[Item]:
    """The items of mutations (``events.Mutation``) that are not in the read models yet: what
    a dry run adds, to show what a document would cost each participant."""
    from events import leg_split  # the event models: loaded by the dry run that asks this anyway

    out = []
    for m in mutations:
        carry = kind_carries(m.kind, structural=m.structural)
        for leg in m.legs:
            sign = SIGN[line_types[leg.address]]
            split = leg_split(m, leg)
            common = dict(unit=leg.unit, line=leg.line, type=line_types[leg.address], document=document,
                          category=split.category if split else "")
            if split is not None and split.key is None:
                for p in split.participants:
                    for year, (cents, _) in year_effects(p.amounts_cents, carries=carry, years=years).items():
                        out.append(Item(year=year, cents=sign * cents, participant=p.name, **common))
                continue
            for year, (cents, _) in year_effects(leg.amounts_cents, carries=carry, years=years).items():
                out.append(Item(year=year, cents=sign * cents, split_key=split.key if split else None, **common))
    return out
