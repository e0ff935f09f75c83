"""A figure's waterfall (bridge chart) as plain geometry for an inline SVG drawn on the
server: a bar per document in ledger order, what earlier steps brought forward as the first
bar, the figure itself as the last. The template writes the numbers into SVG attributes."""

from __future__ import annotations

from dataclasses import dataclass

from projections.answers import Explanation
from projections.notation import euro

MAX_BARS = 24  # documents drawn one by one; earlier ones join the first bar
WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 760, 250, 28, 36, 8


@dataclass(frozen=True)
class Bar:
    label: str  # the document id (or "eerder", "totaal")
    title: str  # the full text the bar's tooltip and the table give
    amount: str  # the change it makes, in Dutch notation
    kind: str  # up | down | total
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    zero_y: int
    label_y: int


def waterfall(result: Explanation) -> Chart:
    """The bars for a figure's steps: one per run of steps of the same document."""
    groups: list[tuple[str, str, int]] = []  # (document, title, cents)
    for s in result.steps:
        if groups and groups[-1][0] == s.document:
            doc, title, cents = groups[-1]
            groups[-1] = (doc, title, cents + s.amount_cents)
        else:
            groups.append((s.document, s.title, s.amount_cents))
    earlier = result.brought_forward.amount_cents if result.brought_forward else 0
    if len(groups) > MAX_BARS:
        earlier += sum(cents for _, _, cents in groups[:-MAX_BARS])
        groups = groups[-MAX_BARS:]
    parts: list[tuple[str, str, int, int, str]] = []  # (label, title, start, end, kind)
    running = 0
    if earlier or result.brought_forward:
        parts.append(("eerder", "Eerder (samengevat)", 0, earlier, "total"))
        running = earlier
    for doc, title, cents in groups:
        parts.append((doc, title, running, running + cents, "up" if cents >= 0 else "down"))
        running += cents
    parts.append(("totaal", result.name or result.figure, 0, running, "total"))
    low = min(0, *(min(s, e) for _, _, s, e, _ in parts))
    high = max(0, *(max(s, e) for _, _, s, e, _ in parts))
    span = (high - low) or 1
    plot = HEIGHT - TOP - BOTTOM
    pitch = (WIDTH - 2 * LEFT) // len(parts)

    def y(cents: int) -> int:
        return TOP + (high - cents) * plot // span

    bars = []
    for i, (label, title, start, end, kind) in enumerate(parts):
        top, bottom = y(max(start, end)), y(min(start, end))
        change = end - start if kind != "total" else end
        bars.append(Bar(label[:14], f"{label}: {title}", euro(change), kind, LEFT + i * pitch + pitch // 8, top,
                        max(1, pitch * 3 // 4), max(1, bottom - top)))
    return Chart(WIDTH, HEIGHT, tuple(bars), y(0), HEIGHT - BOTTOM + 16)
