"""The BBV and Iv3 answers (``projections.bbv``): frozen records with amounts in integer
cents, serialized like every other answer by ``ledger.answers.plain``."""

from __future__ import annotations

from dataclasses import dataclass

from projections.answers import omitted

NO_PROGRAMMA = ""  # the programma of a line that has none (yet)


@dataclass(frozen=True)
class ProgrammaRow:
    """One programma in a year: its lines' lasten and baten, the saldo (baten − lasten), and
    its reserve lines' toevoegingen and onttrekkingen (both positive amounts)."""

    programma: str
    name: str
    lasten_cents: int
    baten_cents: int
    saldo_cents: int
    toevoegingen_cents: int
    onttrekkingen_cents: int


@dataclass(frozen=True)
class PartRow:
    """What of the programma's falls on the taakvelden BBV art. 17 shows apart: algemene
    dekkingsmiddelen, overhead, Vpb, onvoorzien."""

    part: str
    taakvelden: tuple[str, ...]
    lasten_cents: int
    baten_cents: int
    saldo_cents: int


@dataclass(frozen=True)
class YearBalance:
    """The structureel begrotingssaldo of one year of the horizon and its verdict."""

    year: int
    structureel_saldo_cents: int
    structureel_evenwicht: bool


@dataclass(frozen=True)
class BbvOverview:
    """The overzicht van baten en lasten of a year, the overzicht incidentele baten en lasten
    (``incidenteel``, per programma) and the structureel begrotingssaldo, per year of the horizon."""

    organisation: str
    overheidslaag: str
    year: int
    position: int
    adopted_only: bool
    programmas: tuple[ProgrammaRow, ...]
    apart: tuple[PartRow, ...]  # of the programma's above, by taakveld; not added again
    saldo_van_baten_en_lasten_cents: int
    toevoegingen_cents: int
    onttrekkingen_cents: int
    geraamd_resultaat_cents: int
    incidenteel: tuple[ProgrammaRow, ...]
    incidenteel_saldo_cents: int  # incidentele baten − lasten + onttrekkingen − toevoegingen
    structureel_saldo_cents: int  # geraamd resultaat − incidenteel saldo
    structureel_evenwicht: bool
    per_year: tuple[YearBalance, ...]
    # A joint body (gr) with a key in force: its participants' contributions, which are its baten
    # (counted in the programma-less row, like `balance` counts them).
    contributions_cents: int | None = omitted()
    note: str | None = omitted()


@dataclass(frozen=True)
class ProgrammaYears:
    programma: str
    name: str
    lasten_cents: dict[int, int]
    baten_cents: dict[int, int]
    saldo_cents: dict[int, int]
    toevoegingen_cents: dict[int, int]
    onttrekkingen_cents: dict[int, int]


@dataclass(frozen=True)
class ProgrammaTable:
    """The begroting per programma (``show --by programma``): how a council authorises it."""

    organisation: str
    position: int
    adopted_only: bool
    years: tuple[int, ...]
    programmas: tuple[ProgrammaYears, ...]


@dataclass(frozen=True)
class ProgrammaDiff:
    """What changed per programma between two points (``diff --by programma``)."""

    from_position: int
    to_position: int
    years: tuple[int, ...]
    before: tuple[ProgrammaYears, ...]
    after: tuple[ProgrammaYears, ...]
    change: tuple[ProgrammaYears, ...]


@dataclass(frozen=True)
class Iv3Cell:
    taakveld: str
    categorie: str
    amount_cents: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Iv3Cells:
    """Lasten and baten per taakveld × categorie in a year: a reserve line's net toevoeging is
    lasten on its cell, its net onttrekking baten."""

    year: int
    position: int
    adopted_only: bool
    lasten: tuple[Iv3Cell, ...]
    baten: tuple[Iv3Cell, ...]
    unclassified: tuple[str, ...]  # lines without a taakveld and categorie in that year


@dataclass(frozen=True)
class Iv3Step:
    position: int
    document: str
    seq: int
    kind: str
    line: str
    reason: str
    amount_cents: int


@dataclass(frozen=True)
class Iv3Trail:
    """How one Iv3 cell arose: the lines classified on it in the year, and the mutations
    that moved them, oldest first (earlier ones brought forward beyond the limit)."""

    taakveld: str
    categorie: str
    year: int
    position: int
    lasten_cents: int
    baten_cents: int
    lines: tuple[Iv3Cell, ...]  # each line on the cell, with its amount (its address as `lines`)
    brought_forward_cents: int
    brought_forward_steps: int
    steps: tuple[Iv3Step, ...]
