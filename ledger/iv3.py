"""An Iv3 delivery to CBS (Informatie voor derden) of a begroting: lasten and baten per
taakveld × categorie of one year, with the metadata and contact CBS's schema v2.1.1 asks.

The delivery holds periode 0 (the begroting): the ledger holds budgets, not realisations.
Amounts are euros with cents, written as JSON numbers straight from integer cents (never
through a float). Before it is returned the delivery is checked against the schema, against
the code list of its year (DF001/DF002 codes, grijze cellen) and by the one CBS controle that
applies to periode 0 (PF006: total lasten = total baten); ``Iv3Check`` says what each found."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ledger import codelists
from ledger.classification import EMAIL
from ledger.errors import LedgerError
from ledger.money import decimal_text
from ledger.text import text_problems
from projections.bbv import Bbv
from projections.bbv_answers import Iv3Cell, Iv3Cells
from projections.errors import NotClassified
from projections.queries import Views

_NUMBER = "begroting-number:"  # marks a JSON number written from its decimal text (no float between)


@dataclass(frozen=True)
class Iv3Check:
    code: str  # CBS's foutcode, or "schema"
    check: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Iv3Delivery:
    """What `begroting iv3` wrote, and what the checks found."""

    year: int
    periode: int
    overheidslaag: str
    list_year: int  # the code list the cells were checked against
    lasten_cents: int
    baten_cents: int
    cells: int
    checks: tuple[Iv3Check, ...]
    not_applicable: tuple[str, ...]  # CBS's controles that do not apply to a begroting


def delivery(views: Views, year: int, *, at: int | None = None, adopted_only: bool = False, periode: int = 0,
             contact: dict[str, str] | None = None, stamp: datetime | None = None) -> tuple[str, Iv3Delivery]:
    """The delivery's JSON text and what was checked; LedgerError when it cannot be made."""
    if periode != 0:
        raise LedgerError(f"--periode {periode}: the ledger holds budgets, so only periode 0 (begroting) is "
                          "delivered; realisations (periode 1-5) come from the administration")
    bbv = Bbv(views)
    profile = bbv.profile()
    laag = profile["overheidslaag"]
    if not laag:
        raise LedgerError("iv3: the ledger has no overheidslaag; give it in a classify file "
                          "(organisation: {overheidslaag: gr}) or at `begroting init --overheidslaag`")
    cells = bbv.iv3_cells(year, at, adopted_only=adopted_only)
    if cells.unclassified:
        shown = ", ".join(cells.unclassified[:20]) + (" …" if len(cells.unclassified) > 20 else "")
        raise NotClassified(f"iv3: {len(cells.unclassified)} lines have no taakveld and categorie in {year}: "
                            f"{shown}; classify them with `begroting classify`")
    who = _contact(contact or {}, profile)
    list_year = codelists.list_year(laag, year)
    codes = codelists.code_list(laag, list_year)
    checks = [_codes_check(codes, cells), _grey_check(codes, cells)]
    lasten, baten = sum(c.amount_cents for c in cells.lasten), sum(c.amount_cents for c in cells.baten)
    why = ("the participants' contributions, a joint body's baten, are not lines of the ledger, and any geraamd "
           "resultaat" if views.organisation_kind() == "gr" else "the geraamd resultaat: a begroting in evenwicht has none")
    checks.append(Iv3Check("PF006", "totaal lasten taakvelden = totaal baten taakvelden", lasten == baten,
                           "" if lasten == baten else f"verschil {decimal_text(lasten - baten)} euro ({why})"))
    checks.append(Iv3Check("overheidsnummer", "the metadata name the body by its CBS number",
                           bool(profile["overheidsnummer"]), "" if profile["overheidsnummer"] else
                           "empty: give it in a classify file (organisation: {overheidsnummer: …})"))
    if not all(c.passed for c in checks[:2]):
        raise LedgerError("iv3: " + "; ".join(c.detail for c in checks[:2] if not c.passed))
    document = {
        "metadata": {
            "overheidslaag": codelists.LAAG_NAMES[laag], "overheidsnummer": profile["overheidsnummer"],
            "overheidsnaam": views.organisation(), "boekjaar": year, "periode": periode, "status": "Begroting",
            "datum": (stamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "details_openbaar": False, "financieel_pakket": "begroting (event-sourced ledger)",
            "export_software": f"begroting {_version()}",
        },
        "contact": who,
        "data": {"lasten": _rows(cells.lasten), "baten": _rows(cells.baten),
                 "balans_lasten": [], "balans_baten": [], "balans_standen": []},
    }
    text = re.sub(f'"{_NUMBER}(-?[0-9]+\\.[0-9]+)"', r"\1",
                  json.dumps(document, ensure_ascii=False, indent=2)) + "\n"
    checks.insert(0, _schema_check(text))
    if not checks[0].passed:
        raise LedgerError(f"iv3: the delivery does not validate against CBS's schema v2.1.1: {checks[0].detail}")
    controles = {"PF001", "PF002", "PF003", "PF004", "PF005", "PF007", "PF008", "PF009"}
    return text, Iv3Delivery(year=year, periode=periode, overheidslaag=laag, list_year=list_year,
                             lasten_cents=lasten, baten_cents=baten, cells=len(cells.lasten) + len(cells.baten),
                             checks=tuple(checks), not_applicable=tuple(sorted(controles)))


def _rows(cells: tuple[Iv3Cell, ...]) -> list[dict[str, Any]]:
    return [{"taakveld": c.taakveld, "categorie": c.categorie, "bedrag": _NUMBER + decimal_text(c.amount_cents)}
            for c in cells]


def _contact(given: dict[str, str], profile: dict[str, str]) -> dict[str, str]:
    """The schema's contact: the options, else what the ledger holds (classify's organisation.contact)."""
    who = {"naam": given.get("name") or profile["contact_name"], "email": given.get("email") or profile["contact_email"],
           "telefoon": given.get("phone") or profile["contact_phone"]}
    options = (("--contact-name", "naam"), ("--contact-email", "email"), ("--contact-phone", "telefoon"))
    missing = [option for option, key in options if not who[key].strip()]
    if missing:
        raise LedgerError(f"iv3: CBS needs a contact: give {', '.join(missing)} (or organisation.contact in a "
                          "classify file)")
    for option, key in options:
        for message in text_problems(who[key], "name"):
            raise LedgerError(f"{option}: {message}")
    if not EMAIL.match(who["email"]):
        raise LedgerError(f"--contact-email: {who['email'][:60]!r} is not an e-mail address CBS accepts")
    return who


def _codes_check(codes: codelists.CodeList, cells: Iv3Cells) -> Iv3Check:
    wrong = [f"{side} {c.taakveld} × {c.categorie}" for side, found in (("lasten", cells.lasten), ("baten", cells.baten))
             for c in found if c.taakveld not in codes.taakvelden or c.categorie not in codes.categorieen[side]]
    return Iv3Check("DF001/DF002", f"taakveld and categorie codes in the list {codes.name}", not wrong,
                    f"codes not in the list {codes.name}: {', '.join(wrong)}" if wrong else "")


def _grey_check(codes: codelists.CodeList, cells: Iv3Cells) -> Iv3Check:
    grey = [f"{side} {c.taakveld} × {c.categorie} ({', '.join(c.lines)})"
            for side, found in (("lasten", cells.lasten), ("baten", cells.baten))
            for c in found if c.amount_cents and (c.taakveld, c.categorie) in codes.grijze_cellen[side]]
    return Iv3Check("grijze cellen", f"no amount on a grijze cel of {codes.name}", not grey,
                    f"amounts on grijze cellen of {codes.name}: {', '.join(grey)}" if grey else "")


def _schema_check(text: str) -> Iv3Check:
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), codelists.delivery_schema())
    except jsonschema.ValidationError as e:
        return Iv3Check("schema", "JSON Schema v2.1.1", False, str(e).splitlines()[0])
    return Iv3Check("schema", "JSON Schema v2.1.1", True)


def _version() -> str:
    try:
        return version("begroting")
    except PackageNotFoundError:
        return "unknown"
