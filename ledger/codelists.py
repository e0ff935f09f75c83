"""The CBS Iv3 code lists the ledger validates a classification against, and the delivery schema.

The data ships inside the package (``ledger/iv3data``), compacted from the definition files CBS
publishes (statistiekcbs/iv3_definities; see ``ledger/iv3data/README.md``): per overheidslaag
and year, the taakvelden, the categorieën of each side and the grijze cellen (taakveld ×
categorie combinations that must stay empty). ``python -m ledger.codelists DIR`` rewrites the
shipped files from CBS's own; a test checks that they agree.

A classification is checked against the list of the year it holds from, or the nearest year
shipped (``list_year``); the event records which one, so that ``verify`` judges it by the same
list however many lists are shipped later."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

LAAG_NAMES = {"provincie": "Provincie", "gemeente": "Gemeente", "gr": "GR"}  # ours -> CBS's
SIDES = ("lasten", "baten")
RESERVE_CATEGORIE = "7.1"  # Mutatie reserves


def reserves_taakveld(laag: str) -> str:
    """The taakveld of reserve mutations: 0.8 for a provincie, 0.10 for a gemeente or GR."""
    return "0.8" if laag == "provincie" else "0.10"


@dataclass(frozen=True)
class CodeList:
    laag: str  # provincie | gemeente | gr
    year: int
    taakvelden: dict[str, str]  # code -> omschrijving
    categorieen: dict[str, dict[str, str]]  # side -> code -> omschrijving
    grijze_cellen: dict[str, frozenset[tuple[str, str]]]  # side -> {(taakveld, categorie)}

    @property
    def name(self) -> str:
        return f"{LAAG_NAMES[self.laag]} {self.year}"


def shipped_years(laag: str) -> list[int]:
    folder = resources.files("ledger.iv3data")
    prefix = f"iv3_{LAAG_NAMES[laag]}_"
    return sorted(int(p.name[len(prefix):-5]) for p in folder.iterdir() if p.name.startswith(prefix))


def list_year(laag: str, year: int) -> int:
    """The year of the shipped list that judges ``year``: that year's, else the nearest."""
    years = shipped_years(laag)
    return min(years, key=lambda y: (abs(y - year), -y))


@cache
def code_list(laag: str, year: int) -> CodeList:
    """The shipped list of exactly that overheidslaag and year (see ``list_year``)."""
    text = resources.files("ledger.iv3data").joinpath(f"iv3_{LAAG_NAMES[laag]}_{year}.json").read_text("utf-8")
    data = json.loads(text)
    return CodeList(
        laag=laag, year=year, taakvelden=data["taakvelden"],
        categorieen={side: data[f"categorie_{side}"] for side in SIDES},
        grijze_cellen={side: frozenset((t, c) for t, c in data["grijze_cellen"][side]) for side in SIDES},
    )


@cache
def delivery_schema() -> dict[str, Any]:
    """JSON Schema v2.1.1 of an Iv3 delivery (draft-07)."""
    return json.loads(resources.files("ledger.iv3data").joinpath("iv3_data_schema_v2_1_1.json").read_text("utf-8"))


def cell_problem(codes: CodeList, line_type: str, taakveld: str, categorie: str) -> str | None:
    """Why a line of this type may not be classified on this cell, or None. A reserve line's
    toevoegingen are lasten and its onttrekkingen baten on the same cell, so both sides judge it."""
    if taakveld not in codes.taakvelden:
        return f"taakveld {taakveld!r} is not in the Iv3 list {codes.name}"
    sides = SIDES if line_type == "reserve" else (line_type,)
    for side in sides:
        if categorie not in codes.categorieen[side]:
            known = "lasten" if side == "baten" and categorie in codes.categorieen["lasten"] else None
            why = f"a {side} categorie" if known is None else f"a {side} categorie (it is a lasten one)"
            return f"categorie {categorie!r} is not {why} in the Iv3 list {codes.name}"
    reserves = reserves_taakveld(codes.laag)
    if taakveld == reserves and line_type != "reserve":
        return f"taakveld {reserves} (mutaties reserves) is only for a reserve line, not a {line_type} line"
    if taakveld == reserves and categorie != RESERVE_CATEGORIE:
        return f"taakveld {reserves} (mutaties reserves) takes only categorie {RESERVE_CATEGORIE}, not {categorie!r}"
    if line_type == "reserve" and (taakveld, categorie) != (reserves, RESERVE_CATEGORIE):
        return (f"a reserve line is classified on taakveld {reserves} × categorie {RESERVE_CATEGORIE} "
                f"(mutaties reserves), not {taakveld} × {categorie}")
    for side in sides:
        if (taakveld, categorie) in codes.grijze_cellen[side]:
            return f"taakveld {taakveld} × categorie {categorie} is a grijze cel for {side} in the Iv3 list {codes.name}"
    return None


# ---------------------------------------------------------------- compacting CBS's files


def _leaves(nodes: list[dict[str, Any]], out: dict[str, str]) -> dict[str, str]:
    for node in nodes:
        if node.get("subcodes"):
            _leaves(node["subcodes"], out)
        else:
            out[node["code"].rstrip(".")] = node["omschrijving"]  # CBS's Provincie 2026 list has "4.6.6."
    return out


def compact(definitions: dict[str, Any]) -> dict[str, Any]:
    """What the ledger needs of one CBS definition file: the leaf codes and the grijze cellen."""
    lists = definitions["codelijsten"]
    grey = definitions["grijze_cellen"]
    return {
        "taakvelden": _leaves(lists["taakveld"]["codelijst"], {}),
        **{f"categorie_{side}": _leaves(lists[f"categorie_{side}"]["codelijst"], {}) for side in SIDES},
        "grijze_cellen": {side: sorted([g["taakveld"].rstrip("."), g["categorie"].rstrip(".")] for g in grey[side])
                          for side in SIDES},
    }


def main(source: str) -> None:
    """Rewrite the shipped lists and schema from CBS's files in ``source``."""
    target = Path(__file__).parent / "iv3data"
    for path in sorted(Path(source).glob("iv3_definities_*_*.json")):
        laag, year = path.stem.split("_")[2:4]
        data = compact(json.loads(path.read_text("utf-8")))
        (target / f"iv3_{laag}_{year}.json").write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    schema = Path(source) / "iv3_data_schema_v2_1_1.json"
    (target / schema.name).write_text(schema.read_text("utf-8"), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
