"""`begroting serve`, asked in-process (Starlette's TestClient) on a real ledger file and a
real PostgreSQL database: every page answers with the figures `show --json` gives, to the
cent; a point in time changes them; unknown things are 404 pages; text is escaped; writes
are refused without --allow-record. The browser drives a real server in test_web_browser.py."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from projections.notation import euro
from tests.conftest import Cli
from tests.web_support import ROOT, TEST_HOSTS, story_ledger
from web.app import make_app
from web.site import Site

PAGES = ["/", "/?year=2026", "/?as_of=kb-2025", "/?as_of=kb-2025&adopted_only=1", "/figure/alpha/personeel?year=2025",
         "/figure/beta/gevaar?year=2026", "/figure/beta?year=2026", "/total?year=2025", "/diff?from=kb-2025&to=vjn-2025",
         "/diff", "/history", "/history?kind=verschuiving", "/history?grep=alert", "/documents", "/document/kb-2025",
         "/document/bw-inject", "/document/vjn-2025", "/contributions?year=2025",
         "/contribution/Gemeente%20Een?year=2025", "/integrity", "/record"]


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def backends(request: pytest.FixtureRequest) -> str:
    chosen = request.config.getoption("backend")
    if chosen not in ("both", request.param):
        pytest.skip(f"--backend {chosen}")
    return request.param


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The story ledger, built once per module and backend; the tests here only read it."""
    backends(request)
    yield from story_ledger(tmp_path_factory.mktemp("web"), request.param)


@pytest.fixture(scope="module")
def client(ledger: Cli) -> Iterator[TestClient]:
    site = Site(str(ledger.ledger), hosts=TEST_HOSTS)
    with TestClient(make_app(site)) as c:
        yield c
    site.close()


def text_of(html: str) -> str:
    """The page's text as a person reads it: tags out, entities back."""
    import html as entities

    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html)))


# ------------------------------------------------------------------ the begroting


def test_the_begroting_shows_every_figure_to_the_cent_each_a_link_to_its_trail(ledger: Cli, client: TestClient) -> None:
    show = ledger.json("show")
    html = client.get("/").text
    for line in show["lines"]:
        for year, amount in line["years"].items():
            href = f'/figure/{line["unit"]}/{line["line"]}?year={year}'
            assert re.search(rf'<a href="{re.escape(href)}">{re.escape(euro(cents(amount)))}</a>', html), (href, amount)
    for total in ("lasten", "baten", "saldo", "reserves", "te_dekken"):
        for year, amount in show["totals"][total].items():
            assert f'<a href="/total?year={year}">{euro(cents(amount))}</a>' in html
    assert html.count("<details") == 2 and 'scope="col"' in html and 'scope="row"' in html


def test_a_point_in_time_shows_the_figures_as_they_stood_and_every_link_keeps_it(client: TestClient) -> None:
    now = client.get("/?year=2025").text
    assert "€ 940.000" in now and "€ 1.621.249,56" in now
    then = client.get("/?year=2025&as_of=kb-2025").text
    # Before the Voorjaarsnota and the injection document: the Kaderbrief's own figures.
    assert "€ 1.000.000" in then and "€ 1.650.015" in then and "€ 940.000" not in then
    assert "/figure/alpha/personeel?as_of=kb-2025&amp;year=2025" in then
    assert "Stand per kb-2025 (positie" in then
    adopted = client.get("/?year=2025&adopted_only=1").text
    assert "€ 1.650.015" in adopted and "adopted_only=1" in adopted
    by_date = client.get("/?year=2025&as_of=2000-01-01")
    assert by_date.status_code == 400 and "nothing was recorded by then" in text_of(by_date.text)


def test_the_last_document_shows_the_totals_before_and_after_it(client: TestClient) -> None:
    html = text_of(client.get("/?year=2025").text)
    # The Voorjaarsnota moves € 50.000 of uitvoering to 2026 and corrects personeel by € 20.000 … net € -30.000.
    assert "Laatst vastgelegd: Voorjaarsnota 2025" in html
    assert "€ 1.651.249,56" in html and "€ 1.621.249,56" in html


# ------------------------------------------------------------------ a figure


def test_a_figure_shows_its_trail_with_corrections_other_legs_and_a_waterfall(ledger: Cli, client: TestClient) -> None:
    html = client.get("/figure/alpha/personeel?year=2025").text
    text = text_of(html)
    assert re.search(r"kb-2025/1 .*vjn-2025/1 .*vjn-2025/2", text, re.S)
    assert "corrigeert kb-2025/1" in text and "andere benen: beta/personeel 2025: € 80.000" in text
    running = [s["running_total"] for s in ledger.json("explain", "alpha/personeel", "--year", "2025")["steps"]]
    assert running == ["1000000.00", "1020000.00", "940000.00"]
    for amount in running:
        assert euro(cents(amount)) in text
    # One bar per document and one for the figure, each with its label.
    assert html.count("<rect ") == 3 and ">kb-2025</text>" in html and ">totaal</text>" in html
    assert 'href="/document/vjn-2025"' in html and 'href="/"' in html


