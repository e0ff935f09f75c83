"""Turning query results into rich renderables (for people) and JSON (for machines).
The only module that imports rich. Amounts arrive as integer cents."""

from __future__ import annotations

import json
from typing import Any, Iterable

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ledger.money import decimal_text, euro


def console(stderr: bool = False) -> Console:
    # Stored text is printed as it is: never read as rich markup ("[/x]") or emoji codes (":x:").
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False)


def plain(value: Any) -> Text:
    """Text from a document, a key, an option or the user, as a renderable that rich shows
    literally whatever console renders it (a ``str`` cell or title would be read as markup)."""
    return Text("" if value is None else str(value))


def progress_bar(description: str) -> tuple[Any, Any]:
    """A transient progress bar on stderr and the callback that moves it: (done, total)."""
    from rich.progress import Progress

    progress = Progress(console=console(stderr=True), transient=True)
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def money(cents: int | None, *, bold: bool = False) -> Text:
    if cents is None:
        return Text("")
    style = "red" if cents < 0 else ""
    if bold:
        style = (style + " bold").strip()
    return Text(euro(cents), style=style)


def money_map(amounts: dict[int, int]) -> dict[str, str]:
    return {str(y): decimal_text(a) for y, a in amounts.items()}


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------ show


def show_json(data: dict) -> dict:
    return {
        "organisation": data["organisation"],
        "position": data["position"],
        "adopted_only": data["adopted_only"],
        "years": [str(y) for y in data["years"]],
        "lines": [
            {**{k: v for k, v in line.items() if k not in ("years", "pending")},
             "years": money_map(line["years"]), "pending": money_map(line["pending"])}
            for line in data["lines"]
        ],
        "units": [
            {"unit": u["unit"], "unit_name": u["unit_name"], "lasten": money_map(u["lasten"]),
             "baten": money_map(u["baten"]), "reserves": money_map(u["reserves"])}
            for u in data["units"]
        ],
        "totals": {k: money_map(v) for k, v in data["totals"].items()},
    }


def show_table(data: dict, *, title: str) -> Table:
    years = data["years"]
    table = Table(title=plain(title), title_justify="left", show_lines=False, header_style="bold")
    table.add_column("Unit / line")
    table.add_column("type", style="dim")
    for y in years:
        table.add_column(str(y), justify="right", no_wrap=True)
    by_unit: dict[str, list[dict]] = {}
    for line in data["lines"]:
        by_unit.setdefault(line["unit"], []).append(line)
    any_pending = False
    for u in data["units"]:
        table.add_row(Text(u["unit_name"], style="bold"))
        for line in by_unit.get(u["unit"], []):
            cells = []
            for y in years:
                cell = money(line["years"][y])
                if line["pending"].get(y):
                    cell.append(" *", style="yellow")
                    any_pending = True
                cells.append(cell)
            table.add_row(plain(f"  {line['line_name']}"), line["type"], *cells)
        for bucket, label in (("lasten", "Totaal lasten"), ("baten", "Totaal baten"), ("reserves", "Mutatie reserves")):
            if any(u[bucket].values()):
                table.add_row(Text(f"  {label}", style="italic"), "",
                              *[money(u[bucket][y], bold=True) for y in years])
        table.add_section()
    t = data["totals"]
    for key, label in (("lasten", "Lasten"), ("baten", "Baten"), ("saldo", "Saldo (baten − lasten)"),
                       ("reserves", "Mutatie reserves (+ toevoeging, − onttrekking)"),
                       ("te_dekken", "Te dekken door deelnemers")):
        table.add_row(Text(label, style="bold"), "", *[money(t[key][y], bold=True) for y in years])
    if any_pending:
        table.caption = "* includes proposed (not yet adopted) documents; use --adopted-only to leave them out"
    return table


# ------------------------------------------------------------------ explain


