"""Recording from the browser with `serve --allow-record`, in-process on SQLite and
PostgreSQL: a bad upload lists every problem and records nothing; a good one shows its dry
run and is recorded only when confirmed, with the CSRF token; adopt and withdraw; the
history's pages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from projections.notation import euro
from tests.conftest import Cli
from tests.test_web import backends, text_of
from tests.web_support import BAD_UPLOAD, GOOD_UPLOAD, TEST_HOSTS, story_ledger
from web.app import make_app
from web.site import Site


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    backends(request)
    yield from story_ledger(tmp_path, request.param)


@pytest.fixture
def client(ledger: Cli) -> Iterator[TestClient]:
    site = Site(str(ledger.ledger), allow_record=True, hosts=TEST_HOSTS)
    with TestClient(make_app(site)) as c:
        yield c
    site.close()


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/record").text).group(1)


def upload(client: TestClient, name: str, text: str, csrf: str):
    return client.post("/record", files={"file": (name, text.encode(), "application/x-yaml")}, data={"csrf": csrf})


def test_a_bad_upload_lists_every_problem_and_records_nothing(ledger: Cli, client: TestClient) -> None:
    events = ledger.event_count()
    r = upload(client, "bw-bad.yaml", BAD_UPLOAD, csrf_of(client))
    text = text_of(r.text)
    assert r.status_code == 422 and "2 problemen in bw-bad.yaml; er is niets vastgelegd" in text
    assert "bw-bad.yaml: mutations.1.line: unknown line 'alpha/bestaatniet'" in text
    assert "bw-bad.yaml: mutations.2.legs: the shift does not net to zero in 2025" in text
    assert ledger.event_count() == events
    broken = client.post("/record", files={"file": ("x.yaml", b"\x00\x01", "application/x-yaml")},
                         data={"csrf": csrf_of(client)})
    assert broken.status_code == 422 and "NUL bytes" in broken.text


def test_a_good_upload_shows_its_dry_run_and_is_recorded_once_confirmed(ledger: Cli, client: TestClient) -> None:
    csrf = csrf_of(client)
    events = ledger.event_count()
    dry = upload(client, "bw-web.yaml", GOOD_UPLOAD, csrf)
    text = text_of(dry.text)
    assert dry.status_code == 200 and "Proef: bw-web (1 mutaties)" in text
    # The effect per line (before, after, change), on the totals and on each participant.
    assert "alpha/personeel 2026 € 940.000 € 952.345,67 € 12.345,67" in text
    assert "Gemeente Een € 7.407,40 Gemeente Twee € 4.938,27" in text  # 60 % and 40 % of € 12.345,67
    assert ledger.event_count() == events  # a dry run records nothing
    token = re.search(r'name="token" value="([^"]+)"', dry.text).group(1)
    assert client.post("/record/confirm", data={"token": token}).status_code == 403  # no CSRF token
    done = client.post("/record/confirm", data={"token": token, "csrf": csrf})
    assert done.status_code == 200 and "bw-web is vastgelegd op positie" in text_of(done.text)
    assert ledger.event_count() == events + 1
    assert ledger.json("show")["lines"][0]["years"]["2026"] == "952345.67"
    # The token is spent: confirming twice records nothing more.
    assert client.post("/record/confirm", data={"token": token, "csrf": csrf}).status_code == 400
    assert ledger.event_count() == events + 1
    actor = ledger.json("document", "bw-web")["actor"]
    assert actor == ("postgres" if ledger.backend == "postgresql" else actor)  # PG: the user the server connects as


def test_adopt_and_withdraw_with_their_decision_and_reason(ledger: Cli, client: TestClient) -> None:
    csrf = csrf_of(client)
    page = client.get("/document/vjn-2025").text
    assert 'action="/document/vjn-2025/adopt"' in page
    refused = client.post("/document/vjn-2025/adopt", data={"decision": "AB 1-7-2025", "csrf": "wrong"})
    assert refused.status_code == 403
    missing = client.post("/document/vjn-2025/adopt", data={"decision": "", "csrf": csrf})
    assert missing.status_code == 400 and "--decision" in missing.text
    nul = client.post("/document/vjn-2025/adopt", data={"decision": "AB\x00", "csrf": csrf})
    assert nul.status_code == 400 and ledger.json("document", "vjn-2025")["status"] == "proposed"
    adopted = client.post("/document/vjn-2025/adopt", data={"decision": "AB 1-7-2025", "date": "2025-07-01", "csrf": csrf})
    assert adopted.status_code == 200 and "AB 1-7-2025" in adopted.text
    assert ledger.json("document", "vjn-2025")["status"] == "adopted"
    withdrawn = client.post("/document/bw-inject/withdraw", data={"reason": "Vervangen", "date": "2025-08-01", "csrf": csrf})
    assert withdrawn.status_code == 200 and "<dd id=\"status\">ingetrokken</dd>" in withdrawn.text and "Vervangen" in withdrawn.text
    assert ledger.json("document", "bw-inject")["status"] == "withdrawn"
    assert client.post("/document/vjn-2025/adopt", data={"decision": "x", "date": "1-7-2025", "csrf": csrf}).status_code == 400


def test_a_post_from_another_site_is_refused(client: TestClient) -> None:
    r = client.post("/document/vjn-2025/adopt", data={"decision": "AB", "csrf": csrf_of(client)},
                    headers={"origin": "http://evil.example"})
    assert r.status_code == 403 and "another site" in r.text


def test_history_pages_go_back_in_time(tmp_path: Path) -> None:
    bg = Cli(tmp_path / "ledger.db", tmp_path)
    bg("init", "--organisation", "T", "--years", "2025-2026")
    lines = "\n".join(f"  - {{kind: wijziging, line: a/b, amounts: {{2025: {i}}}, reason: stap {i}}}" for i in range(1, 61))
    bg.record("d.yaml", "document: {id: d, kind: begroting, title: D, date: 2025-01-01}\n"
                        "chart: [{unit: a, name: A, lines: [{id: b, name: B, type: lasten, cost: materieel}]}]\nmutations:\n" + lines)
    site = Site(str(bg.ledger), hosts=TEST_HOSTS)
    with TestClient(make_app(site)) as client:
        first = client.get("/history?kind=wijziging").text
        steps = [int(n) for n in re.findall(r"stap (\d+)<", first)]
        assert steps == list(range(60, 10, -1)) and 'rel="next"' in first  # newest first, 50 a page
        second = client.get("/history?kind=wijziging&page=2").text
        assert [int(n) for n in re.findall(r"stap (\d+)<", second)] == list(range(10, 0, -1))
        assert 'rel="next"' not in second and 'rel="prev" href="/history?page=1&amp;kind=wijziging"' in second
    site.close()


# ---------------------------------------------------------------- the hostile review's findings


def test_a_page_asked_for_under_another_host_name_is_refused(ledger: Cli, client: TestClient) -> None:
    """DNS rebinding: another site's name pointed at this machine can neither read nor write."""
    events = ledger.event_count()
    assert client.get("/", headers={"host": "attacker.example:8080"}).status_code == 400
    forged = {"host": "attacker.example:8080", "origin": "http://attacker.example:8080"}
    r = client.post("/document/bw-1/withdraw", data={"csrf": csrf_of(client), "reason": "rebind"}, headers=forged)
    assert r.status_code == 400 and ledger.event_count() == events