def test_a_long_trail_brings_its_earlier_steps_forward(client: TestClient) -> None:
    text = text_of(client.get("/figure/alpha/personeel?year=2025&limit=1").text)
    assert "Eerder: 2 mutaties samen € 1.020.000" in text and "vjn-2025/2" in text and "kb-2025/1" not in text
    every = text_of(client.get("/figure/alpha/personeel?year=2025&all=1").text)
    assert "kb-2025/1" in every and "Eerder:" not in every


def test_a_unit_and_the_total_list_their_parts_as_links(client: TestClient) -> None:
    html = client.get("/figure/beta?year=2026").text
    assert '<a href="/figure/beta/personeel?year=2026">€ 180.000</a>' in html
    assert "€ 180.010" in html  # beta's lasten in 2026
    total = client.get("/total?year=2025").text
    assert '<a href="/figure/alpha?year=2025">€ 1.140.015</a>' in total


# ------------------------------------------------------------------ diff, history, documents


def test_the_diff_groups_by_line_with_a_column_per_year_and_filters(client: TestClient) -> None:
    html = client.get("/diff?from=kb-2025&to=vjn-2025").text
    head = re.search(r"<thead><tr><th scope=\"col\">Regel</th>(.*?)</tr></thead>", html).group(1)
    assert re.findall(r">(\d{4})<", head) == ["2025", "2026", "2027"]  # structural changes carry
    assert "Eenheid Alpha / Uitvoeringskosten" in html and "€ -50.000" in html and "€ 50.000" in html
    beta = text_of(client.get("/diff?from=kb-2025&to=vjn-2025&unit=beta&year=2026").text)
    assert "Reserve Beta" in beta and "Uitvoeringskosten" not in beta and "€ -1.000" in beta
    assert client.get("/diff?from=kb-2025&to=nope").status_code == 400


def test_history_filters_as_the_cli_does_and_is_paginated(ledger: Cli, client: TestClient) -> None:
    shifts = text_of(client.get("/history?kind=verschuiving").text)
    assert "vjn-2025/2" in shifts and "kb-2025/1" not in shifts
    for query, flags in (("unit=beta", ["--unit", "beta"]), ("line=alpha/uitvoering", ["--line", "alpha/uitvoering"]),
                         ("document=kb-2025", ["--document", "kb-2025"]), ("reference=%C2%A76", ["--reference", "§6"]),
                         ("grep=rekenfout", ["--grep", "rekenfout"]), ("corrections=1", ["--corrections"]),
                         ("document-kind=voorjaarsnota&from=2025-01-01&to=2025-12-31",
                          ["--document-kind", "voorjaarsnota", "--from", "2025-01-01", "--to", "2025-12-31"])):
        want = [r["position"] for r in ledger.json("history", *flags)]
        html = client.get(f"/history?{query}").text
        rows = re.findall(r'<tr>\s*<td class="num">(\d+)</td>', html)
        assert sorted(map(int, rows)) == sorted(want), query
    assert client.get("/history?kind=nope").status_code == 400
    assert client.get("/history?from=gisteren").status_code == 400


def test_a_document_shows_header_mutations_effect_and_later_corrections(client: TestClient) -> None:
    kb = text_of(client.get("/document/kb-2025").text)
    assert "Status vastgesteld" in kb and "Besluit Bestuur 21-03-2024" in kb
    assert "vjn-2025/1" in kb  # corrected by the Voorjaarsnota
    vjn = client.get("/document/vjn-2025").text
    rows = re.findall(r'<tr><th scope="row"><a href="/figure/(\w+)\?year=2025">\w+</a></th><td>(\w+)</td>', vjn)
    assert ("alpha", "lasten") in rows and ("beta", "lasten") in rows and ("beta", "reserve") in rows
    assert "corrigeert" in vjn and "beta/personeel: " in vjn


def test_contributions_per_participant_and_a_participants_trail(ledger: Cli, client: TestClient) -> None:
    want = {p["name"]: euro(cents(p["amount"])) for p in ledger.json("contributions", "--year", "2025")["participants"]}
    html = client.get("/contributions?year=2025").text
    for name, amount in want.items():
        assert f'>{amount}</a>' in html and name in html
    one = text_of(client.get("/contribution/Gemeente%20Een?year=2025").text)
    assert want["Gemeente Een"] in one and "kb-2025/1" in one
    assert client.get("/contribution/Niemand?year=2025").status_code == 404