def _step_json(s: Any) -> dict:
    d = {
        "position": s.position, "mutation": f"{s.document}/{s.seq}", "document": s.document, "title": s.title,
        "document_kind": s.document_kind, "status": s.status, "kind": s.kind, "reason": s.reason,
        "reference": s.reference, "recorded_at": s.recorded_at, "date": s.date, "unit": s.unit, "line": s.line,
        "structural": s.structural, "amount": decimal_text(s.amount_cents),
        "running_total": decimal_text(s.running_total_cents),
    }
    if s.corrects:
        d["corrects"] = s.corrects
    if s.carried_from is not None:
        d["carried_from"] = s.carried_from
    if s.other_legs:
        d["other_legs"] = [{"line": a, "amounts": {y: decimal_text(c) for y, c in amts.items()}} for a, amts in s.other_legs]
    if s.indexation:
        i = s.indexation
        d["indexation"] = {"base": decimal_text(i["base_cents"]), "rate_percent": i["rate_percent"],
                           "outcome": decimal_text(i["outcome_cents"])}
    return d


def explain_json(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in ("steps", "children") and not k.endswith("_cents")}
    for k, v in result.items():
        if k.endswith("_cents"):
            out[k[: -len("_cents")]] = decimal_text(v)
    out["steps"] = [_step_json(s) for s in result["steps"]]
    if "brought_forward" in result:
        out["brought_forward"] = _cents_to_text(result["brought_forward"])
    if "children" in result:
        out["children"] = [explain_json(c) for c in result["children"]]
    return out


def _step_note(s: Any, year: int) -> Text:
    notes = Text()
    if s.corrects:
        notes.append(f"corrects {s.corrects}", style="magenta")
    if s.carried_from is not None:
        notes.append(("; " if notes else "") + f"structural, carried in from {s.carried_from}", style="cyan")
    if s.other_legs:
        legs = ", ".join(f"{a} {euro(amts.get(str(year), next(iter(amts.values()))))}" for a, amts in s.other_legs)
        notes.append(("; " if notes else "") + f"other legs: {legs}", style="blue")
    if s.indexation:
        i = s.indexation
        rate = i["rate_percent"].replace(".", ",")
        notes.append(("; " if notes else "") + f"{rate} % of {euro(i['base_cents'])} = {euro(i['outcome_cents'])}",
                     style="green")
    return notes


