"""Charts drawn with matplotlib (no rich here): the waterfall of a figure as an SVG image."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from projections.notation import euro

if TYPE_CHECKING:
    from projections.answers import Explanation


def waterfall_bars(steps: Iterable[Any]) -> list[tuple[str, int]]:
    """One bar per document, in ledger order: (document, net change in cents)."""
    bars: dict[str, int] = {}
    for s in steps:
        bars[s.document] = bars.get(s.document, 0) + s.amount_cents
    return list(bars.items())


def waterfall_svg_text(title: str, steps: Iterable[Any], *, size: tuple[float, float] = (6, 4.5)) -> str:
    """The waterfall as an SVG document (matplotlib), drawn in cents and labelled in euros."""
    import io

    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    bars = waterfall_bars(steps)
    labels = [d for d, _ in bars] + ["totaal"]
    bottoms, heights, colours, level = [], [], [], 0
    for _, delta in bars:
        bottoms.append(min(level, level + delta))
        heights.append(abs(delta))
        colours.append("#2e7d32" if delta >= 0 else "#c62828")
        level += delta
    bottoms.append(min(0, level))
    heights.append(abs(level))
    colours.append("#1565c0")
    fig, ax = plt.subplots(figsize=(max(size[0], 1.2 * len(labels)), size[1]))
    ax.bar(range(len(labels)), heights, bottom=bottoms, color=colours)
    # Names are text, not TeX: "$\\undefinedcmd$" in a unit name must not reach mathtext.
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8, parse_math=False)
    ax.set_title(title, fontsize=10, parse_math=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: euro(int(round(v)))))
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue()


def waterfall_svg(result: Explanation, path: str) -> None:
    title = f"{result.name or result.figure} {result.year}: {euro(result.amount_cents)}"
    with open(path, "w", encoding="utf-8") as f:
        f.write(waterfall_svg_text(title, result.steps))
