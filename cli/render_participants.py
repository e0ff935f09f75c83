"""Drawing the participants' answers for people (``cli.render`` draws the rest): what each
pays, the trail of one participant's amount, what changed for each, and the keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cli.render import money, plain
from projections.notation import euro, exact_euro, percent

if TYPE_CHECKING:
    from projections.participant_answers import (
        Contribution,
        Contributions,
        ContributionsDiff,
        KeyEntry,
        ParticipantDiff,
        SharePart,
    )


def _part_label(part: SharePart) -> str:
    if part.key is None:
        return part.category or "own split"
    return part.key if part.scope == "general" else f"{part.key} ({part.scope})"


def contributions_table(result: Contributions) -> Table:
    """One row per participant: its contribution, its weighted percentage and what it is
    made of (its share of each key, its own split amounts per category)."""
    key = f"key {result.key} (from {result.key_from})" if result.key else "no general key"
    table = Table(title=plain(f"Bijdragen {result.year} — {key}: te dekken {euro(result.total_cents)}"),
                  title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("participant", overflow="fold")
    table.add_column("contribution", justify="right", no_wrap=True)
    table.add_column("gewogen %", justify="right", no_wrap=True)
    several = len({_part_label(part) for p in result.participants for part in p.parts}) > 1 or result.by
    if several:
        table.add_column(f"by {result.by}" if result.by else "made up of")
    for p in result.participants:
        weighted = percent(p.weighted_percentage) if p.weighted_percentage else ""
        made = Table.grid(padding=(0, 1), expand=True)
        made.add_column(ratio=1, overflow="fold")
        made.add_column(justify="right", no_wrap=True)
        for label, cents in ([(getattr(row, result.by) or "—", row.amount_cents) for row in p.by or ()] if result.by
                             else [(_part_label(part), part.amount_cents) for part in p.parts]):
            made.add_row(plain(label), money(cents))
        table.add_row(plain(p.name), money(p.amount_cents, bold=True), weighted, *([made] if several else []))
    if result.afronding_cents is not None:
        table.add_row(Text("Afronding", style="italic"), money(result.afronding_cents), "", *([""] if several else []))
    table.add_row(Text("Totaal", style="bold"), money(result.total_cents, bold=True),
                  "100 %" if result.total_cents else "", *([""] if several else []))
    rounding = ("; amounts in whole euros summing to the rounded total" if result.afronding_cents is not None else "")
    table.caption = ("each key's part is split to the cent by largest remainder (ties: larger percentage, "
                     "then key order)" + rounding)
    return table


def contribution_view(result: Contribution) -> Group:
    p = result.participant
    assert p is not None
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row(plain(f"Bijdrage {p.name} {result.year}"), "")
    if result.key:
        head.add_row("Key in force", plain(f"{result.key} (from {result.key_from}, position {result.key_position})"))
    head.add_row("Lasten", money(result.lasten_cents))
    head.add_row("− Baten", money(result.baten_cents))
    head.add_row("+ Mutatie reserves", money(result.reserves_cents))
    head.add_row("= Te dekken (base)", money(result.total_cents, bold=True))
    only_general = len(p.parts) == 1 and p.parts[0].scope == "general"
    if p.percentage is not None and only_general:
        head.add_row("× Percentage", percent(p.percentage))
    else:  # scoped keys and splits: each part of te dekken by its own key, or the participant's own amounts
        head.add_row("Made up of", "")
        for part in p.parts:
            head.add_row(plain(f"  {_part_label(part)}"), money(part.amount_cents))
    head.add_row("= Exact share", exact_euro(p.exact))
    head.add_row("Rounding adjustment (largest remainder)", money(p.rounding_cents))
    head.add_row("Contribution", money(p.amount_cents, bold=True))
    if p.weighted_percentage is not None:
        head.add_row("Weighted percentage", percent(p.weighted_percentage))
    steps = Table(title="How it arose", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    steps.add_column("mutation, line", overflow="fold")
    steps.add_column("te dekken", justify="right", no_wrap=True)
    steps.add_column("share", justify="right", no_wrap=True)
    steps.add_column("basis and reason", overflow="fold", ratio=1)
    for s in result.steps:
        why = plain(s.basis)
        why.append(f"\n{s.reason}" if s.reason else "", style="dim")
        steps.add_row(plain(f"{s.mutation}\n{s.line}"), money(s.te_dekken_cents), money(s.share_cents, bold=True), why)
    return Group(head, steps)


def contributions_diff_table(result: ContributionsDiff) -> Group:
    """Per year a table as joint bodies publish it ("verschil met vastgestelde begroting"):
    a row per participant, a column per document that changed what it pays, and the total."""
    tables = []
    for year in result.years:
        documents = list(dict.fromkeys(c.document for p in result.participants for c in p.changes if c.year == year))
        rounding = [r for r in result.afronding or () if r.year == year]
        if not documents and not any(p.total_cents.get(year) for p in result.participants):
            continue
        table = Table(title=plain(f"Bijdragen {year}: verschil van {result.from_} naar {result.to}"),
                      title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("participant", no_wrap=True)
        for document in documents:
            table.add_column(plain(document), justify="right", no_wrap=True)
        table.add_column("totaal", justify="right", no_wrap=True)
        columns = [0] * len(documents)
        for p in result.participants:
            cells = [sum(c.amount_cents for c in p.changes if c.year == year and c.document == d) for d in documents]
            columns = [a + b for a, b in zip(columns, cells, strict=True)]
            table.add_row(plain(p.name), *(money(c) for c in cells), money(p.total_cents.get(year, 0), bold=True))
        table.add_row(Text("Totaal", style="bold"), *(money(c, bold=True) for c in columns), money(sum(columns), bold=True))
        if result.afronding is not None:  # what the whole euros leave of each document's exact change
            left = [sum(r.amount_cents for r in rounding if r.document == d) for d in documents]
            table.add_row(Text("Afronding", style="italic"), *(money(c) for c in left), money(sum(left)))
        tables.append(table)
    if not tables:
        return Group(Text(f"No participant's contribution changed from {result.from_} to {result.to}."))
    return Group(*tables)


def participants_effect_table(participants: tuple[ParticipantDiff, ...], *, title: str) -> Table:
    """A dry run's change for each participant, per year."""
    years = sorted({y for p in participants for y in p.total_cents})
    table = Table(title=plain(title), title_justify="left", header_style="bold")
    table.add_column("participant")
    for year in years:
        table.add_column(str(year), justify="right", no_wrap=True)
    for p in participants:
        table.add_row(plain(p.name), *(money(p.total_cents.get(y, 0)) for y in years))
    return table


def keys_table(keys: tuple[KeyEntry, ...], *, participants: bool) -> Table:
    table = Table(title="Verdeelsleutels", title_justify="left", header_style="bold")
    for col in ("key", "from", "scope", "participants", "position", "source"):
        table.add_column(col, overflow="fold")
    for k in keys:
        listed = ("\n".join(f"{p.name} {percent(p.percentage)}" for p in k.participants) if participants
                  else str(len(k.participants)))
        table.add_row(plain(k.id), str(k.from_year), plain(", ".join(k.scope) or "general"), plain(listed),
                      str(k.position), plain(k.source))
    if not keys:
        table.caption = "no key is set: `begroting key set FILE`"
    return table
