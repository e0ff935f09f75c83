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


def fit_title(ax: Any, title: str, *, fontsize: float = 10, smallest: float = 6, most_lines: int = 3) -> Any:
    """Set the axes' title so that it fits the figure: wrapped at spaces (an amount stays whole
    with its € sign) onto as many lines as it needs, up to `most_lines`, then in a smaller font."""
    import textwrap

    fig = ax.figure
    kept = title.replace("€ ", "€\u00a0")  # a no-break space: textwrap does not break there
    size = fontsize
    # Roughly 0.6 em a character to start with; the measurement below has the last word.
    per_line = max(12, int(fig.get_figwidth() * 72 * 0.9 / (0.6 * size)))
    while True:
        lines = textwrap.wrap(kept, per_line) or [kept]
        artist = ax.set_title("\n".join(lines).replace("\u00a0", " "), fontsize=size, parse_math=False)
        fig.tight_layout()
        box, page = artist.get_window_extent(), fig.bbox
        centre = (box.x0 + box.x1) / 2  # the title is centred on the axes, not on the page
        room = 2 * min(centre - page.x0, page.x1 - centre) - 4
        if box.width <= room and box.y1 <= page.y1:
            return artist
        narrower = int(per_line * room / box.width)
        if 12 <= narrower < per_line and len(textwrap.wrap(kept, narrower)) <= most_lines:
            per_line = narrower
        elif size > smallest:
            size -= 1
        else:
            return artist  # savefig(bbox_inches="tight") still keeps all of it on the page


def waterfall_figure(title: str, steps: Iterable[Any], *, size: tuple[float, float] = (6, 4.5)) -> Any:
    """The waterfall as a matplotlib figure, drawn in cents and labelled in euros."""
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
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: euro(int(round(v)))))
    fit_title(ax, title)
    return fig


def waterfall_svg_text(title: str, steps: Iterable[Any], *, size: tuple[float, float] = (6, 4.5)) -> str:
    """The waterfall as an SVG document (matplotlib), drawn in cents and labelled in euros."""
    import io

    import matplotlib.pyplot as plt

    fig = waterfall_figure(title, steps, size=size)
    out = io.StringIO()
    # 'tight' grows the page to whatever is drawn, so no title or label is ever cut off.
    fig.savefig(out, format="svg", bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
    return out.getvalue()


def waterfall_svg(result: Explanation, path: str) -> None:
    title = f"{result.name or result.figure} {result.year}: {euro(result.amount_cents)}"
    with open(path, "w", encoding="utf-8") as f:
        f.write(waterfall_svg_text(title, result.steps))
