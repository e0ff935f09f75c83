"""The web application: routes to the pages, security headers on every answer, and the one
error path (a page with a message and the right status, never a traceback).

Requests are answered one at a time in the event loop's thread (every endpoint is ``async``
and calls the synchronous query layer directly): one open ledger, no locking, and a figure
answers in milliseconds. A long `verify` holds the others back while it runs."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.errors import DocumentNotFound, InvalidInput, LedgerError, NotPermitted, UnknownFigure
from web import pages, writes
from web.render import message
from web.site import Site

STATIC = Path(__file__).resolve().parent / "static"
# No script at all, styles only from the server itself, no framing, forms post only here.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                 b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]

Handler = Callable[[Request, Site], Response]
MAX_BODY_BYTES = writes.MAX_UPLOAD_BYTES + 100_000  # an upload and its form fields


class SecurityHeaders:
    """Adds the security headers to every response, error pages included."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                msg["headers"] = [h for h in msg.get("headers", []) if h[0] not in names] + SECURITY_HEADERS
            await send(msg)

        await self.app(scope, receive, with_headers)


def status_of(error: LedgerError) -> int:
    if isinstance(error, (UnknownFigure, DocumentNotFound)):
        return 404
    if isinstance(error, NotPermitted):
        return 403
    return 400


def endpoint(handler: Callable[[Request, Site], Any]) -> Callable[[Request], Awaitable[Response]]:
    """An async endpoint that runs ``handler`` (synchronous, on the query layer) and turns
    every failure into a page with a message."""

    async def run(request: Request) -> Response:
        site: Site = request.app.state.site
        given = [*(v for _, v in request.query_params.multi_items()), *map(str, request.path_params.values())]
        if any("\x00" in value for value in given):  # PostgreSQL refuses NUL in text; nothing names one
            return message(request, "Onjuiste invoer", "the address holds a NUL character", status=400)
        try:
            result = handler(request, site)
            if isinstance(result, Awaitable):
                result = await result
            return result
        except HTTPException:
            raise
        except InvalidInput as e:
            return message(request, "Onjuiste invoer", "\n".join(str(p) for p in e.problems), status=400)
        except LedgerError as e:
            status = status_of(e)
            title = {404: "Niet gevonden", 403: "Niet toegestaan"}.get(status, "Kan niet")
            return message(request, title, str(e), status=status)
        except Exception:  # a bug or a store failure: a message, never a traceback; the details to the log
            if os.environ.get("BEGROTING_DEBUG"):
                raise
            logging.getLogger("begroting.web").exception("internal error on %s", request.url.path)
            return message(request, "Interne fout", "internal error: the server's log says what went wrong",
                           status=500)

    return run


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    texts = {404: ("Niet gevonden", "Deze pagina bestaat niet."),
             405: ("Niet toegestaan", "Deze methode wordt hier niet ondersteund."),
             403: ("Niet toegestaan", str(getattr(exc, "detail", "")))}
    title, text = texts.get(status, ("Fout", str(getattr(exc, "detail", "")) or "Er ging iets mis."))
    return message(request, title, text, status=status)


def make_app(site: Site) -> ASGIApp:
    """The application for one ledger; ``site`` says which and whether it may record."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        site.close()

    routes = [
        Route("/", endpoint(pages.begroting)),
        Route("/figure/{unit}/{line}", endpoint(pages.line_figure)),
        Route("/figure/{unit}", endpoint(pages.unit_figure)),
        Route("/total", endpoint(pages.total_figure)),
        Route("/diff", endpoint(pages.diff)),
        Route("/history", endpoint(pages.history)),
        Route("/documents", endpoint(pages.documents)),
        Route("/document/{document}", endpoint(pages.document)),
        Route("/contributions", endpoint(pages.contributions)),
        Route("/contribution/{name:path}", endpoint(pages.contribution)),  # a name may hold a '/
        Route("/integrity", endpoint(pages.integrity)),
        Route("/integrity/verify", endpoint(writes.verify), methods=["POST"]),
        Route("/record", endpoint(writes.record_form)),
        Route("/record", endpoint(writes.record), methods=["POST"]),
        Route("/record/confirm", endpoint(writes.confirm), methods=["POST"]),
        Route("/document/{document}/adopt", endpoint(writes.adopt), methods=["POST"]),
        Route("/document/{document}/withdraw", endpoint(writes.withdraw), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: http_error},
                    lifespan=lifespan)
    app.state.site = site
    # Only the names the server was started for: a page of another site whose name is pointed at
    # this machine (DNS rebinding) gets 400, so it can neither read the ledger nor post to it.
    return SecurityHeaders(BoundedBody(TrustedHostMiddleware(app, allowed_hosts=list(site.hosts))))


class BoundedBody:
    """A request body is refused before it is read when it says it is larger than a document
    upload may be, or does not say how large it is (413, 411)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"")
            status = (411 if not length.isdigit() and headers.get(b"transfer-encoding") else
                      413 if length.isdigit() and int(length) > MAX_BODY_BYTES else None)
            if status is not None:
                await PlainTextResponse("request body too large" if status == 413 else "length required",
                                        status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
