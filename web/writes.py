"""What the browser may change, only with `serve --allow-record`: record an uploaded document
(first its dry run: every problem, or its effect per line, on the totals and on each
participant; then, confirmed, the real thing), adopt and withdraw. Every write carries the
server's CSRF token and runs as the ledger's actor (on PostgreSQL: the database user the
server connects as). Running `verify` reads only; the owner may start it."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ledger.errors import InvalidInput, LedgerError, Problem
from ledger.files import csv_to_mapping, load_yaml_text
from ledger.parsing import DocumentInput, document_from_mapping
from ledger.text import text_problems
from web.pages import common, owner, resolved
from web.render import link, page
from web.site import Site, Upload

MAX_UPLOAD_BYTES = 10_000_000  # a document file is small; this bounds what one request may send
OFF = "recording from the browser is off: start the server with `begroting serve --allow-record`"


def _refuse_unless_allowed(site: Site) -> None:
    if not site.allow_record:
        raise HTTPException(403, OFF)


async def _checked_form(request: Request, site: Site) -> FormData:
    """The posted form, after the same-origin and CSRF checks."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "this request comes from another site")
    form = await request.form(max_files=1, max_fields=20)
    token = form.get("csrf")
    if not site.csrf_ok(token if isinstance(token, str) else None):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page and try again")
    return form


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(form: FormData) -> date:
    text = _text(form, "date", 20)
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"date {text!r} is not a date (YYYY-MM-DD)") from None


def parse_upload(filename: str, raw: bytes) -> DocumentInput:
    """The uploaded file as a document, as `record` reads a file: YAML, or CSV by its name."""
    source = PurePath(filename or "upload.yaml").name[:200] or "upload.yaml"
    named = text_problems(source, "name")
    if named:  # it becomes the document's source, stored for good
        raise InvalidInput([Problem(shown_name(source), "file name", named[0])])
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput([Problem(source, "", f"the file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")])
    if b"\x00" in raw:
        raise InvalidInput([Problem(source, "", "file contains NUL bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput([Problem(source, f"byte {e.start}", "file is not UTF-8")]) from None
    if source.lower().endswith(".csv"):
        data, seqs, problems = csv_to_mapping(text, source)
        return document_from_mapping(data, source, seqs=seqs, problems=problems)
    return document_from_mapping(load_yaml_text(text, source), source)


def shown_name(filename: str) -> str:
    """A file name as a page may show it: one that breaks the text rules with its characters escaped."""
    return filename.encode("unicode_escape").decode("ascii") if text_problems(filename, "name") else filename


def record_form(request: Request, site: Site) -> Response:
    ledger, point = resolved(request, site)
    return page(request, "record.html", {**common(ledger, point), "stage": "form", "problems": [], "result": None})


async def record(request: Request, site: Site) -> Response:
    """The dry run of an uploaded document: every problem, or what it would change."""
    _refuse_unless_allowed(site)
    form = await _checked_form(request, site)
    ledger, point = resolved(request, site)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise LedgerError("choose a document file (YAML or CSV) to upload")
    raw = await upload.read(MAX_UPLOAD_BYTES + 1)
    filename = upload.filename or "upload.yaml"
    context: dict[str, Any] = {**common(ledger, point), "filename": shown_name(filename), "problems": [],
                               "result": None}
    try:
        doc = parse_upload(filename, raw)
        result = ledger.record_input(doc, dry_run=True, adopted_only=point.adopted_only)
    except InvalidInput as e:
        return page(request, "record.html", {**context, "stage": "problems", "problems": e.problems}, status=422)
    token = site.keep_upload(Upload(filename, raw.decode("utf-8-sig"), ledger.views.head()))
    return page(request, "record.html", {**context, "stage": "dry-run", "result": result, "token": token,
                                         "years": sorted({c[2] for c in result.changes} | {t[1] for t in result.totals})})


async def confirm(request: Request, site: Site) -> Response:
    """Record the document whose dry run was shown."""
    _refuse_unless_allowed(site)
    form = await _checked_form(request, site)
    ledger, point = resolved(request, site)
    upload = site.take_upload(_text(form, "token", 100))
    if upload is None:
        raise LedgerError("this upload is no longer waiting to be recorded: upload the file again")
    if ledger.views.head() != upload.head:  # what was shown may no longer be what it would record
        raise LedgerError(f"the ledger changed since this dry run (position {upload.head}, now "
                          f"{ledger.views.head()}): upload the file again to see what it would do now")
    try:
        result = ledger.record_input(parse_upload(upload.filename, upload.text.encode()),
                                     adopted_only=point.adopted_only)
    except InvalidInput as e:  # the ledger changed since the dry run
        return page(request, "record.html", {**common(ledger, point), "stage": "problems", "problems": e.problems,
                                             "filename": upload.filename, "result": None}, status=422)
    return page(request, "record.html", {**common(ledger, point), "stage": "recorded", "result": result,
                                         "filename": upload.filename, "problems": []})


async def adopt(request: Request, site: Site) -> Response:
    return await _lifecycle(request, site, "decision")


async def withdraw(request: Request, site: Site) -> Response:
    return await _lifecycle(request, site, "reason")


async def _lifecycle(request: Request, site: Site, field: str) -> Response:
    """Adopt a document with its decision, or withdraw it with its reason; back to its page."""
    _refuse_unless_allowed(site)
    form = await _checked_form(request, site)
    ledger, point = resolved(request, site)
    document = request.path_params["document"]
    act = ledger.adopt if field == "decision" else ledger.withdraw
    act(document, _date(form), _text(form, field))
    return RedirectResponse(link(point, f"/document/{document}"), status_code=303)


async def verify(request: Request, site: Site) -> Response:
    """Run `verify` (the owner only) and keep its outcome for the integrity page."""
    from ledger.answers import Verified

    await _checked_form(request, site)
    ledger, point = resolved(request, site)
    who = owner(ledger)
    if ledger.actor != who:
        raise HTTPException(403, f"only the ledger's owner ({who}) runs verify from here, not {ledger.actor}")
    site.verified(Verified.of(ledger.verify()))
    return RedirectResponse(link(point, "/integrity"), status_code=303)
