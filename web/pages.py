"""The pages that read: each resolves the point in time, asks ``ledger.views`` one question
(the same call the CLI's command makes) and renders the answer into its template."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledger.errors import DocumentNotFound, LedgerError, NoKeyInForce, UnknownFigure
from projections.answers import Explanation, HistoryRow
from projections.contributions import ContributionQueries
from projections.latest import latest_document
from web.render import Point, page
from web.site import Site
from web.svg import waterfall

TRAIL_LIMIT = 50  # steps a trail lists before it brings the earlier ones forward (as `explain`)
HISTORY_PAGE = 50  # rows a history page shows
DIFF_CAUSES = 10  # causes listed per figure in a diff (as `diff`)
HISTORY_FILTERS = ("kind", "unit", "line", "document", "document-kind", "from", "to", "reference", "grep")


def whole(text: str | None, name: str, low: int, high: int) -> int | None:
    """A whole number from the query, or None when not given; a message when it is not one."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12) or not low <= int(text) <= high:
        raise LedgerError(f"{name} {text[:30]!r}: give a whole number from {low} to {high}")
    return int(text)


def resolved(request: Request, site: Site) -> tuple[Any, Point]:
    """The ledger, caught up, and the page's point in time resolved to a position."""
    ledger = site.ledger()
    point = Point.of(request)
    return ledger, replace(point, position=ledger.views.resolve_point(point.as_of))


def common(ledger: Any, point: Point) -> dict[str, Any]:
    """What the base template shows on every page."""
    notices, ledger.notices = list(ledger.notices), []
    if ledger.views_stale:
        notices.append(f"{ledger.actor} may not update the shared read models; they show position {ledger.views.head()}")
    return {"point": point, "organisation": ledger.views.organisation(), "head": ledger.views.head(),
            "document_ids": ledger.views.document_ids(), "notices": notices}


def years_of(request: Request, ledger: Any, point: Point) -> list[int]:
    years = [y for y in (whole(t, "year", 1, 9999) for t in request.query_params.getlist("year")) if y is not None]
    ledger.views.check_years(years, point.position)
    return years


# ------------------------------------------------------------------ the begroting


