"""The BBV facts of a ledger: what kind of public body keeps it (its overheidslaag, for the
CBS code lists) and how its lines are classified: programma (the council's own list), Iv3
taakveld and categorie. Both are events of the ledger aggregate, like a key or a chart."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from events.models import Event, Frozen

Overheidslaag = Literal["provincie", "gemeente", "gr"]
OVERHEIDSLAGEN = get_args(Overheidslaag)


class OrganisationDescribed(Event):
    """The organisation is a provincie, gemeente or gemeenschappelijke regeling (gr), with
    optionally its CBS overheidsnummer and the contact an Iv3 delivery names."""

    TOPIC: ClassVar[str] = "begroting:OrganisationDescribed"

    overheidslaag: Overheidslaag
    overheidsnummer: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


class Programma(Frozen):
    id: str
    name: str


class LineClass(Frozen):
    """A line's classification: its programma and its Iv3 cell (taakveld × categorie); an
    empty text is not classified (yet)."""

    unit: str
    line: str
    programma: str = ""
    taakveld: str = ""
    categorie: str = ""

    @property
    def address(self) -> str:
        return f"{self.unit}/{self.line}"


class LinesClassified(Event):
    """Programma's declared and lines classified, holding from ``from_year`` on until a later
    from-year (the latest recorded wins within a year). ``document``: the document whose chart
    gave them, saved with it (they hold from that document on); empty for ``begroting classify``.
    ``list_year``: the year of the CBS code list the cells were checked against."""

    TOPIC: ClassVar[str] = "begroting:LinesClassified"

    from_year: int
    list_year: int
    programmas: tuple[Programma, ...] = ()
    lines: tuple[LineClass, ...] = ()
    document: str = ""
    source: str = ""