def explain_table(result: dict) -> Table:
    title = f"{result['name'] or result['figure']} — {result['year']}: {euro(result['amount_cents'])}"
    table = Table(title=plain(title), title_justify="left", header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("document", max_width=30)
    table.add_column("kind")
    table.add_column("reason (reference)", ratio=1)
    table.add_column("amount", justify="right", no_wrap=True)
    table.add_column("running total", justify="right", no_wrap=True)
    if "brought_forward" in result:
        earlier = result["brought_forward"]
        table.add_row("", Text(f"{earlier['mutations']} earlier mutations", style="italic"), "brought forward",
                      Text("use --all to list them", style="dim"), money(earlier["amount_cents"]),
                      money(earlier["amount_cents"], bold=True))
    for s in result["steps"]:
        doc = Text(f"{s.document}/{s.seq}")
        doc.append(f"\n{s.title}\n{s.document_kind}, {s.status}\neffective {s.date}\nrecorded {s.recorded_at[:10]}",
                   style="dim")
        reason = Text(s.reason or "—")
        if s.reference:
            reason.append(f" ({s.reference})", style="dim")
        note = _step_note(s, result["year"])
        if note:
            reason.append("\n")
            reason.append_text(note)
        table.add_row(str(s.position), doc, plain(s.kind), reason, money(s.amount_cents), money(s.running_total_cents, bold=True))
    return table


def explain_tree(result: dict) -> Tree:
    def count(r: dict) -> int:
        if "children" in r:
            return sum(count(c) for c in r["children"])
        return len(r["steps"]) + r.get("brought_forward", {}).get("mutations", 0)

    def label(r: dict) -> Text:
        t = Text(f"{r['name'] or r['figure']}: ", style="bold")
        t.append_text(money(r["amount_cents"]))
        if "baten_cents" in r:
            t.append(f"  (lasten {euro(r['lasten_cents'])}, baten {euro(r['baten_cents'])}, "
                     f"saldo {euro(r['saldo_cents'])})", style="dim")
        t.append(f"  [{count(r)} mutations]", style="dim")
        return t

    tree = Tree(label(result))

    def grow(node: Tree, r: dict) -> None:
        for c in r.get("children", []):
            grow(node.add(label(c)), c)

    grow(tree, result)
    return tree


# ------------------------------------------------------------------ waterfall


def waterfall_bars(steps: Iterable[Any]) -> list[tuple[str, int]]:
    """One bar per document, in ledger order: (document, net change in cents)."""
    bars: dict[str, int] = {}
    for s in steps:
        bars[s.document] = bars.get(s.document, 0) + s.amount_cents
    return list(bars.items())


def waterfall_text(result: dict, width: int = 40) -> Group:
    bars = waterfall_bars(result["steps"])
    levels, level = [], 0
    for _, delta in bars:
        levels.append((level, level + delta))
        level += delta
    lo = min([0] + [min(a, b) for a, b in levels])
    hi = max([0] + [max(a, b) for a, b in levels]) or 1
    scale = width / (hi - lo or 1)
    table = Table(title=plain(f"Waterfall {result['name'] or result['figure']} {result['year']}"), title_justify="left",
                  show_header=False, box=None)
    table.add_column(); table.add_column(); table.add_column(justify="right")
    for (doc, delta), (a, b) in zip(bars, levels):
        start, end = sorted(((a - lo) * scale, (b - lo) * scale))
        cells = int(round(start)), max(1, int(round(end - start)))
        bar = Text(" " * cells[0]) + Text("█" * cells[1], style="green" if delta >= 0 else "red")
        table.add_row(plain(doc), bar, money(delta))
    total = Text(" " * int(round((min(0, level) - lo) * scale))) + Text(
        "█" * max(1, int(round(abs(level) * scale))), style="bold blue")
    table.add_row(Text("= total", style="bold"), total, money(level, bold=True))
    return Group(table)


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


def waterfall_svg(result: dict, path: str) -> None:
    title = f"{result['name'] or result['figure']} {result['year']}: {euro(result['amount_cents'])}"
    with open(path, "w", encoding="utf-8") as f:
        f.write(waterfall_svg_text(title, result["steps"]))


# ------------------------------------------------------------------ diff, history, record


def diff_json(result: dict) -> dict:
    def change(c: dict) -> dict:
        out = {k: v for k, v in c.items() if not k.endswith("_cents") and k != "causes"}
        out.update(before=decimal_text(c["before_cents"]), after=decimal_text(c["after_cents"]),
                   change=decimal_text(c["change_cents"]))
        out["causes"] = [{**{k: v for k, v in x.items() if k != "amount_cents"}, "amount": decimal_text(x["amount_cents"])}
                         for x in c["causes"]]
        return out

    return {"from": result["from"], "to": result["to"], "adopted_only": result["adopted_only"],
            "changes": [change(c) for c in result["changes"]]}


def diff_table(result: dict, *, title: str) -> Table:
    table = Table(title=plain(title), title_justify="left", header_style="bold")
    for col in ("line", "year", "before", "after", "change", "caused by"):
        table.add_column(col, justify="right" if col in ("before", "after", "change") else "left")
    for c in result["changes"]:
        causes = Text("\n".join(f"{x['mutation']} {x['kind']} {euro(x['amount_cents'])} {x['reason']}".strip()
                                for x in c["causes"]))
        table.add_row(plain(f"{c['unit_name']}/{c['line_name']}"), str(c["year"]), money(c["before_cents"]),
                      money(c["after_cents"]), money(c["change_cents"], bold=True), causes)
    if not result["changes"]:
        table.caption = "no figure changed"
    return table


def _cents_to_text(value: Any) -> Any:
    """Recursively turn every ``*_cents`` key into a decimal string without the suffix."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.endswith("_cents"):
                name = k[: -len("_cents")]
                if isinstance(v, dict):
                    out[name] = {str(y): {str(yy): decimal_text(a) for yy, a in inner.items()} if isinstance(inner, dict)
                                 else decimal_text(inner) for y, inner in v.items()}
                else:
                    out[name] = decimal_text(v) if v is not None else None
            else:
                out[k] = _cents_to_text(v)
        return out
    if isinstance(value, list):
        return [_cents_to_text(v) for v in value]
    return value


cents_to_text = _cents_to_text


def contributions_table(result: dict) -> Table:
    table = Table(title=plain(f"Bijdragen {result['year']} — key {result['key']} (from {result['key_from']}): "
                              f"te dekken {euro(result['total_cents'])}"), title_justify="left", header_style="bold")
    for col in ("participant", "percentage", "exact share", "rounding", "contribution"):
        table.add_column(col, justify="left" if col == "participant" else "right", no_wrap=col != "participant")
    for p in result["participants"]:
        table.add_row(plain(p["name"]), p["percentage"].replace(".", ",") + " %", p["exact"].replace(".", ","),
                      money(p["rounding_cents"]) if p["rounding_cents"] else "", money(p["amount_cents"], bold=True))
    table.add_row(Text("Totaal", style="bold"), "100 %", "", "", money(sum(p["amount_cents"] for p in result["participants"]), bold=True))
    table.caption = ("shares rounded down to the cent; the cents left go to the largest remainders "
                     "(ties: larger percentage, then key order)")
    return table


def contribution_view(result: dict) -> Table:
    p = result["participant"]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold"); table.add_column(justify="right")
    table.add_row(plain(f"Bijdrage {p['name']} {result['year']}"), "")
    table.add_row("Key in force", plain(f"{result['key']} (from {result['key_from']}, position {result['key_position']})"))
    table.add_row("Lasten", money(result["lasten_cents"]))
    table.add_row("− Baten", money(result["baten_cents"]))
    table.add_row("+ Mutatie reserves", money(result["reserves_cents"]))
    table.add_row("= Te dekken (base)", money(result["total_cents"], bold=True))
    table.add_row("× Percentage", p["percentage"].replace(".", ",") + " %")
    table.add_row("= Exact share", "€ " + p["exact"].replace(".", ","))
    table.add_row("Rounding adjustment (largest remainder)", money(p["rounding_cents"]))
    table.add_row("Contribution", money(p["amount_cents"], bold=True))
    return table


def balance_view(result: dict) -> Group:
    head = Table(title=f"Structureel evenwicht {result['year']}", title_justify="left", show_header=False)
    head.add_column(); head.add_column(justify="right", no_wrap=True)
    head.add_row("Structurele baten", money(result["structural_baten_cents"]))
    head.add_row("Structurele lasten", money(result["structural_lasten_cents"]))
    head.add_row(Text("Structureel saldo", style="bold"), money(result["structural_saldo_cents"], bold=True))
    head.add_row("Incidentele baten", money(result["incidental_baten_cents"]))
    head.add_row("Incidentele lasten", money(result["incidental_lasten_cents"]))
    head.add_row("Mutatie reserves", money(result["reserves_cents"]))
    verdict = (Text("in evenwicht: structurele lasten ≤ structurele baten", style="green") if result["in_balance"]
               else Text("NIET in evenwicht: structurele lasten zijn hoger dan structurele baten", style="bold red"))
    items = Table(title="Incidentele posten", title_justify="left", header_style="bold")
    for col in ("mutation", "kind", "line", "amount", "reason"):
        items.add_column(col, justify="right" if col == "amount" else "left")
    for i in result["incidental"]:
        items.add_row(plain(i["mutation"]), plain(i["kind"]), plain(i["line"]), money(i["amount_cents"]), plain(i["reason"]))
    return Group(head, verdict, items)


def reconcile_table(result: dict) -> Table:
    table = Table(title=plain(f"Reconciliation with {result['file']} (tolerance {result['tolerance']})"),
                  title_justify="left", header_style="bold")
    for col in ("row", "figure", "year", "published", "ledger", "difference", "status"):
        table.add_column(col, justify="right" if col in ("published", "ledger", "difference") else "left")
    style = {"ok": "green", "warning": "yellow", "mismatch": "bold red"}
    for r in result["rows"]:
        table.add_row(str(r["row"]), plain(r["name"] or r["figure"]), str(r["year"]), plain(f"{r['published']} {r['measure']}"),
                      r["ledger"], r["difference"], Text(r["status"], style=style[r["status"]]))
    table.caption = f"{len(result['rows'])} rows: {result['mismatches']} mismatches, {result['warnings']} warnings"
    return table


def history_json(rows: list[dict]) -> list[dict]:
    return [_cents_to_text(r) for r in rows]


def document_json(doc: dict) -> dict:
    return _cents_to_text(doc)


def document_view(doc: dict) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold"); head.add_column()
    for label, key in (("Document", "document"), ("Title", "title"), ("Kind", "kind"), ("Date", "date"),
                       ("Status", "status"), ("Decision", "decision"), ("Recorded", "recorded_at"),
                       ("By", "actor"), ("Position", "position"), ("Source", "source")):
        head.add_row(label, plain(doc[key] or "—"))
    parts: list[Any] = [head]
    if doc["lifecycle"]:
        life = Table(title="Lifecycle", title_justify="left", header_style="bold")
        for col in ("#", "event", "date", "decision / reason", "recorded"):
            life.add_column(col)
        for e in doc["lifecycle"]:
            life.add_row(str(e["position"]), e["event"], plain(e["date"]), plain(e["decision"]), e["recorded_at"][:19])
        parts.append(life)
    muts = Table(title="Mutations", title_justify="left", header_style="bold")
    for col in ("#", "kind", "legs", "reason / reference"):
        muts.add_column(col)
    for m in doc["mutations"]:
        legs = "\n".join(f"{g['line']} " + ", ".join(f"{y}: {euro(a)}" for y, a in g["amounts_cents"].items()) for g in m["legs"])
        reason = Text(m["reason"] or "—")
        if m["reference"]:
            reason.append(f" ({m['reference']})", style="dim")
        if m["corrects"]:
            reason.append(f" corrects {m['corrects']}", style="magenta")
        muts.add_row(str(m["seq"]), m["kind"] + (" (structureel)" if m["structural"] else ""), plain(legs), reason)
    parts.append(muts)
    if doc["corrected_by"]:
        later = Table(title="Corrected later by", title_justify="left", header_style="bold")
        for col in ("mutation", "corrects", "amount", "reason"):
            later.add_column(col)
        for c in doc["corrected_by"]:
            later.add_row(plain(f"{c['document']}/{c['seq']}"), plain(c["corrects"]), money(c["amount_cents"]), plain(c["reason"]))
        parts.append(later)
    years = sorted({y for per_year in doc["effect_cents"].values() for y in per_year})
    effect = Table(title="Net effect per unit", title_justify="left", header_style="bold")
    effect.add_column("unit")
    for y in years:
        effect.add_column(str(y), justify="right")
    for unit, per_year in doc["effect_cents"].items():
        effect.add_row(plain(unit), *[money(per_year.get(y, 0)) for y in years])
    parts.append(effect)
    return Group(*parts)


def rows_table(columns: list[str], rows: list[tuple]) -> Table:
    table = Table(header_style="bold")
    for c in columns:
        table.add_column(plain(c))
    for r in rows:
        table.add_row(*[plain(v) for v in r])
    table.caption = f"{len(rows)} rows"
    return table


def history_table(rows: list[dict]) -> Table:
    table = Table(title="History", title_justify="left", header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("document")
    table.add_column("mutation")
    table.add_column("amount", justify="right", no_wrap=True)
    table.add_column("reason (reference)", ratio=1)
    for r in rows:
        doc = Text(f"{r['document']}/{r['seq']}" if r["seq"] else r["document"])
        doc.append(f"\n{r['document_kind']} {r['status']}".rstrip(), style="dim")
        doc.append(f"\n{r['recorded_at'][:16].replace('T', ' ')}", style="dim")
        what = Text(r["kind"] + (" (structureel)" if r["structural"] else ""))
        if r["lines"]:
            what.append("\n" + "\n".join(r["lines"]) + f"\n{r['years']}", style="dim")
        reason = Text(r["reason"] or "")
        if r["reference"]:
            reason.append(f" ({r['reference']})", style="dim")
        if r["corrects"]:
            reason.append(f"\ncorrects {r['corrects']}", style="magenta")
        table.add_row(str(r["position"]), doc, what, money(r["amount_cents"]), reason)
    return table


def changes_table(changes: list[tuple[str, str, int, int, int]], *, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in ("line", "year", "before", "after", "change"):
        table.add_column(col, justify="left" if col == "line" else "right", no_wrap=col != "line")
    for unit, line, year, before, after in changes:
        table.add_row(plain(f"{unit}/{line}"), str(year), money(before), money(after), money(after - before, bold=True))
    return table