def begroting(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    years = years_of(request, ledger, point)
    data = ledger.views.show(point.position, adopted_only=point.adopted_only, years=years or None)
    units = {u.unit: u for u in data.units}
    return page(request, "begroting.html", {**common(ledger, point), "data": data, "by_unit": data.lines_by_unit(),
                                            "units": units, "chosen_years": years, "latest": latest(ledger, point, data),
                                            "horizon": list(ledger.views.horizon(point.position))})


def latest(ledger: Any, point: Point, data: Any) -> dict[str, Any] | None:
    """The document recorded last by the point and the totals right before it and right
    after it (as the ledger stood then, whatever came later)."""
    doc = latest_document(ledger.views, point.position)
    if doc is None or doc.status == "withdrawn" or (point.adopted_only and doc.status != "adopted"):
        return None
    years = list(data.years)
    before, after = (ledger.views.show(p, adopted_only=point.adopted_only, years=years).totals
                     for p in (doc.position - 1, doc.position))
    rows = [(key, {y: (getattr(before, f"{key}_cents")[y], getattr(after, f"{key}_cents")[y]) for y in years})
            for key in ("lasten", "baten", "saldo", "reserves", "te_dekken")]
    return {"doc": doc, "rows": rows}


# ------------------------------------------------------------------ a figure and its trail


def _figure_page(request: Request, site: Site, address: str | None, kind: str) -> Response:
    ledger, point = resolved(request, site)
    views = ledger.views
    fig = views.total_figure() if address is None else views.resolve_figure(address)
    if fig.kind != kind:
        raise UnknownFigure(f"{address!r} is not a {'line' if kind == 'line' else 'unit'} of the ledger")
    horizon = views.horizon(point.position)
    year = whole(request.query_params.get("year"), "year", 1, 9999) or horizon.start
    views.check_years([year], point.position)
    every = request.query_params.get("all") == "1"
    limit = None if every else whole(request.query_params.get("limit"), "limit", 1, 100_000) or TRAIL_LIMIT
    result: Explanation = views.explain(fig, year, point.position, adopted_only=point.adopted_only, limit=limit)
    chart = waterfall(result) if result.steps or result.brought_forward else None
    return page(request, "figure.html", {**common(ledger, point), "fig": fig, "result": result, "year": year,
                                         "horizon": list(horizon), "chart": chart, "every": every,
                                         "limit": limit})


def line_figure(request: Request, site: Site) -> Response:
    return _figure_page(request, site, f"{request.path_params['unit']}/{request.path_params['line']}", "line")


def unit_figure(request: Request, site: Site) -> Response:
    return _figure_page(request, site, request.path_params["unit"], "unit")


def total_figure(request: Request, site: Site) -> Response:
    return _figure_page(request, site, None, "total")


# ------------------------------------------------------------------ what changed between two points


def diff(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    views = ledger.views
    start, end = (request.query_params.get(name, "").strip() for name in ("from", "to"))
    unit = request.query_params.get("unit") or None
    context: dict[str, Any] = {**common(ledger, point), "start": start, "end": end, "unit": unit, "result": None,
                               "units": sorted({(r["unit"], r["unit_name"]) for r in views.lines()}),
                               "horizon": list(views.horizon()), "chosen_years": []}
    if start and end:
        years = years_of(request, ledger, replace(point, position=None))
        a, b = views.resolve_point(start), views.resolve_point(end)
        views.check_filters(unit=unit)
        result = views.diff(a, b, adopted_only=point.adopted_only, years=years or None, unit=unit, limit=DIFF_CAUSES)
        grouped: dict[tuple[str, str], dict[int, Any]] = {}
        names: dict[tuple[str, str], str] = {}
        for row in result.changes:
            grouped.setdefault((row.unit, row.line), {})[row.year] = row
            names[(row.unit, row.line)] = f"{row.unit_name} / {row.line_name}"
        context.update(result=result, grouped=grouped, names=names, a=a, b=b, chosen_years=years,
                       columns=sorted({row.year for row in result.changes}))
    return page(request, "diff.html", context)


# ------------------------------------------------------------------ history and documents


def history(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    views = ledger.views
    q = {name: (request.query_params.get(name) or "").strip() or None for name in HISTORY_FILTERS}
    corrections = request.query_params.get("corrections") in ("1", "on")
    number = whole(request.query_params.get("page"), "page", 1, 2_000) or 1  # 100,000 rows back at most
    line = q["line"]
    unit_id, _, line_id = (line or "").partition("/")
    views.check_filters(kind=q["kind"], unit=q["unit"], line=line, document=q["document"],
                        document_kind=q["document-kind"])
    for name in ("from", "to"):
        if q[name] is not None and not _is_date(q[name] or ""):
            raise LedgerError(f"{name} {q[name]!r} is not a date (YYYY-MM-DD)")
    wanted = number * HISTORY_PAGE
    rows: list[HistoryRow] = views.history(
        point.position, kind=q["kind"], unit=q["unit"] or (unit_id if line else None), line=line_id or None,
        document=q["document"], document_kind=q["document-kind"], date_from=q["from"], date_to=q["to"],
        reference=q["reference"], grep=q["grep"], corrections=corrections, limit=wanted + 1)
    more = len(rows) > wanted
    newest_first = rows[::-1][(number - 1) * HISTORY_PAGE:wanted]
    return page(request, "history.html", {**common(ledger, point), "rows": newest_first, "q": q,
                                          "corrections": corrections, "page": number, "more": more,
                                          "filters_no_corr": {k: v for k, v in q.items() if v},
                                          "lines": views.lines()})


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def documents(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    return page(request, "documents.html", {**common(ledger, point), "rows": ledger.views.documents(point.position)})


def document(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    name = request.path_params["document"]
    doc = ledger.views.document(name, point.position)
    if doc is None:
        raise DocumentNotFound(f"no document {name!r} in the ledger" + (" at this point" if point.as_of else ""))
    years = sorted({y for e in doc.effect for y in e.amounts_cents} | {y for t in doc.totals_cents.values() for y in t})
    return page(request, "document.html", {**common(ledger, point), "doc": doc, "years": years})


# ------------------------------------------------------------------ participants


def contributions(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    horizon = ledger.views.horizon(point.position)
    year = whole(request.query_params.get("year"), "year", 1, 9999) or horizon.start
    ledger.views.check_years([year], point.position)
    try:
        result = ContributionQueries(ledger.views).contributions(year, point.position, adopted_only=point.adopted_only)
        note = None
    except NoKeyInForce as e:
        result, note = None, str(e)
    return page(request, "contributions.html", {**common(ledger, point), "result": result, "note": note,
                                                "year": year, "horizon": list(horizon)})


def contribution(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    horizon = ledger.views.horizon(point.position)
    year = whole(request.query_params.get("year"), "year", 1, 9999) or horizon.start
    ledger.views.check_years([year], point.position)
    share = ContributionQueries(ledger.views).contribution(request.path_params["name"], year, point.position,
                                                           adopted_only=point.adopted_only)
    return page(request, "contribution.html", {**common(ledger, point), "share": share, "year": year,
                                               "horizon": list(horizon)})


# ------------------------------------------------------------------ integrity


def owner(ledger: Any) -> str:
    """Who opened the ledger (its first event), from the history."""
    rows = ledger.views.history(1, kind="ledger_opened")
    return rows[0].actor if rows else ""


def integrity(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    who = owner(ledger)
    return page(request, "integrity.html", {**common(ledger, point), "digest": ledger.digest(), "owner": who,
                                            "actor": ledger.actor, "is_owner": ledger.actor == who,
                                            "last": site.last_verify})