def test_confirming_after_the_ledger_moved_records_nothing(ledger: Cli, client: TestClient) -> None:
    csrf = csrf_of(client)
    dry = upload(client, "bw-web.yaml", GOOD_UPLOAD, csrf)
    token = re.search(r'name="token" value="([^"]+)"', dry.text).group(1)
    ledger.record("other.yaml", """
        document: {id: other, kind: begrotingswijziging, title: Tussendoor, date: 2025-06-01}
        mutations:
          - {kind: wijziging, line: alpha/personeel, amounts: {2026: 1}, reason: tussendoor}
        """)
    events = ledger.event_count()
    r = client.post("/record/confirm", data={"token": token, "csrf": csrf})
    assert r.status_code == 400 and "the ledger changed since this dry run" in text_of(r.text)
    assert ledger.event_count() == events


def test_an_upload_whose_name_holds_a_control_character_is_refused(ledger: Cli, client: TestClient) -> None:
    events = ledger.event_count()
    r = upload(client, "a\x1b[31mred.yaml", GOOD_UPLOAD, csrf_of(client))
    assert r.status_code == 422 and "file name" in text_of(r.text) and "\x1b" not in r.text
    assert ledger.event_count() == events


def test_a_body_larger_than_an_upload_is_refused_before_it_is_read() -> None:
    import asyncio

    from web.app import BoundedBody

    async def ask(headers: list[tuple[bytes, bytes]]) -> int:
        sent: list[dict] = []
        read = False

        async def receive() -> dict:
            nonlocal read
            read = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        async def inner(scope, receive, send) -> None:  # the application behind: never reached here
            raise AssertionError("the body was let through")

        await BoundedBody(inner)({"type": "http", "method": "POST", "headers": headers}, receive, send)
        assert not read
        return sent[0]["status"]

    assert asyncio.run(ask([(b"content-length", b"3000000000")])) == 413
    assert asyncio.run(ask([(b"transfer-encoding", b"chunked")])) == 411


def test_recording_from_the_browser_stays_on_this_machine(ledger: Cli) -> None:
    result = ledger("serve", "--host", "0.0.0.0", "--allow-record", ok=False)
    assert result.exit_code == 1 and "--allow-record" in result.output and "this machine only" in result.output


def test_the_last_documents_totals_are_those_right_before_and_after_it(ledger: Cli, client: TestClient) -> None:
    """Not "now less its effect": a withdrawal after it must not move what it says it changed."""
    for doc, amount in (("eerder", 5000), ("laatst", 7000)):
        ledger.record(f"{doc}.yaml", f"""
            document: {{id: {doc}, kind: begrotingswijziging, title: {doc}, date: 2025-06-01}}
            mutations:
              - {{kind: wijziging, line: alpha/personeel, amounts: {{2025: {amount}}}, reason: x}}
            """)
    ledger("withdraw", "eerder", "--date", "2025-07-01", "--reason", "ingetrokken")
    html = client.get("/").text
    last = re.search(r'positie (\d+),', html)
    assert last is not None
    position = int(last.group(1))
    before = ledger.json("show", "--as-of", str(position - 1))["totals"]["lasten"]
    after = ledger.json("show", "--as-of", str(position))["totals"]["lasten"]
    for year in before:
        assert euro(int(Decimal(before[year]) * 100)) in html and euro(int(Decimal(after[year]) * 100)) in html