def test_integrity_shows_the_digest_and_the_owner_runs_verify(ledger: Cli, client: TestClient) -> None:
    html = client.get("/integrity").text
    assert ledger("digest").stdout.strip() in html and "nog niet gedraaid" in html
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    assert client.post("/integrity/verify", data={}).status_code == 403
    done = client.post("/integrity/verify", data={"csrf": csrf})
    assert done.status_code == 200 and "in orde" in done.text and "hashketen intact" in done.text


# ------------------------------------------------------------------ safe by construction


def test_unknown_things_are_pages_with_a_message_never_a_traceback(client: TestClient) -> None:
    for path, status, says in (("/document/nope", 404, "no document 'nope'"),
                               ("/figure/alpha/nope?year=2025", 404, "names no unit or line"),
                               ("/figure/alpha/personeel?year=2031", 400, "outside the horizon"),
                               ("/figure/alpha/personeel?year=abc", 400, "give a whole number"),
                               ("/?as_of=pos:999", 400, "the ledger has positions"),
                               ("/nergens", 404, "Deze pagina bestaat niet")):
        r = client.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), path
        assert says in text_of(r.text) and "Traceback" not in r.text, path


def test_every_page_escapes_document_text_and_sends_the_security_headers(client: TestClient) -> None:
    for path in [*PAGES, "/document/nope"]:
        r = client.get(path)
        assert r.status_code in (200, 404), path
        assert "<script" not in r.text and "<img" not in r.text, path
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script at all
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    doc = client.get("/document/bw-inject").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in doc


def test_without_the_flag_every_write_is_refused_and_nothing_changes(ledger: Cli, client: TestClient) -> None:
    events = ledger.event_count()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/record").text).group(1)
    upload = {"file": ("bw.yaml", b"document: {id: x}", "application/x-yaml")}
    assert client.post("/record", files=upload, data={"csrf": csrf}).status_code == 403
    for path, form in (("/record/confirm", {"token": "x"}), ("/document/vjn-2025/adopt", {"decision": "AB"}),
                       ("/document/vjn-2025/withdraw", {"reason": "weg"})):
        r = client.post(path, data={**form, "csrf": csrf})
        assert r.status_code == 403 and "--allow-record" in r.text, path
    assert ledger.event_count() == events


def test_begroting_help_does_not_load_the_web_server() -> None:
    code = "import sys, cli.main; assert 'starlette' not in sys.modules and 'uvicorn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_serve_refuses_a_missing_ledger_in_one_line(tmp_path: Path) -> None:
    result = Cli(tmp_path / "none.db", tmp_path)("serve", "--port", "8099", ok=False)
    assert result.exit_code == 1 and "no ledger at" in result.output


def test_hostile_query_parameters_give_a_message_never_a_traceback_or_markup(client: TestClient) -> None:
    payload = "<script>alert(9)</script>"
    junk = ["year=²", "year=-1", f"as_of={payload}", "as_of=%00", "limit=0", "limit=abc", "page=0", "page=²",
            f"from={payload}", "to=2025-13-01", f"grep={payload}", f"kind={payload}", f"unit={payload}",
            f"line={payload}", "all=1", "adopted_only=yes"]
    paths = [p.split("?")[0] for p in PAGES] + [f"/figure/{payload}/x", f"/document/{payload}",
                                                 f"/contribution/{payload}?year=2025", "/diff?from=1&to=%00"]
    for path in paths:
        for extra in junk:
            r = client.get(f"{path}{'&' if '?' in path else '?'}{extra}")
            assert r.status_code in (200, 400, 404), (path, extra, r.status_code)
            assert "alert(9)</script>" not in r.text.replace("&lt;script&gt;alert(9)&lt;/script&gt;", ""), (path, extra)
            assert "Traceback" not in r.text and "internal error" not in r.text, (path, extra)


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    import socket

    bg = Cli(tmp_path / "l.db", tmp_path)
    bg("init", "--organisation", "T", "--years", "2025-2026")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = bg("serve", "--port", str(taken.getsockname()[1]), ok=False)
    assert result.exit_code == 1 and "cannot listen on 127.0.0.1:" in result.output and "Serving" not in result.output


def test_a_path_with_two_slashes_links_to_no_other_host(client: TestClient) -> None:
    r = client.get("//evil.example/?as_of=1")
    assert 'href="//' not in r.text and 'action="//' not in r.text
