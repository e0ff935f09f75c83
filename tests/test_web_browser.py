"""`begroting serve` driven in headless Chromium (playwright), on SQLite and PostgreSQL: an
auditor opens the begroting, follows a figure to its trail and back, changes the point in
time and sees the figures change to the cent, filters the history, opens a document; a
controller uploads a bad document and sees its errors, a good one and sees it recorded (with
--allow-record) or refused (without); the XSS corpus runs nowhere; axe-core finds no serious
or critical violation on any page. One server pair per backend, one browser for the module."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import Cli
from tests.test_exports import chromium
from tests.test_web import PAGES, backends
from tests.web_support import BAD_UPLOAD, GOOD_UPLOAD, Server, story_ledger


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium()
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Served:
    def __init__(self, ledger: Cli, reader: Server, controller: Server):
        self.ledger, self.reader, self.controller = ledger, reader, controller


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The story ledger served twice: read only, and with --allow-record."""
    backends(request)
    for ledger in story_ledger(tmp_path_factory.mktemp("browser"), request.param):
        reader = Server(str(ledger.ledger))
        controller = Server(str(ledger.ledger), "--allow-record")
        try:
            yield Served(ledger, reader, controller)
        finally:
            said = reader.stop() + controller.stop()
        assert "Stopped." in said and "Traceback" not in said  # Ctrl-C stops it cleanly


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    p = context.new_page()
    p.dialogs = []  # type: ignore[attr-defined]
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield p
    context.close()


def test_an_auditor_follows_a_figure_to_its_trail_and_back_and_changes_the_point_in_time(served: Served, page: Any) -> None:
    url = served.reader.url
    page.goto(url + "/?year=2025")
    figure = page.locator('a[href="/figure/alpha/personeel?year=2025"]')
    assert figure.inner_text() == "€ 940.000"
    figure.click()
    assert page.url == url + "/figure/alpha/personeel?year=2025"
    trail = page.locator("table.trail").inner_text()
    assert "kb-2025/1" in trail and "vjn-2025/2" in trail and "corrigeert kb-2025/1" in trail
    assert page.locator("svg.waterfall rect").count() == 3
    page.locator("#terug").click()
    assert page.locator("h1").inner_text() == "Begroting Testorganisatie"
    # A unit collapses without script.
    unit = page.locator("details.unit").first
    unit.locator("summary").click()
    assert unit.get_attribute("open") is None
    # The point in time: as the Kaderbrief left it.
    page.fill("#as_of", "kb-2025")
    page.get_by_role("button", name="Toon").click()
    assert "as_of=kb-2025" in page.url
    assert page.locator('a[href="/figure/alpha/personeel?as_of=kb-2025&year=2025"]').inner_text() == "€ 1.000.000"
    assert page.locator('a[href="/total?as_of=kb-2025&year=2025"]').first.inner_text() == "€ 1.650.015"
    page.locator('a[href="/figure/alpha/personeel?as_of=kb-2025&year=2025"]').click()
    assert page.locator("#bedrag").inner_text() == "€ 1.000.000" and "vjn-2025" not in page.locator("main").inner_text()
    # Keyboard: the first Tab reaches the skip link.
    page.goto(url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    assert page.dialogs == []


def test_an_auditor_filters_the_history_and_opens_a_document(served: Served, page: Any) -> None:
    page.goto(served.reader.url + "/history")
    page.fill("#h-kind", "verschuiving")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 1 and "vjn-2025/2" in rows.inner_text()
    rows.get_by_role("link", name="Voorjaarsnota 2025").click()
    assert page.locator("h1").inner_text().startswith("Voorjaarsnota 2025")
    assert "Rekenfout in formatie" in page.locator("main").inner_text()


def test_document_text_runs_nowhere(served: Served, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    for path in PAGES:
        response = page.goto(served.reader.url + path)
        assert response.status == 200, path
    page.goto(served.reader.url + "/document/bw-inject")
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in page.locator("main").inner_text()
    page.wait_for_timeout(200)
    assert page.dialogs == []
    assert all(u.startswith(served.reader.url) for u in requests)  # no CDN, no network


def serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_or_critical_violation_on_any_page(served: Served, page: Any) -> None:
    found = {}
    for path in [*PAGES, "/document/nope"]:
        page.goto(served.controller.url + path)
        if bad := serious(page):
            found[path] = bad
    assert found == {}


def test_a_controller_uploads_a_bad_then_a_good_document_and_an_auditor_is_refused(served: Served, page: Any,
                                                                                   tmp_path: Path) -> None:
    bad, good = tmp_path / "bw-bad.yaml", tmp_path / "bw-web.yaml"
    bad.write_text(BAD_UPLOAD, encoding="utf-8")
    good.write_text(GOOD_UPLOAD, encoding="utf-8")
    events = served.ledger.event_count()
    # Without --allow-record the upload is refused.
    page.goto(served.reader.url + "/record")
    page.set_input_files("#file", str(good))
    response_page = page.get_by_role("button", name="Proef (dry run)")
    with page.expect_response(lambda r: r.url.endswith("/record")) as refused:
        response_page.click()
    assert refused.value.status == 403 and "--allow-record" in page.locator("main").inner_text()
    assert served.ledger.event_count() == events
    # With it: a bad document shows every problem and records nothing.
    page.goto(served.controller.url + "/record")
    page.set_input_files("#file", str(bad))
    page.get_by_role("button", name="Proef (dry run)").click()
    problems = page.locator("#problemen").inner_text()
    assert "unknown line 'alpha/bestaatniet'" in problems and "does not net to zero in 2025" in problems
    assert serious(page) == []
    assert served.ledger.event_count() == events
    # A good one: its dry run, then recorded once confirmed.
    page.set_input_files("#file", str(good))
    page.get_by_role("button", name="Proef (dry run)").click()
    assert "€ 952.345,67" in page.locator("#effect-regels").inner_text()
    assert serious(page) == []
    assert served.ledger.event_count() == events
    page.locator("#bevestig").click()
    assert "bw-web is vastgelegd" in page.locator("#vastgelegd").inner_text()
    assert serious(page) == []
    assert served.ledger.event_count() == events + 1
    page.goto(served.reader.url + "/?year=2026")
    assert page.locator('a[href="/figure/alpha/personeel?year=2026"]').inner_text() == "€ 952.345,67"
