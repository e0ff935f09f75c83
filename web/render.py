"""Pages as HTML: the Jinja2 environment (autoescape on for every template, so document text
is always text), the Dutch notation as filters, and the point in time every link keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from projections.notation import euro, exact_euro, percent

TEMPLATES = Path(__file__).resolve().parent / "templates"
POINT_PARAMS = ("as_of", "adopted_only")  # the point in time: kept by every link and form

ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
ENV.filters["euro"] = lambda cents: euro(cents) if cents is not None else ""
ENV.filters["exact_euro"] = exact_euro
ENV.filters["percent"] = lambda text: percent(text) if text is not None else ""
ENV.filters["path"] = lambda text: quote(str(text), safe="")
STATUS = {"adopted": "vastgesteld", "proposed": "voorstel", "withdrawn": "ingetrokken"}
TOTALS = {"lasten": "Lasten", "baten": "Baten", "saldo": "Saldo", "reserves": "Reserves (mutaties)",
          "te_dekken": "Te dekken"}
ENV.filters["status"] = lambda text: STATUS.get(text, text)
ENV.filters["total"] = lambda text: TOTALS.get(text, text)


@dataclass(frozen=True)
class Point:
    """The point in time a page shows: ``as_of`` (a document, a position or a date, as
    ``--as-of``) and ``adopted_only``; ``position`` is what it resolved to (None: now)."""

    as_of: str | None
    adopted_only: bool
    position: int | None = None

    @classmethod
    def of(cls, request: Request) -> Point:
        as_of = (request.query_params.get("as_of") or "").strip() or None
        return cls(as_of[:200] if as_of else None, request.query_params.get("adopted_only") in ("1", "on", "true"))

    def params(self) -> dict[str, str]:
        out = {}
        if self.as_of:
            out["as_of"] = self.as_of
        if self.adopted_only:
            out["adopted_only"] = "1"
        return out


def link(point: Point, path: str, **params: Any) -> str:
    """``path`` with the point in time and ``params`` as its query; a param given here
    replaces the point's own (``as_of=…``), None, "" and False are left out."""
    query: dict[str, list[str]] = {name: [value] for name, value in point.params().items()}
    for name, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        query[name] = [str(v) for v in values if v is not None and v != "" and v is not False]
    pairs = [(name, v) for name, values in query.items() for v in values]
    return path + ("?" + urlencode(pairs) if pairs else "")


def page(request: Request, template: str, context: Mapping[str, Any], *, status: int = 200) -> HTMLResponse:
    """Render a page; the base template draws the header, the point-in-time form and notices."""
    site = request.app.state.site
    point = context.get("point") or Point.of(request)
    html = ENV.get_template(template).render({
        # One leading slash: a path such as //other.example/ must not become a link to another host.
        **context, "point": point, "site": site, "request_path": "/" + request.url.path.lstrip("/"),
        "link": lambda path, **params: link(point, path, **params),
        "query": dict(request.query_params), "csrf": site.csrf_token,
    })
    return HTMLResponse(html, status_code=status)


def message(request: Request, title: str, text: str, *, status: int) -> HTMLResponse:
    """An error as a page: a title and one message (several lines kept), never a traceback."""
    return page(request, "message.html", {"title": title, "lines": text.splitlines() or [text],
                                          "point": Point.of(request), "notices": []}, status=status)
